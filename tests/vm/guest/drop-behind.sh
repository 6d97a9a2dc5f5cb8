#!/bin/sh
# Inside a tests/vm guest (bench/vm-drop-behind boots it: 6.12, PSI off,
# order 5, a scratch disk as Docker Desktop's data disk): one run of issue
# 18 item 4's drop-behind benchmark, for one arm (agent arguments).  The
# Docker-Desktop-like topology of tests/vm/guest/wsl-launch, as
# tests/vm/guest/dd-build.sh sets it up: dockerd in `docker-desktop`, the
# agent (`wsldock-agent run --foreground --bridge none ARGS`) in the user
# distro `user`, the build run from there through the proxied socket.
#
# Environment (boot --env):
#   WSLDOCK_DB_ARGS     the agent's extra arguments, split on blanks
#                       (e.g. "--set drop_behind=yes"); empty: its defaults
#   WSLDOCK_DB_ARM      a label for the result line (default "arm")
#   WSLDOCK_DB_MIB      MiB the RUN steps write, in 64 MiB files (default 4096)
#   WSLDOCK_DB_STEPS    RUN steps they are split into (default 1)
#   WSLDOCK_DB_BUILDER  buildkit (default, Docker Desktop's) or legacy
#   WSLDOCK_DB_LAYOUT   wsl-launch layout (default b)
#   WSLDOCK_DB_AFTER    seconds watched after the build's end (default 30)
#   WSLDOCK_DB_HOST_LOW 1: Windows runs low on memory as the build starts.
#                       A real wsldock-bridge runs in the guest outside the
#                       distros (as on Windows), reading a host meminfo file
#                       (the one thing faked: Windows' memory) that falls
#                       below its --low-memory when the build starts; the
#                       agent is enrolled through tests/bridge/fake-wsl
#                       (wsl.exe cannot exist here) and reports to it over a
#                       unix socket in /mnt/wsl (AF_VSOCK on WSL) instead of
#                       `--bridge none`.  Low from the start, host pressure's
#                       own steps (root cgroup) would run before the build
#                       and take the hot set the user read once.
#   WSLDOCK_DB_CHECK    1: judge the run (tests/vm/dd-b-host-low.sh): the
#                       agent heard the host was low, drop-behind stepped
#                       while the build ran, the build held at most
#                       WSLDOCK_DB_HELD_MAX (default 0.6) of what it wrote at
#                       its end, the hot set stayed >= 0.9 resident.
#
# Measured (guest side; the host side is bench/vm-drop-behind's):
#   written   what the build wrote: the growth of /proc/vmstat nr_dirtied
#             from the build's start to its end (pages made dirty: the RUN
#             steps' files and the engine's layer commit, with the context
#             and metadata; the guest does nothing else meanwhile).  The
#             growth of Active+Inactive(file) cannot tell it once
#             drop-behind gives pages back while the build runs.
#   held_end  the page cache the episode holds at the build's end:
#             Active+Inactive(file) at the end minus just before the build.
#   hot       the 120 MiB hot set's residency (fincore, in the user
#             distro), read just before the build, at its end and
#             WSLDOCK_DB_AFTER s after.
#   actions   the agent's `action` lines (not dry-run): those with
#             reason=drop-behind (count, returned_bytes) and every lever's
#             returned_bytes, split at the build's end by their time_ms.
# Marks for the host's rss.csv: build-start, build-end, after.
# Output: one line `drop-behind-run key=value...` and $WSLDOCK_VM_OUT/result.json.
# Fails (exit 1, said why) only when the run could not be made: the
# figures are judged by the bench, not here.
set -u
. "$top_srcdir/tests/vm/guest-lib.sh"
LAYOUT=${WSLDOCK_DB_LAYOUT:-b}
BUILDER=${WSLDOCK_DB_BUILDER:-buildkit}
MIB=${WSLDOCK_DB_MIB:-4096}
STEPS=${WSLDOCK_DB_STEPS:-1}
ARM=${WSLDOCK_DB_ARM:-arm}
ARGS=${WSLDOCK_DB_ARGS:-}
AFTER=${WSLDOCK_DB_AFTER:-30}
HOST_LOW=${WSLDOCK_DB_HOST_LOW:-0}
CHECK=${WSLDOCK_DB_CHECK:-0}
HELD_MAX=${WSLDOCK_DB_HELD_MAX:-0.6}
HOT_MIB=120
L="$top_srcdir/tests/vm/guest/wsl-launch"
OUT=$WSLDOCK_VM_OUT
case "$BUILDER" in legacy) bk=0 ;; buildkit) bk=1 ;; *) fail "WSLDOCK_DB_BUILDER must be legacy or buildkit, not '$BUILDER'" ;; esac
case "$MIB$STEPS$AFTER" in *[!0-9]*) fail "WSLDOCK_DB_MIB, WSLDOCK_DB_STEPS and WSLDOCK_DB_AFTER must be whole numbers" ;; esac
[ "$MIB" -ge 64 ] && [ "$STEPS" -ge 1 ] && [ $((MIB / 64)) -ge "$STEPS" ] ||
	fail "WSLDOCK_DB_MIB ($MIB) must give each of the $STEPS RUN step(s) at least one 64 MiB file"
