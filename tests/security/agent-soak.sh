#!/bin/sh
# Issue 19, part 7: the daemon built with ASan + UBSan, run for minutes
# under everything at once: hostile and slow control-socket clients (root's
# and a group member's), a fake engine flooding the docker event stream
# and dropping it, cgroups that appear and vanish while they fill the
# page cache, SIGHUP reloads of a configuration that turns bad and good
# again, then SIGTERM.  First `run --foreground --dry-run`, then, as root,
# a real run (drop_caches off: this machine is shared).  Fails on any
# sanitizer report, abnormal exit, or a good client refused.
#
# The agent under test must be sanitized: in scripts/test's sanitized
# distcheck it is; otherwise $WSLDOCK_SAN_AGENT, else one is built here
# from this tree's distdir (a few minutes).  WSLDOCK_SOAK_SECONDS sets the
# length of the dry run (default 150 s; the real run gets a third).
. "${top_srcdir:?}/tests/security/lib.sh"
require_root
require setpriv util-linux
[ -x "$NOBODY_PY" ] || fail "$NOBODY_PY is missing"
SOAK=${WSLDOCK_SOAK_SECONDS:-150}

sanitized() { ldd "$1" 2>/dev/null | grep -q libasan; }
if sanitized "$AGENT"; then
	SAN=$AGENT
elif [ -n "${WSLDOCK_SAN_AGENT:-}" ]; then
	SAN=$WSLDOCK_SAN_AGENT
	sanitized "$SAN" || fail "$SAN is not built with AddressSanitizer"
else
	B=$(cd "${top_builddir:?}" && pwd)/tests/security/san-build
	rm -rf "$B"
	echo "building a sanitized agent in $B" >&2
	flags="-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined"
	(make -C "$top_builddir" distdir distdir="$B" top_distdir="$B" >/dev/null &&
		cd "$B" && ./configure --quiet CFLAGS="$flags" LDFLAGS="-fsanitize=address,undefined" &&
		make bpf/pagecache.skel.h >/dev/null && nice make -j2 agent/wsldock-agent >/dev/null) \
		>"$WORK/san-build.log" 2>&1 || { tail -20 "$WORK/san-build.log"; fail "cannot build a sanitized agent"; }
	SAN=$B/agent/wsldock-agent
fi
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=86 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# nobody reaches the socket as a member of its group.
export WSLDOCK_CONTROL_GROUP=users
defer_failures

P=$top_srcdir/tests/security/soak-peers.py
cp "$P" "$WORK/peers.py" && chmod 644 "$WORK/peers.py"
CG2=/sys/fs/cgroup/unified
[ -d "$CG2" ] || CG2=/sys/fs/cgroup
CGS="$CG2/wsldock-soak-$$"
DATA=$(scratch_dir security) || fail "scratch_dir"
trap 'stop_churn; rm -rf "$DATA"; rmdir "$CGS"/*/* "$CGS"/* "$CGS" 2>/dev/null; cleanup' EXIT
CHURN=
stop_churn() { [ -z "$CHURN" ] || { kill "$CHURN" 2>/dev/null; wait "$CHURN" 2>/dev/null; }; CHURN=; }

good_conf() { printf '[reclaim]\nquiet_period = %ss\n' "$1" >"$WORK/agent.conf"; }

# churn SECONDS: docker-like cgroups made, filled with page cache by a
# process moved into them, and removed, one after another.
churn() {
	end=$(($(date +%s) + $1))
	i=0
	mkdir -p "$CGS/docker"
	while [ "$(date +%s)" -lt "$end" ]; do
		id=$(printf '%064x' "$((i + 1000 * $$))")
		cg="$CGS/docker/$id"
		mkdir "$cg" 2>/dev/null || continue
		sh -c 'echo $$ >"$1/cgroup.procs" && head -c 48000000 /dev/zero >"$2" && cat "$2" >/dev/null' \
			sh "$cg" "$DATA/f$((i % 4))"
		rmdir "$cg" 2>/dev/null
		i=$((i + 1))
		sleep 1
	done
}

# phase NAME SECONDS ARGS...: the daemon under the whole load; checks it.
phase() {
	name=$1 secs=$2
	shift 2
	log=$WORK/$name.log
	good_conf 3
	"$NOBODY_PY" "$WORK/peers.py" engine "$WORK/docker.sock" "$((secs + 5))" >"$WORK/$name.engine" 2>&1 &
	EP=$!
	sleep 0.5
	"$SAN" run --foreground --config "$WORK/agent.conf" --docker-socket "$WORK/docker.sock" \
		--lock-dir "$WORK/lock" "$@" 2>"$log" &
	D=$!
	PIDS="$PIDS $D $EP"
	wait_control "$log"
	"$NOBODY_PY" "$WORK/peers.py" clients "$WSLDOCK_CONTROL_SOCKET" "$secs" >"$WORK/$name.root" 2>&1 &
	C1=$!
	setpriv --reuid=nobody --regid=users --clear-groups "$NOBODY_PY" "$WORK/peers.py" clients \
		"$WSLDOCK_CONTROL_SOCKET" "$secs" >"$WORK/$name.nobody" 2>&1 &
	C2=$!
	churn "$secs" &
	CHURN=$!
	t=0
	while [ "$t" -lt "$secs" ] && alive "$D"; do
		sleep 7
		t=$((t + 7))
		# Reload: now a bad file (kept the running one), now a good one.
		if [ $((t / 7 % 3)) -eq 1 ]; then printf '[reclaim]\nquiet_period = soon\n' >"$WORK/agent.conf"
		else good_conf $((2 + t / 7 % 3)); fi
		kill -HUP "$D" 2>/dev/null
	done
	wait "$C1" "$C2"
	stop_churn
	alive "$D" || fail "$name: the daemon died under load"
	kill -TERM "$D" 2>/dev/null
	wait "$D"
	rc=$?
	kill "$EP" 2>/dev/null
	wait "$EP" 2>/dev/null
	cat "$WORK/$name.engine" "$WORK/$name.root" "$WORK/$name.nobody"
	echo "$name: $(grep -c ' reload\| config ' "$log") reload lines, $(grep -c 'docker-event ' "$log") engine events, $(grep -c 'episode-start' "$log") episodes, $(grep -c ' action ' "$log") actions"
	check_eq "$name: exit status after SIGTERM" "$rc" 0
	if grep -nE 'AddressSanitizer|LeakSanitizer|runtime error|free\(\)|double free|corrupted|Aborted' "$log" >"$WORK/$name.san"; then
		fail "$name: sanitizer or allocator report: $(head -c 2000 "$WORK/$name.san")"
		grep -A30 -E 'ERROR: (Address|Leak)Sanitizer|runtime error' "$log" | head -60 >&2
	else
		pass "$name: no sanitizer report"
	fi
	good=$(sed -n 's/.* good=\([0-9]*\).*/\1/p' "$WORK/$name.root")
	bad=$(sed -n 's/.* good_failed=\([0-9]*\).*/\1/p' "$WORK/$name.root")
	check_ge "$name: root's good client answered" "${good:-0}" "$((secs / 5 + 1))"
	check_le "$name: root's good client refused or failed" "${bad:-1}" 0
}

phase dry-run "$SOAK" --dry-run
phase real "$((SOAK / 3))" --set drop_caches=no
finish
