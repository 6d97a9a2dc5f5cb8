#!/bin/sh
# Inside a tests/vm guest (bench/wsl-autoreclaim boots it: 6.12, PSI off,
# order 5, 4 GiB, an 8 GiB scratch disk): issue 17 item 3, WSL's own
# autoMemoryReclaim beside the agent.  Layout b of
# tests/vm/guest/wsl-launch (each distro under wsl-user/distro-<pid>, where
# the agent reaches the engine's cgroups), the agent running in the user
# distro with its defaults (`wsldock-agent run --foreground --bridge none`,
# as tests/vm/guest/dd-build.sh), a hot set and user cold cache as in
# levers-compare.sh, a legacy build of $WSLDOCK_DD_MIB MiB (default 1280).
#
# A model of WSL's init loop ($WSLDOCK_WSL_SETTING), run in the guest's
# root namespaces (where WSL's init runs).  WSL gates its action on 10 (released
# dropCache), 3 (released gradual) or 2 (reworked) idle minutes; the model
# does not wait: it fires at a fixed moment, WSL_AT s (default 40) after the
# build's end, once the agent has acted on the build:
#   disabled            nothing
#   dropcache-released  `echo 1 > drop_caches` once (released WSL 2.7/2.9)
#   dropcache-reworked  `echo 3 > drop_caches` once, then compact_memory
#                       (microsoft/WSL PR 41096)
#   gradual-released    every 10 s for 60 s (7 ticks): while MemTotal -
#                       MemFree > 1 GiB, 3 % of it to
#                       /sys/fs/cgroup/memory.reclaim (no swappiness=0);
#                       idle once a step's target is below 1 GiB, until
#                       in-use exceeds 1.1 GiB (microsoft/WSL
#                       src/linux/init/util.cpp before PR 41096)
#   gradual-reworked    every 10 s for 60 s: min(reclaimable - 128 MiB, step)
#                       "swappiness=0" to /sys/fs/cgroup/memory.reclaim,
#                       reclaimable = Active(file) + Inactive(file) +
#                       SReclaimable, step = MemTotal / 32 clamped to
#                       256 MiB..1 GiB; compact_memory after each reclaim
# Released WSL compacts in a loop of its own when user CPU stayed low: the
# model compacts once after each released action too.
#
# Figures: one line `wsl-result ...` and $WSLDOCK_VM_OUT/result.json.
set -u
. "$top_srcdir/tests/vm/guest-lib.sh"
SETTING=${WSLDOCK_WSL_SETTING:?disabled, dropcache-released, dropcache-reworked, gradual-released or gradual-reworked}
MIB=${WSLDOCK_DD_MIB:-1280}
COLD_MIB=${WSLDOCK_COLD_MIB:-600}
COLD_AGE=${WSLDOCK_COLD_AGE:-30}
WSL_AT=${WSLDOCK_WSL_AT:-40}
HOT_MIB=120
USER_MIB=2048
L="$top_srcdir/tests/vm/guest/wsl-launch"
OUT=$WSLDOCK_VM_OUT
CG=/sys/fs/cgroup
case "$SETTING" in
disabled | dropcache-released | dropcache-reworked | gradual-released | gradual-reworked) ;;
*) fail "WSLDOCK_WSL_SETTING: unknown setting '$SETTING'" ;;
esac
[ -n "${WSLDOCK_VM_SCRATCH:-}" ] || fail "no scratch disk for Docker's data (boot --scratch)"
[ -x "${WSLDOCK_AGENT:-}" ] || fail "WSLDOCK_AGENT is not set"
for t in dockerd docker busybox nsenter unshare fincore python3 blockdev; do
	command -v "$t" >/dev/null || fail "$t is missing in the guest image (tests/vm/prepare)"
done

meminfo() { awk -v k="$1:" '$1 == k { print $2 }' /proc/meminfo; }
file_kib() { echo $(($(meminfo 'Active(file)') + $(meminfo 'Inactive(file)'))); }
vmstat() { awk -v k="$1" '$1 == k { print $2 }' /proc/vmstat; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }
in_user() { "$L" exec user "$@"; }
resident_kib() {
	in_user sh -c "fincore -b -n -o RES $1" | awk '{ s += $1 } END { printf "%d", s / 1024 }'
}
frac() { awk -v a="$1" -v s="$2" 'BEGIN { printf "%.3f", (s > 0 ? a / s : 0) }'; }

