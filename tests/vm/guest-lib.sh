# shellcheck shell=sh
# Sourced by the scripts tests/vm/boot runs inside the guest (POSIX sh).

. "${top_srcdir:?}/tests/lib/common.sh"

# Records a guest event: every later row of the host's rss.csv carries it.
vm_mark() {
	echo "$*" >>"${WSLDOCK_VM_MARKS:?not inside a tests/vm guest}"
	sync "$WSLDOCK_VM_MARKS" 2>/dev/null || :
}

# Makes an XFS file system on the scratch disk (boot --scratch) and mounts
# it on $1.  XFS makes large folios on 6.1 and 6.12 (ext4 on 6.1 does not).
vm_xfs() {
	[ -n "${WSLDOCK_VM_SCRATCH:-}" ] || fail "no scratch disk: boot this with --scratch SIZE"
	mkfs.xfs -q -f "$WSLDOCK_VM_SCRATCH" || fail "mkfs.xfs $WSLDOCK_VM_SCRATCH failed"
	mkdir -p "$1"
	mount -t xfs "$WSLDOCK_VM_SCRATCH" "$1" || fail "cannot mount $WSLDOCK_VM_SCRATCH on $1"
}

# The kernel's dev_t (MAJOR << 20 | MINOR, as tracepoints print s_dev) of
# the file system holding $1.
kernel_dev() {
	d=$(stat -c %d "$1") || return 1
	echo $(( (((d >> 8) & 0xfff) << 20) | ((d & 0xff) | ((d >> 12) & 0xfff00)) ))
}

# Page-cache insertions (folios) so far on kernel device $1, counted by a
# hist trigger on filemap:mm_filemap_add_to_page_cache (vm_count_folios_start
# installs it).
FOLIO_EVENT=/sys/kernel/tracing/events/filemap/mm_filemap_add_to_page_cache
vm_count_folios_start() {
	echo 'hist:keys=s_dev' >"$FOLIO_EVENT/trigger" || fail "cannot add a hist trigger to $FOLIO_EVENT"
}
vm_count_folios() {
	awk -v dev="$1" '$1 == "{" && $2 == "s_dev:" && $3 == dev { print $6; found = 1 }
		END { if (!found) print 0 }' "$FOLIO_EVENT/hist"
}
