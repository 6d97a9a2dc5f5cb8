#!/bin/sh
# Windows low on memory while a build runs, in the Docker-Desktop-like guest
# (layout b, BuildKit, a 1 GiB RUN step): with the agent's defaults
# (drop_behind=auto), a real wsldock-bridge saying the host is low makes
# drop-behind give the build back while it runs
# (tests/vm/guest/drop-behind.sh, WSLDOCK_DB_CHECK, says what is checked).
# On 88ca800 nothing was given back before the build's end.
. "${top_srcdir:-.}/tests/vm/lib.sh"
vm_check dd-b-host-low "$top_srcdir/tests/vm/guest/drop-behind.sh" --kernel 6.12 --order 5 --psi off \
	--mem 4G --scratch 8G --timeout 900 --env WSLDOCK_DB_HOST_LOW=1 --env WSLDOCK_DB_CHECK=1 \
	--env WSLDOCK_DB_MIB=1024 --env WSLDOCK_DB_ARM=host-low --env WSLDOCK_DB_AFTER=10
