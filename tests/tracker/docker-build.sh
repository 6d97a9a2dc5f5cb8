#!/bin/sh
# A real `docker build` (legacy builder, DOCKER_BUILDKIT=0, --network=none)
# on a private dockerd started here: a RUN step writes tens of MiB, and the
# page cache the build adds must be classified docker-build or
# docker-daemon, never docker-container or other.  The dockerd is stopped by
# its pid; the test skips only when dockerd cannot start.
set -u
. "${top_srcdir:-.}/tests/tracker/lib.sh"
tracker_require
need_tracefs "$@"
for t in dockerd docker busybox; do
	command -v "$t" >/dev/null || skip "$t is not installed (docker.io, busybox-static)"
done
BUSYBOX=$(command -v busybox)
ldd "$BUSYBOX" 2>&1 | grep -q 'not a dynamic executable' ||
	skip "$BUSYBOX is not static (install busybox-static)"

MIB=48
# The data root stays on a disk file system (page cache, not shmem); the
# socket lives in a short /tmp path (sun_path is 108 bytes).
WORK=$(scratch_dir tracker)
SOCKDIR=$(mktemp -d /tmp/wsldock-dockerd.XXXXXX)
DATA="$WORK/data-root"
EXEC="$SOCKDIR/exec"
PIDFILE="$SOCKDIR/dockerd.pid"
export DOCKER_HOST="unix://$SOCKDIR/docker.sock"
DOCKERD_PID=
AGENT_PID=
cleanup() {
	[ -n "$AGENT_PID" ] && kill "$AGENT_PID" 2>/dev/null
	if [ -n "$DOCKERD_PID" ]; then
		kill "$DOCKERD_PID" 2>/dev/null
		i=0
		while kill -0 "$DOCKERD_PID" 2>/dev/null && [ "$i" -lt 200 ]; do
			sleep 0.1
			i=$((i + 1))
		done
	fi
	rm -rf "$WORK" "$SOCKDIR"
	:
}
trap cleanup EXIT INT TERM

mkdir -p "$DATA" "$EXEC"
dockerd --data-root "$DATA" --exec-root "$EXEC" --pidfile "$PIDFILE" -H "$DOCKER_HOST" \
	--iptables=false --ip-masq=false --bridge=none >"$WORK/dockerd.log" 2>&1 &
DOCKERD_PID=$!
i=0
until docker version >/dev/null 2>&1; do
	kill -0 "$DOCKERD_PID" 2>/dev/null ||
		{ DOCKERD_PID=; skip "dockerd cannot start: $(tail -3 "$WORK/dockerd.log" | tr '\n' ' ')"; }
	i=$((i + 1))
	[ "$i" -lt 300 ] || skip "dockerd did not answer in 30 s: $(tail -3 "$WORK/dockerd.log" | tr '\n' ' ')"
	sleep 0.1
done

# Base image: FROM scratch plus a static busybox, imported from a tarball.
mkdir -p "$WORK/rootfs/bin" "$WORK/ctx"
cp "$BUSYBOX" "$WORK/rootfs/bin/busybox"
for applet in sh dd sync rm; do
	ln -s busybox "$WORK/rootfs/bin/$applet"
done
tar -C "$WORK/rootfs" -cf "$WORK/rootfs.tar" . || fail "cannot make the base tarball"
docker import "$WORK/rootfs.tar" wsldock-test-base:latest >/dev/null || fail "docker import failed"
cat >"$WORK/ctx/Dockerfile" <<DOCKERFILE
FROM wsldock-test-base:latest
RUN dd if=/dev/zero of=/payload bs=1M count=$MIB && sync
DOCKERFILE

start_top "$WORK/out" --duration 25 --docker-root "$DATA" ||
	tracker_failed "$WORK/out.err"
start=$(date +%s)
DOCKER_BUILDKIT=0 docker build --network=none -q -t wsldock-test-build "$WORK/ctx" \
	>"$WORK/build.log" 2>&1 || fail "docker build failed: $(tail -5 "$WORK/build.log")"
took=$(( $(date +%s) - start ))
[ "$took" -lt 22 ] || fail "the build took $took s, longer than the sampling window"
wait "$AGENT_PID" || fail "top exited with $?: $(cat "$WORK/out.err")"
AGENT_PID=

python3 - "$WORK/out.json" "$MIB" "$(cd "$DATA" && pwd -P)" <<'PY' || fail "build page cache misclassified"
import json, sys
doc = json.load(open(sys.argv[1]))
want = int(sys.argv[2]) << 20
by = {}
for r in doc["cgroups"]:
    by[r["class"]] = by.get(r["class"], 0) + r["added_bytes"]
    if r["added_bytes"] >= 1 << 20:
        procs = ", ".join(f'{p["comm"]}[{p["tgid"]}]' for p in r["top_processes"])
        print(f'{r["class"]:16} {r["added_bytes"] >> 20:5} MiB  {r["path"]}  {procs}')
build = by.get("docker-build", 0) + by.get("docker-daemon", 0)
# Only the RUN step's own rows (its dd): other containers on this machine
# (other sessions' dockerds) are rightly docker-container.
container = sum(r["added_bytes"] for r in doc["cgroups"] if r["class"] == "docker-container"
                and any(p["comm"] == "dd" for p in r["top_processes"]))
print(f"docker-build + docker-daemon: {build >> 20} MiB; docker-container: {container >> 20} MiB; "
      f"RUN wrote {want >> 20} MiB")
# Files under the data root (the layers) must be named and classified too.
layer_files = [f for f in doc["files"]
               if f["path"] and f["path"].startswith(sys.argv[3] + "/") and f["added_bytes"] >= 1 << 20]
for f in doc["files"]:
    if f["added_bytes"] >= 1 << 20:
        print(f'file {f["class"]:16} {f["added_bytes"] >> 20:4} MiB  {f["comm"]}[{f["tgid"]}] {f["path"]}')
ok = build >= want * 0.95 and container < want * 0.05
ok = ok and layer_files and all(f["class"] in ("docker-build", "docker-daemon") for f in layer_files)
sys.exit(0 if ok else 1)
PY
echo "docker build: page cache classified docker-build/docker-daemon"
