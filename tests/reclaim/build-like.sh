#!/bin/sh
# Acceptance (issue 7): `wsldock-agent run --foreground` with its default
# configuration, started before a 2.5 GiB build-like workload (the Linux
# source tarball unpacked and tarred into a layer file) in a
# docker/<64 hex> cgroup under cgroup2 and the v1 memory hierarchy (removed
# when the workload ends), with a process burning 2 % of a CPU, returns
# >= 90 % of the workload's page cache (MemFree gain) within 30 s after the
# workload ends, and a 120 MiB hot set read before the build by a process in
# the root cgroup is still >= 85 % resident at 30 s.
set -u
. "${top_srcdir:-.}/tests/reclaim/lib.sh"
reclaim_require
ls /usr/src/linux-source-*.tar.xz >/dev/null 2>&1 ||
	fail "no /usr/src/linux-source-*.tar.xz (scripts/install-deps installs linux-source)"
WORK=$(scratch_dir reclaim)
trap 'rm -rf "$WORK"' EXIT INT TERM

bench_once "$WORK/r" --workload tarball --policy wsldock --load 2 --hot-mib 120 --window 30 ||
	fail "the benchmark round failed"
show_round "$WORK/r.json"
log=$(json "$WORK/r.json" 'd["policy_log"]')
grep -E ' (action|decision) ' "$log" | tail -8
[ "$(json "$WORK/r.json" 'd["cache_bytes"] >= 2.5 * 2**30 * 0.9')" = True ] ||
	fail "the workload left less page cache than expected"
[ "$(json "$WORK/r.json" 'd["t90_s"] is not None and d["t90_s"] <= 30')" = True ] ||
	fail "less than 90 % of the workload's page cache came back within 30 s"
[ "$(json "$WORK/r.json" 'd["hot_resident"]["30"] >= 0.85')" = True ] ||
	fail "the hot set is less than 85 % resident at 30 s"
echo "build-like workload: >= 90 % back within 30 s, hot set kept"
