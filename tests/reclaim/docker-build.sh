#!/bin/sh
# Acceptance (issue 7): the same with a real `docker build` (legacy builder,
# --network=none, FROM a local scratch + busybox base) on a dockerd started
# in the root cgroup, so that dockerd's layer writes are charged there and
# the per-file lever must carry the reclaim.  Kept small for CI time: the RUN
# step writes 768 MiB of random data, which dockerd commits into a layer.
# The dockerd is stopped by its pid (bench/reclaim does it).
set -u
. "${top_srcdir:-.}/tests/reclaim/lib.sh"
reclaim_require
for t in dockerd docker busybox; do
	command -v "$t" >/dev/null || fail "$t is not installed (scripts/install-deps: docker.io busybox-static)"
done
WORK=$(scratch_dir reclaim)
trap 'rm -rf "$WORK"' EXIT INT TERM

bench_once "$WORK/r" --workload docker --docker-mib 768 --policy wsldock --load 2 --hot-mib 120 \
	--window 30 || fail "the benchmark round failed"
show_round "$WORK/r.json"
log=$(json "$WORK/r.json" 'd["policy_log"]')
grep -E ' (action|decision) ' "$log" | tail -8
# The build's own layer files were cached when it ended (the global file
# LRU growth, the denominator, moves with other sessions' memory too).
[ "$(json "$WORK/r.json" 'd["layer_resident"].get("0", 0) >= 0.9 and d["cache_bytes"] >= 512 * 2**20')" = True ] ||
	fail "the build's layers were not in the page cache when it ended"
[ "$(json "$WORK/r.json" 'd["t90_s"] is not None and d["t90_s"] <= 30')" = True ] ||
	fail "less than 90 % of the build's page cache came back within 30 s"
[ "$(json "$WORK/r.json" 'd["hot_resident"]["30"] >= 0.85')" = True ] ||
	fail "the hot set is less than 85 % resident at 30 s"
# The engine's image tag event ended the episode, not the quiet period.
[ "$(json "$WORK/r.json" 'd.get("ended_by")')" = docker-event ] ||
	fail "the episode was not ended by Docker's build-finished event (ended_by=$(json "$WORK/r.json" 'd.get("ended_by")'))"
grep -q ' docker-events state=on ' "$log" || fail "the agent never watched the engine's events"
echo "docker build: >= 90 % back within 30 s, hot set kept, ended by the engine's event"
