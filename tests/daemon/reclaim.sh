#!/bin/sh
# `wsldock-agent reclaim`: one decision on a real memory cgroup named like a
# Docker container's (docker/<64 hex>) holding 256 MiB of page cache.  The
# dry run names the cgroup lever, writes nothing (drop_pagecache does not
# move, the cache stays); the real run returns most of it and compacts.
# floor=16M: the test judges the lever, not how much cache the rest of this
# shared machine holds.
set -u
AGENT=${WSLDOCK_AGENT:?}
. "${top_srcdir:?run through make check}/tests/lib/common.sh"
need_root cgroups
require python3
require python3
V1=$(awk '$3 == "cgroup" && $4 ~ /(^|,)memory(,|$)/ { print $2; exit }' /proc/self/mounts)
V2=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/self/mounts)
if [ -n "$V1" ]; then
	MNT=$V1 LEVER=force_empty STAT=total_cache
elif [ -n "$V2" ] && grep -qw memory "$V2/cgroup.controllers"; then
	MNT=$V2 LEVER=memory.reclaim STAT=file
	grep -qw memory "$V2/cgroup.subtree_control" || fail "memory is not enabled for $V2's children"
else
	echo "SKIP: no memory controller (cgroup v1 or v2)"
	exit 77
fi
ID=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')
CG=$MNT/docker/$ID
WORK=$(mktemp -d /var/tmp/wsldock-reclaim.XXXXXX)
cleanup() {
	rm -rf "$WORK"
	[ -d "$CG" ] && rmdir "$CG"
	:
}
trap cleanup EXIT INT TERM
# force_empty on /docker evicts like a drop: never beside another
# machine-wide test.
machine_lock
mkdir -p "$CG" || fail "cannot create $CG"
sh -c 'echo $$ >"$0/cgroup.procs" && head -c 256M /dev/zero >"$1/data" && sync' "$CG" "$WORK" ||
	fail "cannot fill the cgroup's page cache"
cache() { awk -v k="$STAT" '$1 == k { print $2 }' "$CG/memory.stat"; }
drops() { awk '$1 == "drop_pagecache" { print $2 }' /proc/vmstat; }
before=$(cache)
[ "$before" -ge $((200 << 20)) ] || fail "the cgroup holds only $before bytes of cache"

# Another session on this machine may drop caches meanwhile: judge a round
# only when drop_pagecache did not move, up to 3 rounds.
n=0
while :; do
	n=$((n + 1))
	sh -c 'echo $$ >"$0/cgroup.procs" && cat "$1/data" >/dev/null' "$CG" "$WORK"
	before=$(cache)
	d0=$(drops)
	"$AGENT" reclaim --dry-run --json --set floor=16M >"$WORK/dry.json" || fail "reclaim --dry-run failed"
	after_dry=$(cache)
	[ "$(drops)" = "$d0" ] && break
	[ "$n" -lt 3 ] || fail "drop_pagecache moved in every round (another session drops caches)"
done
python3 - "$WORK/dry.json" "$LEVER" <<'PY' || fail "dry run: $(cat "$WORK/dry.json")"
import json, sys
d = json.load(open(sys.argv[1]))
a = d["actions"]
assert d["dry_run"] is True
assert a and a[0]["lever"] == sys.argv[2] and a[0]["reason"] == "manual", a[0]
assert a[0]["result"]["dry_run"] is True and a[0]["targeted_bytes"] > 0
assert a[-1]["lever"] == "compact"
PY
[ "$after_dry" -ge $((before * 9 / 10)) ] || fail "the dry run evicted: $before -> $after_dry"

"$AGENT" reclaim --json --set floor=16M >"$WORK/real.json" || fail "reclaim failed: $(cat "$WORK/real.json")"
python3 - "$WORK/real.json" "$LEVER" <<'PY' || fail "reclaim: $(cat "$WORK/real.json")"
import json, sys
d = json.load(open(sys.argv[1]))
a = d["actions"]
assert a[0]["lever"] == sys.argv[2] and a[0]["result"]["errno"] is None, a[0]
assert d["returned_bytes"] >= 200 << 20, d["returned_bytes"]
assert d["decision"]["reason"] == "done", d["decision"]
PY
after=$(cache)
[ "$after" -le $((before / 10)) ] || fail "the cgroup still holds $after of $before bytes"
"$AGENT" reclaim --lever bogus 2>/dev/null; [ $? -eq 2 ] || fail "--lever bogus: status not 2"
echo "reclaim: $LEVER returned $(( (before - after) >> 20 )) MiB; the dry run wrote nothing"
