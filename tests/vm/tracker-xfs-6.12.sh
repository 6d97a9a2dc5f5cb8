#!/bin/sh
# The tracker's acceptance with large folios on bookworm-backports' 6.12
# kernel (XFS makes them on write and read): tests/vm/guest/tracker-xfs.sh.
. "${top_srcdir:-.}/tests/vm/lib.sh"
vm_check tracker-xfs-6.12 "$top_srcdir/tests/vm/guest/tracker-xfs.sh" --kernel 6.12 --scratch 2G
