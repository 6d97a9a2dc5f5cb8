#!/bin/sh
# Issue 19, attack 5 (agent side): `top` printed process, cgroup and file
# names raw to root's terminal, so an unprivileged user's escape sequences
# retitled and cleared it.  Here nobody runs a process whose name holds
# OSC and CSI sequences, in a cgroup whose name holds one, reading a file
# whose name holds more; `top --once` must print them escaped (\x1b...),
# with no raw control byte, and must still show them (else this proves
# nothing).  `report` likewise, for a distro name with escape sequences
# (the unit test test-text-escape covers the escaping itself).
. "${top_srcdir:?}/tests/security/lib.sh"
[ "$(id -u)" -eq 0 ] || skip "needs root (top loads the BPF tracker)"
require setpriv util-linux
[ -x "$NOBODY_PY" ] || fail "$NOBODY_PY is missing"
[ -d /sys/fs/cgroup/unified ] && CG2=/sys/fs/cgroup/unified || CG2=/sys/fs/cgroup
ESC=$(printf '\033')
CG="$CG2/wsldock-esc-$$-${ESC}[2J"
DATA=$(scratch_dir security) || fail "scratch_dir"
trap 'rmdir "$CG" 2>/dev/null; rm -rf "$DATA"; cleanup' EXIT
chmod 755 "$DATA"
NAME="$DATA/f${ESC}]0;PWNED$(printf '\007')${ESC}[2J.bin"
head -c 30000000 /dev/urandom >"$NAME" && chmod 644 "$NAME" || fail "cannot write the file"
mkdir "$CG" || fail "cannot make a cgroup under $CG2"

cat >"$WORK/reader.py" <<'PY'
# Renames itself with escape sequences, joins the cgroup, drops the file's
# cache and reads it, then holds it open while top names it.
import ctypes, os, sys, time
libc = ctypes.CDLL(None)
libc.prctl(15, b"\x1b]0;X\x07\x1b[2J", 0, 0, 0)
fd = os.open(sys.argv[1], os.O_RDONLY)
os.fsync(fd)
os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
time.sleep(1)
while os.read(fd, 1 << 20):
    pass
time.sleep(8)
PY
chmod 644 "$WORK/reader.py"
"$AGENT" top --once --duration 8 --limit 200 >"$WORK/top.out" 2>"$WORK/top.err" &
TOP=$!
# Read once the programs are attached (top says so).
wait_for 'top: bpf mode' "$WORK/top.err" 20 || true
# The reader joins the cgroup first (root moves it), then drops to nobody.
sh -c 'echo $$ >"$1/cgroup.procs" && exec setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all "$2" "$3" "$4"' \
	sh "$CG" "$NOBODY_PY" "$WORK/reader.py" "$NAME" &
R=$!
wait "$TOP"
rc=$?
wait "$R"
[ "$rc" -eq 0 ] || { grep -q 'BPF\|bpf' "$WORK/top.err" && bpf_skip "top: $(cat "$WORK/top.err")"; fail "top failed: $(cat "$WORK/top.err")"; }
defer_failures
raw=$(LC_ALL=C tr -d '\n' <"$WORK/top.out" | LC_ALL=C tr -dc '\000-\010\013-\037\177' | wc -c)
check_eq "raw control bytes in top's output" "$raw" 0
grep -F 'f\x1b]0;PWNED\x07\x1b[2J.bin' "$WORK/top.out" >/dev/null &&
	pass "the file's name is shown escaped" || fail "the file's name is not shown escaped"
grep -F '\x1b]0;X\x07\x1b[2J[' "$WORK/top.out" >/dev/null &&
	pass "the process's name is shown escaped" || fail "the process's name is not shown escaped"
grep -F "wsldock-esc-$$-\\x1b[2J" "$WORK/top.out" >/dev/null &&
	pass "the cgroup's name is shown escaped" || fail "the cgroup's name is not shown escaped"
WSL_DISTRO_NAME="U${ESC}]0;X$(printf '\007')" "$AGENT" report --root "${FIXTURES:?}/wsl2-6.6" \
	>"$WORK/report.out" 2>/dev/null
raw=$(LC_ALL=C tr -d '\n' <"$WORK/report.out" | LC_ALL=C tr -dc '\000-\010\013-\037\177' | wc -c)
check_eq "raw control bytes in report's output" "$raw" 0
grep -F 'U\x1b]0;X\x07' "$WORK/report.out" >/dev/null &&
	pass "report shows the distro's name escaped" || fail "report does not show the distro's name escaped"
[ "$failures" -eq 0 ] || { echo "--- top's output (control bytes as ^[):"; cat -v "$WORK/top.out" | grep -a 'PWN\|wsldock-esc\|\^\[' | head; }
finish
