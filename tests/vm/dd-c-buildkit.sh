#!/bin/sh
# Issue 17's acceptance in the Docker-Desktop-like guest: cgroup layout c,
# the buildkit builder (tests/vm/guest/dd-build.sh says what is checked).
. "${top_srcdir:-.}/tests/vm/lib.sh"
vm_check dd-c-buildkit "$top_srcdir/tests/vm/guest/dd-build.sh" --kernel 6.12 --order 5 --psi off \
	--mem 4G --scratch 8G --timeout 900 --env WSLDOCK_DD_LAYOUT=c --env WSLDOCK_DD_BUILDER=buildkit
