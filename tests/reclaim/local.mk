# The reclaim acceptance tests (issue 7; real, root): they measure with
# bench/reclaim's `once` subcommand, the docker-pause ones with
# bench/build-cost's.  docs/benchmarks.md holds the table
# bench/reclaim made.
SCRIPT_TESTS += \
	tests/reclaim/build-like.sh \
	tests/reclaim/docker-build.sh \
	tests/reclaim/docker-pause.sh \
	tests/reclaim/docker-pause-buildkit.sh \
	tests/reclaim/dry-run.sh \
	tests/reclaim/leader.sh
EXTRA_DIST += tests/reclaim/lib.sh tests/reclaim/vm-acceptance.sh bench/reclaim bench/build-cost \
	docs/benchmarks.md
