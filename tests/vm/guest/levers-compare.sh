#!/bin/sh
# Inside a tests/vm guest (bench/vm-levers boots it: 6.12, PSI off, order 5,
# 4 GiB, an 8 GiB data disk): issue 17 item 2, layout a.  The engine's
# cache sits in the root cgroup and its files are out of the user distro's
# reach, so only two levers are left for what a build leaves; this script
# applies one of them, $WSLDOCK_LEVER, after the same build as
# tests/vm/guest/dd-build.sh (layout a, legacy builder, a RUN step of
# $WSLDOCK_DD_MIB MiB, default 1280) with the agent NOT running:
#
#   root-reclaim  `sync`, then "<step> swappiness=0" (no swappiness=0 where
#                 the kernel refuses it: said) written to
#                 /sys/fs/cgroup/memory.reclaim in steps of 256 MiB until
#                 the bytes the build left are reached or the kernel says
#                 EAGAIN
#   drop-caches   `sync; echo 3 > /proc/sys/vm/drop_caches`
#
# then the hot set is read back (cat, as the agent's restore does).
# The scratch disk is split in two (MBR): Docker Desktop's data disk and,
# 2 GiB, the user distro's own disk (WSL gives each distro an ext4.vhdx of
# its own; the guest's root file system has no room for the user's files),
# mounted on /home/u in the user distro only.
# The user distro holds, before the build: $WSLDOCK_COLD_MIB MiB (default
# 600) of "user cold cache" (files written with O_DIRECT and read once,
# then left alone for $WSLDOCK_COLD_AGE s) and a 120 MiB hot set (written
# with O_DIRECT, read twice: once before the cold files age, once just
# before the build).
#
# Figures (one line `levers-result ...`, and $WSLDOCK_VM_OUT/result.json):
#   cache_mib     Active(file)+Inactive(file) growth over the build
#   lever_ms      wall time of the lever (sync included); sync_ms apart
#   freed_10s_mib fall of Active(file)+Inactive(file) from just before the
#                 lever to 10 s after it (the hot set's read-back included)
#   host_10s_mib, host_30s_mib  fall of QEMU's RssAnon 10 / 30 s after the
#                 lever's mark (tests/vm/rss-fall)
#   hot_after     the hot set's residency right after the lever (fincore,
#                 before any read-back)
#   hot_cost_mib  bytes of the hot set not resident then (what the
#                 read-back must fetch); reread_ms and reread_pgpgin_mib
#                 (/proc/vmstat pgpgin over the read-back) measure it
#   cold_before_mib, cold_taken_mib  the user cold cache resident before
#                 the lever, and how much of it the lever evicted
#   steps, eagain root-reclaim only: writes done, whether one ended EAGAIN
set -u
. "$top_srcdir/tests/vm/guest-lib.sh"
LEVER=${WSLDOCK_LEVER:?root-reclaim or drop-caches}
MIB=${WSLDOCK_DD_MIB:-1280}
COLD_MIB=${WSLDOCK_COLD_MIB:-600}
COLD_AGE=${WSLDOCK_COLD_AGE:-30}
HOT_MIB=120
STEP=268435456
L="$top_srcdir/tests/vm/guest/wsl-launch"
OUT=$WSLDOCK_VM_OUT
CG=/sys/fs/cgroup
case "$LEVER" in root-reclaim | drop-caches) ;; *) fail "WSLDOCK_LEVER must be root-reclaim or drop-caches" ;; esac
[ -n "${WSLDOCK_VM_SCRATCH:-}" ] || fail "no scratch disk for Docker's data (boot --scratch)"
for t in dockerd docker busybox nsenter unshare fincore python3; do
	command -v "$t" >/dev/null || fail "$t is missing in the guest image (tests/vm/prepare)"
done

file_kib() {
	awk '$1 == "Active(file):" || $1 == "Inactive(file):" { s += $2 } END { print s }' /proc/meminfo
}
vmstat() { awk -v k="$1" '$1 == k { print $2 }' /proc/vmstat; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }
# resident_kib GLOB: bytes of the files resident in the page cache (KiB).
resident_kib() {
	in_user sh -c "fincore -b -n -o RES $1" | awk '{ s += $1 } END { printf "%d", s / 1024 }'
}
in_user() { "$L" exec user "$@"; }

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
swaps=$(awk 'NR > 1' /proc/swaps | wc -l)
echo "guest: $(uname -r), swap devices: $swaps ($(awk 'NR > 1 { printf "%s ", $1 }' /proc/swaps)), lru_gen: $(cat /sys/kernel/mm/lru_gen/enabled 2>/dev/null || echo absent), MemTotal $(awk '/^MemTotal:/ { print $2 }' /proc/meminfo) KiB"
[ -e "$CG/memory.reclaim" ] || fail "the root cgroup has no memory.reclaim on $(uname -r)"

# split_disk DISK: two primary partitions, the second USER_MIB long.
USER_MIB=2048
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
"$L" setup a "${WSLDOCK_VM_SCRATCH}1" || fail "wsl-launch setup failed"
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

# The user's files, written around the page cache (O_DIRECT), so that only
# the reads below put them there: cold read once, hot read twice.
in_user sh -c "mkdir -p /home/u/hot /home/u/cold && n=0 && while [ \$n -lt $((COLD_MIB / 50)) ]; do
	dd if=/dev/zero of=/home/u/cold/c\$n bs=1M count=50 oflag=direct status=none || exit 1; n=\$((n + 1)); done &&
	for i in 1 2 3 4; do dd if=/dev/urandom of=/home/u/hot/f\$i bs=1M count=$((HOT_MIB / 4)) oflag=direct status=none || exit 1; done" ||
	fail "cannot write the user's files"
