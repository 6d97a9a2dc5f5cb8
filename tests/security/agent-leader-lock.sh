#!/bin/sh
# Issue 19, attack 4d: any user could stop reclaim in every distro by
# holding the leader lock (created 0644 in a 0755 directory under the
# umask of a start without systemd, and flock works on a read-only
# descriptor).  Now the directory is 0700 and the file 0600 whatever the
# umask, and a directory or file another user made first is refused, out
# loud.  The daemons run with mode=off: they take the lock but never act.
. "${top_srcdir:?}/tests/security/lib.sh"
[ "$(id -u)" -eq 0 ] || skip "needs root (the agent runs as root)"
require setpriv util-linux
[ -x "$NOBODY_PY" ] || fail "$NOBODY_PY is missing"
defer_failures

cat >"$WORK/hold.py" <<'PY'
# Opens PATH read-only, takes its flock and holds it until killed.
import fcntl, os, sys, time
try:
    fd = os.open(sys.argv[1], os.O_RDONLY | os.O_CREAT, 0o666)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
except OSError as e:
    print("holder: cannot hold %s: %s" % (sys.argv[1], e.strerror), flush=True)
    sys.exit(3)
print("holder: holding", sys.argv[1], flush=True)
time.sleep(600)
PY
chmod 644 "$WORK/hold.py"

# agent LOG LOCKDIR: a mode=off daemon under umask 022, as the documented
# start without systemd has; sets DAEMON.
agent() {
	(umask 022; exec "$AGENT" run --foreground --set mode=off --docker-socket none \
		--lock-dir "$2" --control-socket "$WORK/$(basename "$1").sock" 2>"$1") &
	DAEMON=$!
	PIDS="$PIDS $DAEMON"
	wait_for ' start role=' "$1" 30 || fail "the daemon did not start: $(tail -3 "$1")"
}
stop() { kill "$1" 2>/dev/null; wait "$1" 2>/dev/null; }

# 1. The lock the agent makes: 0700 directory, 0600 file, root's.
agent "$WORK/a.log" "$WORK/lock"
grep -q ' start role=leader' "$WORK/a.log" || fail "the first daemon is not the leader"
check_eq "lock directory mode and owner" "$(stat -c '%a %u' "$WORK/lock")" "700 0"
check_eq "lock file mode and owner" "$(stat -c '%a %u' "$WORK/lock/leader.lock")" "600 0"
stop "$DAEMON"

# 2. nobody takes it while no agent runs (a restart), then an agent starts:
# it must lead.
as_nobody "$NOBODY_PY" "$WORK/hold.py" "$WORK/lock/leader.lock" >"$WORK/holder.out" 2>&1 &
HOLDER=$!
PIDS="$PIDS $HOLDER"
sleep 1
cat "$WORK/holder.out"
agent "$WORK/b.log" "$WORK/lock"
grep ' start role=' "$WORK/b.log"
grep -q ' start role=leader' "$WORK/b.log" ||
	fail "nobody holds the leader lock: the agent is a follower"
stop "$DAEMON"
stop "$HOLDER"

# 3. nobody makes the directory first, where every user may (a sticky
# world-writable parent, as /mnt/wsl is), with a lock file anyone can
# open, and holds it: the agent refuses them and says whose they are.
mkdir "$WORK/shared" && chmod 1777 "$WORK/shared"
as_nobody mkdir -m 0777 "$WORK/shared/wsldock"
as_nobody "$NOBODY_PY" "$WORK/hold.py" "$WORK/shared/wsldock/leader.lock" >"$WORK/holder2.out" 2>&1 &
HOLDER=$!
PIDS="$PIDS $HOLDER"
sleep 1
agent "$WORK/c.log" "$WORK/shared/wsldock"
grep -E ' (start )?role=' "$WORK/c.log"
grep -Eq 'role=follower .*errno=EPERM .*owned by uid 65534' "$WORK/c.log" ||
	fail "the agent did not refuse a lock directory that nobody owns, or did not say so"
stop "$DAEMON"
stop "$HOLDER"
finish
