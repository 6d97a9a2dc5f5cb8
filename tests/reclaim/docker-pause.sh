#!/bin/sh
# Acceptance (issue 18), the legacy builder (DOCKER_BUILDKIT=0): a build that
# pauses longer than the quiet period is not reclaimed mid-build, and is
# reclaimed within 10 s of its end.  See build_pause in lib.sh.
set -u
. "${top_srcdir:-.}/tests/reclaim/lib.sh"
build_pause legacy