in_user sh -c 'cat /home/u/cold/* >/dev/null && cat /home/u/hot/* >/dev/null' || fail "cannot read the user's files"
sleep "$COLD_AGE"
in_user sh -c 'cat /home/u/hot/* >/dev/null'
cold0=$(resident_kib '/home/u/cold/*')
echo "user cold cache: $((cold0 / 1024)) MiB resident; hot set $(($(resident_kib '/home/u/hot/*') / 1024)) MiB"

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
in_user env DOCKER_BUILDKIT=0 docker build --network=none -t wsldock-levers "$CTX" >"$OUT/build.log" 2>&1 ||
	{ tail -20 "$OUT/build.log"; fail "docker build failed"; }
vm_mark build-end
f1=$(file_kib)
cache_kib=$((f1 - f0))
echo "build (legacy): $(($(date +%s) - t0)) s, page cache $f0 -> $f1 KiB (+$((cache_kib / 1024)) MiB)"
hot1=$(resident_kib '/home/u/hot/*')
cold1=$(resident_kib '/home/u/cold/*')

# The lever.
want=$((cache_kib * 1024))
steps=0 eagain=0 arg=" swappiness=0"
fb=$(file_kib)
vm_mark lever
ta=$(now_ms)
# The guest's side, sampled from the lever's start: ms since, file KiB.
(while :; do echo "$(($(now_ms) - ta)),$(file_kib)"; sleep 0.5; done) >"$OUT/after.csv" &
sampler=$!
sync
tsync=$(now_ms)
case "$LEVER" in
drop-caches)
	echo 3 >/proc/sys/vm/drop_caches || fail "drop_caches refused"
	;;
root-reclaim)
	done_b=0
	while [ "$done_b" -lt "$want" ]; do
		s=$((want - done_b))
		[ "$s" -gt "$STEP" ] && s=$STEP
		if echo "$s$arg" 2>"$OUT/reclaim.err" >"$CG/memory.reclaim"; then
			done_b=$((done_b + s)) steps=$((steps + 1))
		elif [ -n "$arg" ] && grep -q 'Invalid argument' "$OUT/reclaim.err"; then
			echo "memory.reclaim refuses swappiness=0 on $(uname -r): without it"
			arg=
		elif grep -q 'temporarily unavailable' "$OUT/reclaim.err"; then
			eagain=1
			break
		else
			fail "memory.reclaim: $(cat "$OUT/reclaim.err")"
		fi
	done
	;;
esac
tb=$(now_ms)
fa=$(file_kib)
hot2=$(resident_kib '/home/u/hot/*')
cold2=$(resident_kib '/home/u/cold/*')
# The read-back, as the agent's restore does.
p0=$(vmstat pgpgin)
tr0=$(now_ms)
in_user sh -c 'cat /home/u/hot/* >/dev/null'
tr1=$(now_ms)
p1=$(vmstat pgpgin)
hot_size=$(in_user sh -c 'fincore -b -n -o SIZE /home/u/hot/*' | awk '{ s += $1 } END { printf "%d", s / 1024 }')
while [ $(($(now_ms) - ta)) -lt 32000 ]; do sleep 1; done
kill "$sampler"
f10=$(awk -F, '$1 <= 10000 { v = $2 } END { print v }' "$OUT/after.csv")
host=$("$top_srcdir/tests/vm/rss-fall" "$OUT/rss.csv" lever --window 30 --at 10,30) || fail "no host-side figures (rss.csv)"
echo "host: $host"
echo "$host" | python3 -c '
import json, sys
h = json.load(sys.stdin)
v = dict(x.split("=", 1) for x in sys.argv[1:])
def num(x):
    try:
        return int(x)
    except ValueError:
        try:
            return float(x)
        except ValueError:
            return x
r = {k: num(x) for k, x in v.items()}
r["host_10s_mib"] = round((h["fall_at_gib"]["10"] or 0) * 1024)
r["host_30s_mib"] = round((h["fall_at_gib"]["30"] or 0) * 1024)
r["host_t90_s"] = h["t90_s"]
out = r.pop("out")
r["lru_gen"] = "'"$LRU_GEN"'"
json.dump(r, open(out + "/result.json", "w"))
print("levers-result " + " ".join(f"{k}={x}" for k, x in r.items()))
' out="$OUT" lever="$LEVER" cache_mib=$((cache_kib / 1024)) lever_ms=$((tb - ta)) sync_ms=$((tsync - ta)) \
	file_before_lever_mib=$((fb / 1024)) file_after_lever_mib=$((fa / 1024)) \
	freed_10s_mib=$(((fb - f10) / 1024)) \
	hot_before="$(awk -v a="$hot1" -v s="$hot_size" 'BEGIN { printf "%.3f", a / s }')" \
	hot_after="$(awk -v a="$hot2" -v s="$hot_size" 'BEGIN { printf "%.3f", a / s }')" \
	hot_cost_mib=$(((hot_size - hot2) / 1024)) reread_ms=$((tr1 - tr0)) \
	reread_pgpgin_mib=$(((p1 - p0) / 1024)) \
	cold_before_mib=$((cold1 / 1024)) cold_taken_mib=$(((cold1 - cold2) / 1024)) \
	steps=$steps eagain=$eagain swappiness0="$([ -n "$arg" ] && echo yes || echo no)" swaps="$swaps" ||
	fail "cannot write the result"
