# shellcheck shell=sh
# Shared by the tracker's script tests (sourced, POSIX sh).
# They need root (CI runs as root); elsewhere they skip with the reason.

skip() {
	echo "SKIP: $*"
	exit 77
}

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

require_root() {
	[ "$(id -u)" -eq 0 ] || skip "needs root to load BPF programs and create cgroups"
	command -v python3 >/dev/null || skip "needs python3 to read the JSON"
	[ -n "${WSLDOCK_AGENT:-}" ] && [ -x "$WSLDOCK_AGENT" ] || fail "WSLDOCK_AGENT is not set"
}

# The cgroup2 mount point, from the mounts table (hybrid: .../unified).
cgroup2_mount() {
	awk '$3 == "cgroup2" { print $2; exit }' /proc/self/mounts
}

# A scratch directory on a disk file system (never tmpfs: its pages are
# shmem and do not pass through the filemap hooks).
scratch_dir() {
	mkdir -p "${top_builddir:-.}/tests/tracker"
	mktemp -d "${top_builddir:-.}/tests/tracker/scratch.XXXXXX"
}

# Starts `top --once --json` in the background; waits until it attached.
# Sets AGENT_PID; output in $1.json, messages in $1.err.
start_top() {
	out=$1
	shift
	"$WSLDOCK_AGENT" top --once --json "$@" >"$out.json" 2>"$out.err" &
	AGENT_PID=$!
	i=0
	while ! grep -q "bpf mode" "$out.err" 2>/dev/null; do
		grep -q "unavailable" "$out.err" 2>/dev/null && { kill "$AGENT_PID"; wait "$AGENT_PID"; AGENT_PID=; return 1; }
		if ! kill -0 "$AGENT_PID" 2>/dev/null; then
			wait "$AGENT_PID" || :
			AGENT_PID=
			return 1
		fi
		i=$((i + 1))
		[ "$i" -lt 200 ] || return 1
		sleep 0.05
	done
}

# Runs "$@" in cgroup directory $1 (the shell moves itself there first).
run_in_cgroup() {
	cg=$1
	shift
	sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$cg" "$@"
}

# Writes $3 files of $2 MiB each under $1, fsyncs, then reads them back.
write_and_read() {
	dir=$1 mib=$2 n=$3
	i=0
	while [ "$i" -lt "$n" ]; do
		dd if=/dev/zero of="$dir/f$i" bs=1M count="$mib" conv=fsync status=none || return 1
		i=$((i + 1))
	done
	cat "$dir"/f* >/dev/null
}