# WSL's kernel is built without MGLRU (config-wsl: "# CONFIG_LRU_GEN is
# not set"); Debian's has it on.  The page-cache order of reclaim differs
# (MGLRU takes the oldest generation, hot or not; the classic lists take
# inactive pages first), so the guest runs WSL's way unless
# WSLDOCK_LRU_GEN=on.  Switched before the user's files and the build.
LRU_GEN=${WSLDOCK_LRU_GEN:-off}
case "$LRU_GEN" in
off) [ ! -e /sys/kernel/mm/lru_gen/enabled ] || echo n >/sys/kernel/mm/lru_gen/enabled ||
	fail "cannot turn MGLRU off" ;;
on) [ -e /sys/kernel/mm/lru_gen/enabled ] || fail "this kernel has no MGLRU" ;;
*) fail "WSLDOCK_LRU_GEN must be on or off" ;;
esac
echo "guest: $(uname -r), swap devices: $(awk 'NR > 1' /proc/swaps | wc -l), lru_gen: $(cat /sys/kernel/mm/lru_gen/enabled 2>/dev/null || echo absent), MemTotal $(meminfo MemTotal) KiB; setting $SETTING at +$WSL_AT s"

# The scratch disk in two (MBR): Docker Desktop's data disk, and the user
# distro's own 2 GiB disk (the guest's root file system has no room for the
# user's files), mounted on /home/u in the user distro only.
split_disk() {
	python3 - "$1" "$USER_MIB" <<'PY' || return 1
import os, struct, sys
fd = os.open(sys.argv[1], os.O_RDWR)
sectors = os.lseek(fd, 0, os.SEEK_END) // 512
p2 = (sectors - int(sys.argv[2]) * 2048) // 2048 * 2048
def entry(start, n):
    return struct.pack("<B3sB3sII", 0, bytes(3), 0x83, bytes(3), start, n)
mbr = bytearray(512)
mbr[446:462] = entry(2048, p2 - 2048)
mbr[462:478] = entry(p2, sectors - p2)
mbr[510:512] = b"\x55\xaa"
os.lseek(fd, 0, os.SEEK_SET)
os.write(fd, mbr)
os.fsync(fd)
PY
	blockdev --rereadpt "$1" || return 1
	for _ in $(seq 50); do [ -b "${1}2" ] && return 0; sleep 0.1; done
	return 1
}
split_disk "$WSLDOCK_VM_SCRATCH" || fail "cannot split $WSLDOCK_VM_SCRATCH in two partitions"
mkfs.ext4 -q -F -L user-distro "${WSLDOCK_VM_SCRATCH}2" || fail "mkfs.ext4 ${WSLDOCK_VM_SCRATCH}2 failed"

trap '"$L" stop' EXIT
"$L" setup b "${WSLDOCK_VM_SCRATCH}1" || fail "wsl-launch setup failed"
BIN=/mnt/wsl/.wsldock-bin
mkdir -p "$BIN" && cp "$WSLDOCK_AGENT" "$BIN/wsldock-agent" || fail "cannot copy the agent to $BIN"
"$L" start docker-desktop || fail "the docker-desktop distro did not start"
"$L" start user || fail "the user distro did not start"
in_user sh -c "mkdir -p /home/u && mount -t ext4 ${WSLDOCK_VM_SCRATCH}2 /home/u" ||
	fail "cannot mount the user distro's disk"
n=0
until in_user docker version >/dev/null 2>&1; do
	n=$((n + 1))
	[ $n -lt 240 ] || fail "dockerd did not answer in 120 s: $(tail -5 /mnt/wsl/.wsl-launch/dockerd.log)"
	sleep 0.5
done

in_user "$BIN/wsldock-agent" run --foreground --bridge none >"$OUT/agent.log" 2>&1 &
agent=$!
n=0
until grep -q ' start ' "$OUT/agent.log" 2>/dev/null; do
	n=$((n + 1))
	kill -0 "$agent" 2>/dev/null || fail "wsldock-agent run exited: $(tail -5 "$OUT/agent.log")"
	[ $n -lt 600 ] || fail "wsldock-agent run did not start in 60 s: $(tail -5 "$OUT/agent.log")"
	sleep 0.1
done
grep ' start ' "$OUT/agent.log" | head -1

