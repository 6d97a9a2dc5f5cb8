#!/bin/sh
# Lever a (cgroup v2 memory.reclaim) for real on Debian's 6.1 kernel in a
# QEMU guest: no swappiness= argument before 6.7, so the lever closes the
# cgroup's swap (memory.swap.max=0) for the call and restores it; the root
# cgroup, which has no memory.swap.max, gets vm.swappiness=0 for the call.
. "$top_srcdir/tests/live/lib.sh"
. "$top_srcdir/tests/actions/lib.sh"
vm_memory_reclaim 6.1 swap.max=0 vm.swappiness=0
