#!/bin/sh
# Acceptance (issue 7): `wsldock-agent run --foreground --dry-run` under the
# build-like workload of build-like.sh writes nothing: the drop_pagecache
# counter of /proc/vmstat does not move, the agent (traced with strace -f)
# opens nothing for writing outside its leader-lock directory (not even
# /proc/pressure/memory for a PSI trigger), calls no
# posix_fadvise, syncfs or sync, and the workload's layer file is still
# cached 30 s after the build (no force_empty, memory.reclaim or fadvise
# evicted it); and it logs the decisions it would have taken (dry_run=true,
# a lever named).  Another session's drop_caches on this shared machine
# moves the counter too: the round is then run again (the trace tells whose
# it was).
set -u
. "${top_srcdir:-.}/tests/reclaim/lib.sh"
reclaim_require
command -v strace >/dev/null || fail "strace is missing (scripts/install-deps)"
ls /usr/src/linux-source-*.tar.xz >/dev/null 2>&1 ||
	fail "no /usr/src/linux-source-*.tar.xz (scripts/install-deps installs linux-source)"
WORK=$(scratch_dir reclaim)
trap 'rm -rf "$WORK"' EXIT INT TERM

# The agent under strace; SIGTERM from the bench reaches the agent itself.
TRACE="$WORK/trace"
# The suite hands every test a control socket path; a dry-run agent given
# one makes that socket (wsldock-agent(8), CONTROL SOCKET), which is not what
# this test is about: it runs the agent without one.
cat >"$WORK/agent" <<WRAP
#!/bin/sh
unset WSLDOCK_CONTROL_SOCKET
strace -I1 -f -qq -o "$TRACE" -e trace=open,openat,openat2,creat,truncate,mkdir,mkdirat,unlink,unlinkat,rename,renameat,renameat2,fadvise64,syncfs,sync,process_madvise \\
	"$WSLDOCK_AGENT" "\$@" &
spid=\$!
trap 'kill -TERM \$(cat /proc/\$spid/task/\$spid/children) 2>/dev/null; wait \$spid' TERM INT
wait \$spid
WRAP
chmod +x "$WORK/agent"

# Every round's trace must be clean; the counter and the layer file are
# judged on a round no other session disturbed (bench/reclaim tells).
n=0
while :; do
	n=$((n + 1))
	rm -rf "$WORK/r.d" "$TRACE"
	"$BENCH" once --agent "$WORK/agent" --agent-arg=--dry-run --dir "$WORK" --out "$WORK/r.d" \
		--workload tarball --policy wsldock --load 2 --window 30 >"$WORK/r.json" 2>"$WORK/r.err" ||
		{ cat "$WORK/r.err"; fail "the benchmark round failed"; }
	show_round "$WORK/r.json"
	python3 - "$TRACE" "$WORK/r.d/lock" <<'PY' || fail "the dry-run agent wrote"
import re, sys
bad = []
for line in open(sys.argv[1]):
    m = re.search(r'(\w+)\((.*)', line)
    if not m:
        continue
    call, rest = m.groups()
    if call in ("fadvise64", "syncfs", "sync", "process_madvise", "truncate", "unlink",
                "unlinkat", "rename", "renameat", "renameat2", "mkdir", "mkdirat", "creat"):
        bad.append(line.strip())
    elif call in ("open", "openat", "openat2"):
        path = re.search(r'"([^"]*)"', rest)
        if re.search(r'O_WRONLY|O_RDWR|O_CREAT|O_TRUNC|O_APPEND', rest):
            p = path.group(1) if path else ""
            if not p.startswith(sys.argv[2] + "/"):
                bad.append(line.strip())
for b in bad[:20]:
    print("wrote:", b)
sys.exit(1 if bad else 0)
PY
	delta=$(json "$WORK/r.json" 'd["drop_pagecache_delta"]')
	[ "$(json "$WORK/r.json" 'd["disturbed"]')" = False ] && [ "$delta" -eq 0 ] && break
	why=$(json "$WORK/r.json" '"foreign agents %s, drop_pagecache moved by %s" % (d["foreign_agents"], d["drop_pagecache_delta"])')
	[ "$n" -lt 3 ] || fail "cannot judge: another session disturbed all $n rounds ($why)"
	echo "round disturbed by another session ($why; the trace shows it was not ours): again" >&2
done
log=$(json "$WORK/r.json" 'd["policy_log"]')
grep -E ' decision ' "$log" | tail -5
grep -E ' decision .*lever=[a-z_-]+ .*dry_run=true' "$log" | grep -qv 'lever=none' ||
	fail "no decision with a lever was logged (see $log)"
[ "$(json "$WORK/r.json" 'd["layer_resident"]["30"] >= 0.9')" = True ] ||
	fail "the workload's layer file was evicted during the dry run"
echo "dry run: decisions logged, nothing written"
