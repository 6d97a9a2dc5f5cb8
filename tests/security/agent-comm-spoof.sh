#!/bin/sh
# Issue 19, attack 4a: an unprivileged user names a process "buildkitd"
# (prctl PR_SET_NAME) and reads 100 MB of cold files.  Build detection must
# not believe a process name: the daemon (dry run, BPF tracker loaded) must
# open no episode for it.  Process names count only for a root process in
# a root-owned cgroup (the BPF side reads the task's credentials and the
# cgroup's owner from the kernel, which the user cannot change).
. "${top_srcdir:?}/tests/security/lib.sh"
require_root
require setpriv util-linux
[ -x "$NOBODY_PY" ] || fail "$NOBODY_PY is missing"

DATA=$(scratch_dir security) || fail "scratch_dir"
trap 'rm -rf "$DATA"; cleanup' EXIT
chmod 755 "$DATA"
# 100 MB of files, written now and dropped from the cache (fadvise
# DONTNEED after fsync), so the reads below add them back.
for i in 0 1 2 3 4; do
	head -c 20000000 /dev/urandom >"$DATA/cold.$i" || fail "cannot write $DATA/cold.$i"
done
chmod 644 "$DATA"/cold.*
"$NOBODY_PY" - "$DATA"/cold.* <<'PY' || fail "cannot drop the files' cache"
import os, sys
for p in sys.argv[1:]:
    fd = os.open(p, os.O_RDONLY); os.fsync(fd)
    os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED); os.close(fd)
PY

start_daemon "$WORK/daemon.log" --docker-socket none
wait_control "$WORK/daemon.log"
# The tracker must have loaded: without it the test proves nothing.
grep -Eq 'tracker bpf=(fentry|tp_btf|tracepoint)' "$WORK/daemon.log" ||
	bpf_skip "the daemon runs without its BPF tracker: $(grep 'tracker ' "$WORK/daemon.log" | head -1)"
sleep 3
before=$(grep -c 'episode-start' "$WORK/daemon.log")

cat >"$WORK/spoof.py" <<'PY'
import ctypes, os, sys, time
libc = ctypes.CDLL(None)
libc.prctl(15, b"buildkitd", 0, 0, 0)  # PR_SET_NAME
print("comm:", open("/proc/self/comm").read().strip(), "uid:", os.getuid(), flush=True)
for p in sys.argv[1:]:
    with open(p, "rb") as f:
        while f.read(1 << 20):
            pass
    time.sleep(0.5)
PY
chmod 644 "$WORK/spoof.py"
as_nobody "$NOBODY_PY" "$WORK/spoof.py" "$DATA"/cold.* || fail "the spoofer failed"
# The episode would start within a sample or two of the growth, and end
# after quiet_period (3 s): wait past both.
sleep 8
grep -E 'episode-|decision' "$WORK/daemon.log" | tail -5
after=$(grep -c 'episode-start' "$WORK/daemon.log")
check_eq "episodes opened by an unprivileged \"buildkitd\" reading 100 MB" "$((after - before))" 0

# The control: the same reads by root's "buildkitd" (a root process in a
# root-owned cgroup) do open an episode, so the check above can fail.
"$NOBODY_PY" - "$DATA"/cold.* <<'PY' || fail "cannot drop the files' cache"
import os, sys
for p in sys.argv[1:]:
    fd = os.open(p, os.O_RDONLY)
    os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED); os.close(fd)
PY
"$NOBODY_PY" "$WORK/spoof.py" "$DATA"/cold.* || fail "root's reader failed"
sleep 8
root_eps=$(($(grep -c 'episode-start' "$WORK/daemon.log") - after))
check_ge "episodes opened by root's \"buildkitd\" reading the same 100 MB" "$root_eps" 1