# The user's files, around the page cache (O_DIRECT): cold read once, hot
# twice.
in_user sh -c "mkdir -p /home/u/hot /home/u/cold && n=0 && while [ \$n -lt $((COLD_MIB / 50)) ]; do
	dd if=/dev/zero of=/home/u/cold/c\$n bs=1M count=50 oflag=direct status=none || exit 1; n=\$((n + 1)); done &&
	for i in 1 2 3 4; do dd if=/dev/urandom of=/home/u/hot/f\$i bs=1M count=$((HOT_MIB / 4)) oflag=direct status=none || exit 1; done" ||
	fail "cannot write the user's files"
in_user sh -c 'cat /home/u/cold/* >/dev/null && cat /home/u/hot/* >/dev/null' || fail "cannot read the user's files"
sleep "$COLD_AGE"
in_user sh -c 'cat /home/u/hot/* >/dev/null'
hot_size=$(in_user sh -c 'fincore -b -n -o SIZE /home/u/hot/*' | awk '{ s += $1 } END { printf "%d", s / 1024 }')
echo "user cold cache: $(($(resident_kib '/home/u/cold/*') / 1024)) MiB resident; hot set $(($(resident_kib '/home/u/hot/*') / 1024)) MiB"

CTX=/var/tmp/ctx
mkdir -p "$CTX" && cp "$(command -v busybox)" "$CTX/busybox" || fail "cannot write the build context"
cat >"$CTX/Dockerfile" <<EOF
FROM scratch
COPY busybox /bin/busybox
SHELL ["/bin/busybox", "sh", "-c"]
RUN /bin/busybox mkdir /data && n=0 && while [ \$n -lt $((MIB / 64)) ]; do \\
	/bin/busybox dd if=/dev/zero of=/data/f\$n bs=1M count=64 2>/dev/null; n=\$((n + 1)); done
EOF
sync
sleep 3
f0=$(file_kib)
vm_mark build-start
t0=$(date +%s)
in_user env DOCKER_BUILDKIT=0 docker build --network=none -t wsldock-wsl "$CTX" >"$OUT/build.log" 2>&1 ||
	{ tail -20 "$OUT/build.log"; fail "docker build failed"; }
vm_mark build-end
te=$(now_ms)
f1=$(file_kib)
cache_kib=$((f1 - f0))
echo "build (legacy): $(($(date +%s) - t0)) s, page cache $f0 -> $f1 KiB (+$((cache_kib / 1024)) MiB)"
(while :; do echo "$(($(now_ms) - te)),$(file_kib),$(meminfo MemFree)"; sleep 1; done) >"$OUT/after.csv" &
sampler=$!
at() { while [ $(($(now_ms) - te)) -lt $(($1 * 1000)) ]; do sleep 0.2; done; }

# What the agent did alone, just before WSL's loop acts.
at $((WSL_AT - 2))
fw=$(file_kib)
hot_w=$(resident_kib '/home/u/hot/*')
cold_w=$(resident_kib '/home/u/cold/*')
acts_w=$(grep -c ' action ' "$OUT/agent.log")

# gradual_tick: one tick of the gradual model (released or reworked).
gradual_tick() {
	total=$(meminfo MemTotal)
	case "$SETTING" in
	gradual-released)
		# GetMemoryInUse(): totalram - freeram; MemoryLow 1 GiB, MemoryHigh
		# 1.1 GiB: once a step's target (97 %) falls below 1 GiB the loop
		# idles until in-use rises above 1.1 GiB again.
		used=$((total - $(meminfo MemFree)))
		[ "$used" -gt 1153433 ] && idling=0
		[ "$idling" -eq 0 ] && [ "$used" -gt 1048576 ] || return 0
		n=$((used * 1024 * 3 / 100))
		[ $((used - used * 3 / 100)) -lt 1048576 ] && idling=1
		arg=
		;;
	gradual-reworked)
		step=$((total * 1024 / 32))
		[ $step -lt 268435456 ] && step=268435456
		[ $step -gt 1073741824 ] && step=1073741824
		rec=$((($(meminfo 'Active(file)') + $(meminfo 'Inactive(file)') + $(meminfo SReclaimable)) * 1024 - 134217728))
		[ "$rec" -gt 0 ] || return 0
		n=$rec
		[ "$n" -gt "$step" ] && n=$step
		arg=" swappiness=0"
		;;
	esac
	if echo "$n$arg" >"$CG/memory.reclaim" 2>>"$OUT/wsl.err"; then
		reclaimed=$((reclaimed + n))
	else
		errors=$((errors + 1))
	fi
	ticks=$((ticks + 1))
	echo 1 >/proc/sys/vm/compact_memory
}

