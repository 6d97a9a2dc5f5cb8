# shellcheck shell=sh
# The helpers every script test shares (sourced first by each part's lib.sh,
# POSIX sh).  A test exits 0 pass, 1 fail, 77 skip; a skip always says why,
# and only where the platform truly lacks what the test needs.
[ -z "${wsldock_common_sourced:-}" ] || return 0
wsldock_common_sourced=1

skip() {
	echo "SKIP: $*"
	exit 77
}

# fail MESSAGE: the test fails now (exit 1), after the part's on_fail hook
# (a function the part's lib.sh may define, e.g. to show daemon logs).
# After defer_failures, fail only counts and `finish` gives the verdict.
fail() {
	echo "FAIL: $*" >&2
	if [ -n "${wsldock_deferred:-}" ]; then
		failures=$((failures + 1))
		return 0
	fi
	command -v on_fail >/dev/null 2>&1 && on_fail
	exit 1
}
ok() {
	echo "ok: $*"
}
pass() {
	ok "$@"
}

# jq_e FILTER...: `jq -e` on standard input that must not be empty (jq 1.6
# exits 0 on empty input, so a socket or an HTTP request that answered
# nothing would pass any check).
jq_e() {
	_jq_in=$(cat)
	[ -n "$_jq_in" ] || return 1
	printf '%s\n' "$_jq_in" | jq -e "$@"
}

# check_ge|check_le|check_eq DESCRIPTION GOT WANT: one comparison, its
# figures in the message either way.
check_ge() {
	if [ "$2" -ge "$3" ]; then pass "$1 ($2 >= $3)"; else fail "$1: $2 < $3"; fi
}
check_le() {
	if [ "$2" -le "$3" ]; then pass "$1 ($2 <= $3)"; else fail "$1: $2 > $3"; fi
}
check_eq() {
	if [ "$2" = "$3" ]; then pass "$1 ($2)"; else fail "$1: got '$2', wanted '$3'"; fi
}

# defer_failures: for tests that check many things and report every
# failure: fail counts, finish exits 1 when any check failed, else 0.
# A part may define before_finish (stop its daemons, scan their logs).
defer_failures() {
	wsldock_deferred=1
	failures=0
}
finish() {
	command -v before_finish >/dev/null 2>&1 && before_finish
	if [ "${failures:-0}" -ne 0 ]; then
		echo "$failures check(s) failed" >&2
		exit 1
	fi
	exit 0
}

# need_root [WHY]: skips unless root (CI runs as root).  Only that: a test
# that measures or disturbs the machine takes require_root.
need_root() {
	[ "$(id -u)" -eq 0 ] || skip "needs root${1:+ ($1)}"
}
# require_root [WHY]: need_root, then the machine lock (below).
require_root() {
	need_root "$@"
	machine_lock
}
# need CMD [PACKAGE]: skips when CMD is missing.
need() {
	command -v "$1" >/dev/null 2>&1 ||
		skip "$1 is not installed (${2:+apt-get install $2, }scripts/install-deps installs it)"
}
# require CMD [PACKAGE]: a tool scripts/install-deps installs; missing is a
# broken setup, so a failure, never a skip.
require() {
	command -v "$1" >/dev/null 2>&1 ||
		{ echo "FAIL: $1 is not installed (scripts/install-deps installs ${2:-it})" >&2; exit 1; }
}

# expect_rc WANT DESCRIPTION -- CMD...: runs CMD (its output in $tmp/out
# and $tmp/err), checks its exit status; the status is left in $got.
expect_rc() {
	want=$1 desc=$2
	shift 3
	"$@" >"${tmp:?expect_rc needs \$tmp}/out" 2>"$tmp/err"
	got=$?
	if [ "$got" -eq "$want" ]; then pass "$desc (exit $got)"; else
		fail "$desc: exit $got, wanted $want"; sed 's/^/  | /' "$tmp/err" >&2; fi
}

# wait_for REGEX FILE [SECONDS]: until a line of FILE matches the extended
# regular expression (10 s by default); 1 on timeout.
wait_for() {
	wf_i=0
	while ! grep -qE -- "$1" "$2" 2>/dev/null; do
		wf_i=$((wf_i + 1))
		[ "$wf_i" -le $((${3:-10} * 10)) ] || return 1
		sleep 0.1
	done
}

# scratch_dir PART: a new directory under $top_builddir/tests/PART, on a
# disk file system (never tmpfs, whose pages are shmem and bypass the page
# cache hooks); the caller removes it (its EXIT trap).
scratch_dir() {
	mkdir -p "${top_builddir:-.}/tests/$1" &&
		mktemp -d "${top_builddir:-.}/tests/$1/scratch.XXXXXX"
}

# machine_lock: tests that measure or disturb the whole machine's page
# cache, memory, CPU or docker (drop_caches, residency, MemFree gains, BPF
# attribution of every write, guests, wine) take this one exclusive lock,
# so `make -j` runs unit and light tests beside them but never two of them
# together, and a distcheck's copy of the suite (another build directory)
# or another checkout waits for the same lock.  Held on fd 9 until the test
# exits (and across exec); taking it again is a no-op.  A test that does not
# get it within $WSLDOCK_MACHINE_LOCK_WAIT seconds (default 2 h) fails,
# naming the holders' pids.
WSLDOCK_MACHINE_LOCK=${WSLDOCK_MACHINE_LOCK:-/run/lock/wsldock-machine-test.lock}
machine_lock() {
	# Inside a tests/vm guest the machine is the guest, this test's alone.
	[ -z "${WSLDOCK_VM_MARKS:-}" ] || return 0
	[ -w "${WSLDOCK_MACHINE_LOCK%/*}" ] || WSLDOCK_MACHINE_LOCK=/tmp/wsldock-machine-test.lock
	# Held already: taken earlier, or inherited (a test that re-executes
	# itself, e.g. in a mount namespace, keeps it across exec: reopening
	# would drop it and let another test in).
	[ ! /proc/$$/fd/9 -ef "$WSLDOCK_MACHINE_LOCK" ] || return 0
	command -v flock >/dev/null 2>&1 || fail "flock is missing (util-linux)"
	exec 9>>"$WSLDOCK_MACHINE_LOCK" || fail "cannot open $WSLDOCK_MACHINE_LOCK"
	chmod 666 "$WSLDOCK_MACHINE_LOCK" 2>/dev/null
	if ! flock -n 9; then
		echo "waiting for another machine-wide test (lock $WSLDOCK_MACHINE_LOCK)" >&2
		ml_start=$(date +%s)
		flock -w "${WSLDOCK_MACHINE_LOCK_WAIT:-7200}" 9 ||
			fail "$WSLDOCK_MACHINE_LOCK still held after ${WSLDOCK_MACHINE_LOCK_WAIT:-7200} s (by pids$(fuser "$WSLDOCK_MACHINE_LOCK" 2>/dev/null))"
		echo "got the machine lock after $(($(date +%s) - ml_start)) s" >&2
	fi
}

# bpf_skip REASON: a skip because BPF cannot be used here, except
# with WSLDOCK_REQUIRE_BPF=1 (.ci/run sets it): CI must never pass without
# the tracker, so there it is a failure.
bpf_skip() {
	[ "${WSLDOCK_REQUIRE_BPF:-0}" = 1 ] && fail "WSLDOCK_REQUIRE_BPF=1, and: $*"
	skip "$*"
}
