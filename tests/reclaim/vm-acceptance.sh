#!/bin/sh
# Inside a tests/vm guest (tests/vm/reclaim-acceptance.sh boots it: kernel
# 6.12, cgroup v2 only, PSI off, page_reporting_order 5, a scratch disk):
# the build-like acceptance of build-like.sh where WSL's setup is modelled.
# `wsldock-agent run --foreground` (defaults), started before a 2.5 GiB
# build-like workload (files written and tarred into a layer file, on XFS)
# in docker/<64 hex> (removed at the end), with a process burning 2 % of a
# CPU, returns >= 90 % of its page cache (MemFree gain) within 30 s, through
# memory.reclaim; a 120 MiB hot set read before by a root-cgroup process is
# still >= 85 % resident at 30 s; and the host's RSS of the VM (QEMU's
# RssAnon, from the rig's rss.csv) falls by >= 80 % of what the build added
# within 30 s.  The workload writes zeros (quick under TCG; still page
# cache).
set -u
. "$top_srcdir/tests/vm/guest-lib.sh"
. "$top_srcdir/tests/reclaim/lib.sh"
reclaim_require
vm_xfs /mnt/xfs
WORK=/mnt/xfs/work
mkdir -p "$WORK"

bench_once "$WORK/r" --workload synth --synth-mib 2560 --synth-source zero --policy wsldock \
	--load 2 --hot-mib 120 --window 30 || fail "the benchmark round failed"
show_round "$WORK/r.json"
log=$(json "$WORK/r.json" 'd["policy_log"]')
grep -E ' (action|decision) ' "$log" | cut -c1-300 | tail -8
json "$WORK/r.json" '"host: the build added %.2f GiB; back @10 %s @30 %s; t90 %s s" % (d["host"]["added_bytes"] / 2**30, *["%.0f %%" % (100 * d["host"]["ret"][m]) if d["host"]["ret"].get(m) is not None else "-" for m in ("10", "30")], d["host"]["t90_s"])' ||
	fail "no host-side figures (rss.csv marks missing)"
[ "$(json "$WORK/r.json" 'd["cache_bytes"] >= 2.5 * 2**30 * 0.9')" = True ] ||
	fail "the workload left less page cache than expected"
[ "$(json "$WORK/r.json" 'd["levers"].get("memory.reclaim", 0) > 0')" = True ] ||
	fail "memory.reclaim did not carry the reclaim (levers: $(json "$WORK/r.json" 'd["levers"]'))"
[ "$(json "$WORK/r.json" 'd["t90_s"] is not None and d["t90_s"] <= 30')" = True ] ||
	fail "less than 90 % of the workload's page cache came back within 30 s"
[ "$(json "$WORK/r.json" 'd["hot_resident"]["30"] >= 0.85')" = True ] ||
	fail "the hot set is less than 85 % resident at 30 s"
[ "$(json "$WORK/r.json" 'max(d["host"]["ret"].values()) >= 0.8')" = True ] ||
	fail "the host got back less than 80 % of what the build added within 30 s"
echo "in the guest: >= 90 % back within 30 s by memory.reclaim, hot set kept, >= 80 % at the host"