[ -n "${WSLDOCK_VM_SCRATCH:-}" ] || fail "no scratch disk for Docker's data (boot --scratch)"
[ -x "${WSLDOCK_AGENT:-}" ] || fail "WSLDOCK_AGENT is not set"
for t in dockerd docker busybox nsenter unshare fincore python3; do
	command -v "$t" >/dev/null || fail "$t is missing in the guest image (tests/vm/prepare)"
done

bridge=
trap '[ -z "$bridge" ] || kill "$bridge" 2>/dev/null; "$L" stop' EXIT
"$L" setup "$LAYOUT" "$WSLDOCK_VM_SCRATCH" || fail "wsl-launch setup failed"
# The user distro's /tmp is its own: the agent goes to the shared /mnt/wsl
# (as dd-build.sh does).
BIN=/mnt/wsl/.wsldock-bin
mkdir -p "$BIN" && cp "$WSLDOCK_AGENT" "$BIN/wsldock-agent" || fail "cannot copy the agent to $BIN"
"$L" start docker-desktop || fail "the docker-desktop distro did not start"
"$L" start user || fail "the user distro did not start"
in_user() { "$L" exec user "$@"; }
n=0
until in_user docker version >/dev/null 2>&1; do
	n=$((n + 1))
	[ $n -lt 240 ] || fail "dockerd did not answer on the user distro's /var/run/docker.sock in 120 s: $(tail -5 /mnt/wsl/.wsl-launch/dockerd.log)"
	sleep 0.5
done
echo "engine from the user distro: $(in_user docker info --format '{{.Name}} {{.OperatingSystem}} cgroup={{.CgroupDriver}} v{{.CgroupVersion}} {{.ServerVersion}}')"

# Windows low on memory: the bridge, outside the distros as on Windows,
# reads a host meminfo with 16 of 32 GiB available, 1 GiB once the build
# starts (its default threshold is 10 %).  Its socket and the agent's key
# are in the shared /mnt/wsl.
BRIDGE_ARG=none AGENT_ENV=
B=/mnt/wsl/.wsldock-bridge
host_mem() { # available KiB
	printf 'MemTotal:       33554432 kB\nMemFree:        %s kB\nMemAvailable:   %s kB\n' "$1" "$1" >"$B/meminfo.new" &&
		mv "$B/meminfo.new" "$B/meminfo"
}
if [ "$HOST_LOW" = 1 ]; then
	mkdir -p "$B" && host_mem 16777216 || fail "cannot write the host's meminfo in $B"
	"$top_builddir/windows-bridge/wsldock-bridge" run --listen "unix:$B/sock" --meminfo "$B/meminfo" \
		--host-interval 200 --state-dir "$B/state" >"$OUT/bridge.log" 2>&1 &
	bridge=$!
	WSLDOCK_WSL_EXE="$top_srcdir/tests/bridge/fake-wsl" FAKE_WSL_KEYS="$B/keys" WSLDOCK_AGENT="$BIN/wsldock-agent" \
		"$top_builddir/windows-bridge/wsldock-bridge" enroll user --state-dir "$B/state" >"$OUT/enroll.log" 2>&1 ||
		fail "wsldock-bridge enroll user failed: $(tail -3 "$OUT/enroll.log")"
	BRIDGE_ARG=unix:$B/sock AGENT_ENV="WSLDOCK_BRIDGE_KEY=$B/keys/user.key WSL_DISTRO_NAME=user"
fi

# The agent, in the user distro only: its defaults plus the arm's arguments.
# shellcheck disable=SC2086
in_user env $AGENT_ENV "$BIN/wsldock-agent" run --foreground --bridge "$BRIDGE_ARG" $ARGS >"$OUT/agent.log" 2>&1 &
agent=$!
n=0
until grep -q ' start ' "$OUT/agent.log" 2>/dev/null; do
	n=$((n + 1))
	kill -0 "$agent" 2>/dev/null || fail "wsldock-agent run $ARGS exited: $(tail -5 "$OUT/agent.log")"
	[ $n -lt 600 ] || fail "wsldock-agent run did not start in 60 s: $(tail -5 "$OUT/agent.log")"
	sleep 0.1
