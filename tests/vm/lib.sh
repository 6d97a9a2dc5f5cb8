# shellcheck shell=sh
# Shared by the check-vm tests (host side, sourced, POSIX sh): each boots
# one guest with tests/vm/boot and runs a script of tests/vm/guest/ in it.

. "${top_srcdir:?run through make check}/tests/lib/common.sh"

# vm_check NAME GUEST_SCRIPT [boot options...]: runs GUEST_SCRIPT in a
# guest, results in $top_builddir/tests/vm/NAME.out; exits with the verdict.
vm_check() {
	name=$1 guest=$2
	shift 2
	need_root "the guest image is built with debootstrap"
	command -v qemu-system-x86_64 >/dev/null ||
		skip "qemu-system-x86_64 is missing: scripts/install-deps installs qemu-system-x86"
	[ -x "${WSLDOCK_AGENT:-}" ] || fail "WSLDOCK_AGENT is not set"
	# A guest of GiBs whose RSS the host measures, and QEMU's CPU.
	machine_lock
	out="${top_builddir:?}/tests/vm/$name.out"
	"${top_srcdir:?}/tests/vm/boot" --out "$out" --timeout "${WSLDOCK_VM_TIMEOUT:-300}" "$@" -- "$guest"
	rc=$?
	case $rc in
	0) exit 0 ;;
	77) exit 77 ;;
	125) fail "the guest did not finish (see $out/console.log)" ;;
	*) fail "$name failed in the guest (exit $rc; log $out/guest.log)" ;;
	esac
}
