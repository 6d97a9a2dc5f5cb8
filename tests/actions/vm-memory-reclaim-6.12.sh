#!/bin/sh
# Lever a (cgroup v2 memory.reclaim) for real on Debian's 6.12 kernel in a
# QEMU guest: "N swappiness=0" keeps reclaim off anonymous memory.
. "$top_srcdir/tests/live/lib.sh"
. "$top_srcdir/tests/actions/lib.sh"
vm_memory_reclaim 6.12 swappiness=0 swappiness=0