done
if [ "$HOST_LOW" = 1 ]; then
	n=0
	until grep -q 'bridge host_low=0' "$OUT/agent.log" 2>/dev/null; do
		n=$((n + 1))
		[ $n -lt 300 ] || fail "the agent did not hear the host's memory from the bridge in 30 s: $(tail -5 "$OUT/agent.log") / $(tail -5 "$OUT/bridge.log")"
		sleep 0.1
	done
fi
echo "agent ($ARM: run --foreground --bridge $BRIDGE_ARG $ARGS): $(grep ' start ' "$OUT/agent.log" | head -1 | cut -c1-300)"

# The user's hot set: files in the user distro, read there.
in_user sh -c "mkdir -p /var/tmp/hot && for i in 1 2 3 4; do
	dd if=/dev/urandom of=/var/tmp/hot/f\$i bs=1M count=$((HOT_MIB / 4)) status=none; done; sync" ||
	fail "cannot write the hot set"
hot_read() { in_user sh -c 'cat /var/tmp/hot/f* >/dev/null'; }
hot_res() {
	in_user sh -c 'fincore -b -n -o RES,SIZE /var/tmp/hot/f*' |
		awk '{ r += $1; s += $2 } END { if (s) printf "%.3f", r / s; else print 0 }'
}

# The build context, on the root file system every distro shares.  Each RUN
# step writes its share of the MiB in 64 MiB files, as dd-build.sh's does.
CTX=/var/tmp/ctx
mkdir -p "$CTX" && cp "$(command -v busybox)" "$CTX/busybox" || fail "cannot write the build context"
files=$((MIB / 64))
{
	echo "FROM scratch"
	echo "COPY busybox /bin/busybox"
	echo 'SHELL ["/bin/busybox", "sh", "-c"]'
	s=0 first=0
	while [ $s -lt "$STEPS" ]; do
		last=$(((s + 1) * files / STEPS))
		echo "RUN /bin/busybox mkdir -p /data && n=$first && while [ \$n -lt $last ]; do \\"
		echo "	/bin/busybox dd if=/dev/zero of=/data/f\$n bs=1M count=64 2>/dev/null; n=\$((n + 1)); done"
		first=$last s=$((s + 1))
	done
} >"$CTX/Dockerfile"
run_mib=$((files * 64))

file_kib() {
	awk '$1 == "Active(file):" || $1 == "Inactive(file):" { s += $2 } END { print s }' /proc/meminfo
}
dirtied() { awk '$1 == "nr_dirtied" { print $2 }' /proc/vmstat; }
now_ms() { date +%s%3N; }

sync
sleep 3
hot_read || fail "cannot read the hot set"
hot0=$(hot_res)
f0=$(file_kib)
d0=$(dirtied)
vm_mark build-start
t0=$(now_ms)
[ "$HOST_LOW" != 1 ] || host_mem 1048576 || fail "cannot write the host's meminfo in $B"
in_user env DOCKER_BUILDKIT=$bk docker build --network=none -t wsldock-db "$CTX" >"$OUT/build.log" 2>&1 ||
	{ tail -20 "$OUT/build.log"; fail "docker build ($BUILDER) failed"; }
t1=$(now_ms)
vm_mark build-end
f1=$(file_kib)
d1=$(dirtied)
hot1=$(hot_res)
i=0
: >"$OUT/after.csv"
while [ $i -lt "$AFTER" ]; do
	sleep 1
	i=$((i + 1))
	echo "$i,$(file_kib)" >>"$OUT/after.csv"
done
hot2=$(hot_res)
vm_mark after
alive=True
kill -0 "$agent" 2>/dev/null || { alive=False; agent_gone="the agent exited: $(tail -3 "$OUT/agent.log")"; }

# The agent's actions, by their time_ms: during the build and after it.
python3 - "$OUT/agent.log" "$t0" "$t1" "$OUT/actions.json" <<'EOF' || fail "cannot read the agent's log"
import json, sys
log, t0, t1, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
acts = []
for line in open(log, errors="replace"):
    if " action " not in line:
        continue
    kv = dict(w.split("=", 1) for w in line.split(" detail=")[0].split() if "=" in w)
    if kv.get("dry_run") in ("1", "true"):
        continue
    got = kv.get("returned_bytes", "0")
    t = kv.get("time_ms", "")
    t = int(t) if t.isdigit() else None
    acts.append({"t_ms": None if t is None else t - t0, "in_build": t is not None and t <= t1,
                 "lever": kv.get("lever", "?"), "reason": kv.get("reason", "?"),
                 "returned_bytes": int(got) if got.isdigit() else 0})
json.dump(acts, open(out, "w"), indent=1)
EOF

