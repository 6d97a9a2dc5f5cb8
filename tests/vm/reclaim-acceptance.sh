#!/bin/sh
# Hook for the reclaim daemon's acceptance inside a guest (issue #7): a
# build-like workload in a docker/<id> cgroup, `wsldock-agent run` returns
# >= 90 % of it within 30 s through memory.reclaim, another cgroup's hot
# set stays resident, and the host's RSS of the VM falls by >= 80 % of the
# workload's cache within 30 s.  The guest side is
# tests/reclaim/vm-acceptance.sh (owned by the reclaim benchmark work); it
# runs in a 6.12, order-5, PSI-off guest with a 4 GiB scratch disk, and can
# read the host's samples so far in $WSLDOCK_VM_OUT/rss.csv.
. "${top_srcdir:-.}/tests/vm/lib.sh"
guest="$top_srcdir/tests/reclaim/vm-acceptance.sh"
if ! [ -f "$guest" ]; then
	[ -x "${WSLDOCK_AGENT:-}" ] && "$WSLDOCK_AGENT" run --help >/dev/null 2>&1 &&
		fail "wsldock-agent run exists but its in-guest acceptance $guest does not"
	skip "the reclaim daemon (wsldock-agent run) is not built yet, so $guest is not written"
fi
vm_check reclaim-acceptance "$guest" --kernel 6.12 --order 5 --psi off --mem 4G --scratch 4G
