# shellcheck shell=sh
# Shared by the tracker's script tests (sourced, POSIX sh).
# They need root (CI runs as root); elsewhere they skip with the reason.

# (Also sourced in tests/vm guests and in the shells run_in_cgroup starts:
# nothing here acts when sourced.)
. "${top_srcdir:?run through make check}/tests/lib/common.sh"

# Tracepoint attachment needs tracefs.  When it is not mounted, the test
# re-runs itself in a private mount namespace and mounts it there, so it
# tests the same on a developer's machine as in CI and leaves the host's
# mounts alone.
TRACEFS=/sys/kernel/tracing
need_tracefs() {
	[ -d "$TRACEFS/events" ] && return 0
	if [ -z "${WSLDOCK_TRACEFS_NS:-}" ]; then
		command -v unshare >/dev/null || fail "tracefs is not mounted and unshare is missing"
		WSLDOCK_TRACEFS_NS=1 exec unshare -m --propagation private "${SHELL:-sh}" "$0" "$@"
	fi
	mount -t tracefs none "$TRACEFS" || fail "cannot mount tracefs on $TRACEFS"
}

# Prints why this kernel lacks what attach mode $1 needs, judged without
# the tracker (so a tracker bug can never pass for a missing feature);
# prints nothing when the mode must work.  Needs need_tracefs first.
kernel_lacks() {
	[ -r /sys/kernel/btf/vmlinux ] || { echo "no kernel BTF (/sys/kernel/btf/vmlinux)"; return; }
	btf=$(bpftool btf dump file /sys/kernel/btf/vmlinux 2>/dev/null) ||
		fail "bpftool cannot read /sys/kernel/btf/vmlinux (apt-get install bpftool)"
	case $1 in
	fentry)
		for fn in __filemap_add_folio filemap_unaccount_folio __folio_mark_dirty; do
			echo "$btf" | grep -q "FUNC '$fn'" || { echo "no function $fn in BTF"; return; }
		done
		if ! fns=$(cat "$TRACEFS/available_filter_functions" 2>&1); then
			echo "the kernel refuses function tracing ($fns)"
			return
		fi
		for fn in __filemap_add_folio filemap_unaccount_folio __folio_mark_dirty; do
			echo "$fns" | grep -q "^$fn\b" || { echo "$fn is not traceable"; return; }
		done
		;;
	tp_btf)
		for tp in mm_filemap_add_to_page_cache mm_filemap_delete_from_page_cache \
			writeback_dirty_folio; do
			echo "$btf" | grep -q "TYPEDEF 'btf_trace_$tp'" ||
				{ echo "no BTF-typed tracepoint $tp"; return; }
		done
		;;
	tracepoint)
		for tp in filemap/mm_filemap_add_to_page_cache filemap/mm_filemap_delete_from_page_cache \
			writeback/writeback_dirty_folio; do
			[ -d "$TRACEFS/events/$tp" ] || { echo "no tracepoint $tp"; return; }
		done
		;;
	esac
}

# Not root is a BPF skip (a failure in CI); the tracker attributes every
# write on the machine and the tests judge totals: one machine-wide test
# at a time.
tracker_require() {
	[ "$(id -u)" -eq 0 ] || bpf_skip "needs root to load BPF programs and create cgroups"
	[ -n "${WSLDOCK_AGENT:-}" ] && [ -x "$WSLDOCK_AGENT" ] || fail "WSLDOCK_AGENT is not set"
	require python3
	machine_lock
}

# The cgroup2 mount point, from the mounts table (hybrid: .../unified).
cgroup2_mount() {
	awk '$3 == "cgroup2" { print $2; exit }' /proc/self/mounts
}

# tracker_work PARENT NAME: a scratch directory $WORK and a fresh cgroup
# $CG=PARENT/wsldock-NAME-$$; on exit both go, and a top still running
# (AGENT_PID) is stopped.
tracker_work() {
	WORK=$(scratch_dir tracker) || fail "cannot make a scratch directory"
	CG="$1/wsldock-$2-$$"
	AGENT_PID=
	trap tracker_cleanup EXIT INT TERM
	mkdir "$CG" || fail "cannot create $CG"
}
tracker_cleanup() {
	[ -n "${AGENT_PID:-}" ] && kill "$AGENT_PID" 2>/dev/null
	rm -rf "$WORK"
	rmdir "$CG" 2>/dev/null
	:
}

# Starts `top --once --json` in the background (under $AGENT_WRAP, a
# command prefix, when set); waits until it attached.
# Sets AGENT_PID; output in $1.json, messages in $1.err.
start_top() {
	out=$1
	shift
	${AGENT_WRAP:-} "$WSLDOCK_AGENT" top --once --json --limit 100000 "$@" >"$out.json" 2>"$out.err" &
	AGENT_PID=$!
	i=0
	while ! grep -q "bpf mode" "$out.err" 2>/dev/null; do
		if grep -q "unavailable" "$out.err" 2>/dev/null; then
			kill "$AGENT_PID"
			wait "$AGENT_PID"
			AGENT_PID=
			return 1
		fi
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

# After start_top failed in auto mode: a skip when the kernel lacks every
# mode, else a failure (a load, verifier or attach error is a bug).
tracker_failed() {
	err=$(tail -1 "$1")
	need=
	for mode in fentry tp_btf tracepoint; do
		lacks=$(kernel_lacks "$mode")
		[ -n "$lacks" ] || { need=$mode; break; }
		echo "mode $mode: the kernel lacks it: $lacks"
	done
	[ -n "$need" ] || bpf_skip "the kernel lacks every attach mode: $err"
	fail "the tracker did not attach although the kernel supports $need: $err"
}