wall_ms=$((t1 - t0))
written_kib=$(((d1 - d0) * 4))
held_kib=$((f1 - f0))
python3 - "$OUT/actions.json" "$OUT/result.json" <<EOF || fail "cannot write result.json"
import json, os, sys
acts = json.load(open(sys.argv[1]))
db = [a for a in acts if a["reason"] == "drop-behind"]
levers = {}
for a in acts:
    k = "%s:%s" % (a["lever"], a["reason"])
    levers[k] = levers.get(k, 0) + a["returned_bytes"]
res = {
    "arm": os.environ.get("WSLDOCK_DB_ARM", "arm"), "args": os.environ.get("WSLDOCK_DB_ARGS", ""),
    "builder": "$BUILDER", "layout": "$LAYOUT",
    "run_mib": $run_mib, "steps": $STEPS, "wall_s": $wall_ms / 1000,
    "written_bytes": $written_kib * 1024, "held_end_bytes": $held_kib * 1024,
    "held_share": ($held_kib / $written_kib) if $written_kib > 0 else None,
    "hot_before": $hot0, "hot_end": $hot1, "hot_after": $hot2, "after_s": $AFTER,
    "db_actions": len(db), "db_bytes": sum(a["returned_bytes"] for a in db),
    "db_actions_in_build": len([a for a in db if a["in_build"]]),
    "db_bytes_in_build": sum(a["returned_bytes"] for a in db if a["in_build"]),
    "returned_in_build_bytes": sum(a["returned_bytes"] for a in acts if a["in_build"] and a["lever"] != "compact"),
    "returned_after_bytes": sum(a["returned_bytes"] for a in acts if not a["in_build"] and a["lever"] != "compact"),
    "drop_caches_in_build": len([a for a in acts if a["in_build"] and a["lever"] == "drop_caches"]),
    "levers": levers,
    "agent_alive": $alive,
}
json.dump(res, open(sys.argv[2], "w"), indent=1)
print("drop-behind-run arm=%s builder=%s run_mib=%d wall_s=%.1f written_mib=%.0f held_end_mib=%.0f"
      " held_share=%s hot_end=%.3f hot_after=%.3f db_actions=%d db_mib=%.0f db_in_build=%d"
      " returned_in_build_mib=%.0f returned_after_mib=%.0f drops_in_build=%d levers=%s" % (
      res["arm"], res["builder"], res["run_mib"], res["wall_s"], res["written_bytes"] / 2**20,
      res["held_end_bytes"] / 2**20,
      "-" if res["held_share"] is None else "%.3f" % res["held_share"], res["hot_end"],
      res["hot_after"], res["db_actions"], res["db_bytes"] / 2**20, res["db_actions_in_build"],
      res["returned_in_build_bytes"] / 2**20, res["returned_after_bytes"] / 2**20,
      res["drop_caches_in_build"],
      ",".join("%s=%d" % (k, v >> 20) for k, v in sorted(levers.items())) or "-"))
EOF
echo "build ($BUILDER, $STEPS RUN step(s), $run_mib MiB): $((wall_ms / 1000)) s; nr_dirtied +$((written_kib / 1024)) MiB;" \
	"page cache $f0 -> $f1 KiB; hot set $hot0 before, $hot1 at the end, $hot2 ${AFTER} s after"
echo "agent's actions (last 12):"
grep ' action ' "$OUT/agent.log" | cut -c1-300 | tail -12
[ -z "${agent_gone:-}" ] || fail "$agent_gone"
if [ "$CHECK" = 1 ]; then
	python3 - "$OUT/result.json" "$HELD_MAX" <<'EOF2' || fail "the run missed what tests/vm/dd-b-host-low.sh checks (above)"
import json, sys
r, held_max = json.load(open(sys.argv[1])), float(sys.argv[2])
bad = []
if r["db_actions_in_build"] < 1:
    bad.append("no drop-behind step while the build ran")
if r["held_share"] is None or r["held_share"] > held_max:
    bad.append("the build held %s of what it wrote at its end (> %.2f)" % (r["held_share"], held_max))
if r["hot_end"] < 0.9:
    bad.append("the hot set was %.3f resident at the build's end (< 0.9)" % r["hot_end"])
for b in bad:
    print("FAIL: " + b)
sys.exit(1 if bad else 0)
EOF2
	grep -q 'bridge host_low=1' "$OUT/agent.log" ||
		fail "the agent never heard from the bridge that the host is low: $(tail -3 "$OUT/bridge.log")"
	grep -q 'reason=drop-behind .*Windows low on memory' "$OUT/agent.log" ||
		fail "no drop-behind decision says Windows is low on memory: $(grep 'drop-behind' "$OUT/agent.log" | tail -2)"
	echo "PASS: Windows low on memory: drop-behind stepped while the build ran and it held at most $HELD_MAX of what it wrote at its end"
fi
sleep 2  # the host's rss.csv rows up to the last mark
