#!/bin/sh
# `report` on a WSL-like kernel: cgroup v2 only, PSI off, page reporting
# order 5 (6.12): tests/vm/guest/report-wsl-like.sh in a guest.
. "${top_srcdir:-.}/tests/vm/lib.sh"
vm_check report-wsl-like "$top_srcdir/tests/vm/guest/report-wsl-like.sh" --kernel 6.12 --psi off --order 5
