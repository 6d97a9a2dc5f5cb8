#!/bin/sh
# Issue 17's acceptance in the Docker-Desktop-like guest: cgroup layout b,
# the legacy builder (tests/vm/guest/dd-build.sh says what is checked).
. "${top_srcdir:-.}/tests/vm/lib.sh"
vm_check dd-b-legacy "$top_srcdir/tests/vm/guest/dd-build.sh" --kernel 6.12 --order 5 --psi off \
	--mem 4G --scratch 8G --timeout 900 --env WSLDOCK_DD_LAYOUT=b --env WSLDOCK_DD_BUILDER=legacy