ticks=0 errors=0 reclaimed=0 idling=0
at "$WSL_AT"
vm_mark wsl-action
ta=$(now_ms)
case "$SETTING" in
disabled) ;;
dropcache-released) echo 1 >/proc/sys/vm/drop_caches && echo 1 >/proc/sys/vm/compact_memory ;;
dropcache-reworked) echo 3 >/proc/sys/vm/drop_caches && echo 1 >/proc/sys/vm/compact_memory ;;
gradual-*) gradual_tick ;;
esac
action_ms=$(($(now_ms) - ta))
hot_a=$(resident_kib '/home/u/hot/*')
cold_a=$(resident_kib '/home/u/cold/*')
case "$SETTING" in
gradual-*)
	k=1
	while [ $k -lt 7 ]; do
		at $((WSL_AT + 10 * k))
		gradual_tick
		k=$((k + 1))
	done
	;;
esac
at $((WSL_AT + 70))
kill "$sampler"
fe=$(file_kib)
hot_e=$(resident_kib '/home/u/hot/*')
cold_e=$(resident_kib '/home/u/cold/*')
# The user comes back to the hot set.
p0=$(vmstat pgpgin)
tr0=$(now_ms)
in_user sh -c 'cat /home/u/hot/* >/dev/null'
tr1=$(now_ms)
p1=$(vmstat pgpgin)

agent_host=$("$top_srcdir/tests/vm/rss-fall" "$OUT/rss.csv" build-end --window $((WSL_AT - 2)) --at 10,30) ||
	fail "no host-side figures (rss.csv)"
wsl_host=$("$top_srcdir/tests/vm/rss-fall" "$OUT/rss.csv" wsl-action --window 70 --at 10,30,60) ||
	fail "no host-side figures (rss.csv)"
echo "host, build-end: $agent_host"
echo "host, wsl-action: $wsl_host"
echo "agent's episodes and actions:"
grep -E ' (episode-start|episode-end|action|restore|unreachable) ' "$OUT/agent.log" | cut -c1-300 | tail -20
actions=$(grep ' action ' "$OUT/agent.log" | grep -v 'dry_run=true')
levers=$(echo "$actions" | sed -n 's/.* lever=\([^ ]*\) .* returned_bytes=\([0-9]*\).*/\1:\2/p' |
	awk -F: '{ b[$1] += $2 } END { for (l in b) printf "%s%s:%dMB", (n++ ? "," : ""), l, b[l] / 1e6 }')
acts_after=$(($(grep -c ' action ' "$OUT/agent.log") - acts_w))
kill -0 "$agent" 2>/dev/null || echo "the agent exited: $(tail -3 "$OUT/agent.log")"
python3 - "$OUT" "$agent_host" "$wsl_host" <<PY || fail "cannot write the result"
import json, sys
out, ah, wh = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3])
mib = lambda kib: round(kib / 1024)
r = {
    "setting": "$SETTING", "lru_gen": "$LRU_GEN", "cache_mib": mib($cache_kib),
    "agent_freed_mib": mib($f1 - $fw), "agent_host_30s_mib": round((ah["fall_at_gib"]["30"] or 0) * 1024),
    "agent_levers": "${levers:--}", "agent_actions_after_wsl": $acts_after,
    "hot_before_wsl": round($hot_w / $hot_size, 3), "hot_after_action": round($hot_a / $hot_size, 3),
    "hot_end": round($hot_e / $hot_size, 3), "hot_cost_mib": mib($hot_size - $hot_e),
    "reread_ms": $((tr1 - tr0)), "reread_pgpgin_mib": mib($p1 - $p0),
    "cold_before_wsl_mib": mib($cold_w), "cold_taken_action_mib": mib($cold_w - $cold_a),
    "cold_taken_mib": mib($cold_w - $cold_e),
    "wsl_freed_mib": mib($fw - $fe), "wsl_ticks": $ticks, "wsl_errors": $errors,
    "wsl_requested_mib": round($reclaimed / 2**20), "wsl_action_ms": $action_ms,
    "extra_host_30s_mib": round((wh["fall_at_gib"]["30"] or 0) * 1024),
    "extra_host_60s_mib": round((wh["fall_at_gib"]["60"] or 0) * 1024),
    "extra_host_max_mib": round(wh["fall_gib"] * 1024),
}
json.dump(r, open(out + "/result.json", "w"))
print("wsl-result " + " ".join(f"{k}={v}" for k, v in r.items()))
PY
