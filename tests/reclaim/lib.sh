# shellcheck shell=sh
# Shared by the reclaim acceptance tests (sourced, POSIX sh).  They measure
# with bench/reclaim's `once` subcommand (one build, one policy, JSON out), so
# the tests and the benchmark measure the same way.  They need root (CI runs
# as root); elsewhere they skip with the reason.

. "${top_srcdir:?run through make check}/tests/lib/common.sh"

BENCH="$top_srcdir/bench/reclaim"

# Each would see another test's agent and builds, and memory figures are
# global: root and one machine-wide test at a time (require_root).
reclaim_require() {
	[ -n "${WSLDOCK_AGENT:-}" ] && [ -x "$WSLDOCK_AGENT" ] || fail "WSLDOCK_AGENT is not set"
	require python3
	require fincore util-linux
	require_root "cgroups, drop_caches, BPF"
}

# json FILE EXPR: prints a Python expression over the document `d`.
json() {
	python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}

# Runs `bench/reclaim once "$@"` into $OUT.json (the policy's log is its
# policy_log), again while another session on this shared machine spoiled
# the round (its drop_caches or its wsldock-agent inside the window: the
# bench marks the round disturbed); after 3 disturbed rounds it fails, since
# nothing can be judged (a clean CI machine has no such neighbours).
bench_once() {
	out=$1
	shift
	n=0
	while :; do
		n=$((n + 1))
		rm -rf "$out.d"
		"$BENCH" once --agent "$WSLDOCK_AGENT" --dir "$WORK" --out "$out.d" "$@" \
			>"$out.json" 2>"$out.err" || { cat "$out.err" >&2; return 1; }
		[ "$(json "$out.json" 'd["disturbed"]')" = False ] && return 0
		show_round "$out.json" >&2
		why=$(json "$out.json" '"foreign agents %s, foreign drop_caches %s" % (d["foreign_agents"], d["foreign_drops"])')
		[ "$n" -lt 3 ] || fail "cannot judge: another session disturbed all $n rounds ($why)"
		echo "round disturbed by another session ($why): again" >&2
	done
}

# Prints a round's figures.
show_round() {
	json "$1" '"cache %.2f GiB, build %.0f s; returned (MemFree) @10 %s @30 %s; t90 %s s; hot set @30 %s; disturbed %s" % (d["cache_bytes"] / 2**30, d["build_s"], *["%.0f %%" % (100 * d["ret"][m]) if d["ret"].get(m) is not None else "-" for m in ("10", "30")], "%.1f" % d["t90_s"] if d["t90_s"] is not None else ">window", "%.0f %%" % (100 * d["hot_resident"]["30"]) if "30" in d["hot_resident"] else "-", d["disturbed"])'
}

# docker/<64 hex> under cgroup2 and the v1 memory hierarchy where one exists
# (bench/reclaim makes the same for its workloads).  Sets CG_DIRS.
docker_cgroup_create() {
	id=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')
	CG_DIRS=
	for mnt in $(awk '$3 == "cgroup2" || ($3 == "cgroup" && $4 ~ /(^|,)memory(,|$)/) { print $2 }' \
		/proc/self/mounts); do
		mkdir -p "$mnt/docker" && mkdir "$mnt/docker/$id" || return 1
		CG_DIRS="$CG_DIRS $mnt/docker/$id"
	done
}

# Runs "$@" inside $CG_DIRS.
run_in_cgroups() {
	sh -c 'for d in $0; do echo $$ >"$d/cgroup.procs" || exit 1; done; exec "$@"' "$CG_DIRS" "$@"
}

# Removes $CG_DIRS, as Docker removes a finished container's cgroup.
docker_cgroup_remove() {
	for d in $CG_DIRS; do
		rmdir "$d" || return 1
	done
	CG_DIRS=
}
