#!/bin/sh
# The tracker's acceptance with large folios on Debian's 6.1 kernel (XFS
# makes them on read): tests/vm/guest/tracker-xfs.sh in a guest.
. "${top_srcdir:-.}/tests/vm/lib.sh"
vm_check tracker-xfs-6.1 "$top_srcdir/tests/vm/guest/tracker-xfs.sh" --kernel 6.1 --scratch 2G
