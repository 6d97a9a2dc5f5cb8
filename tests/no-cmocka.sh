#!/bin/sh
echo "the unit tests need cmocka: apt-get install libcmocka-dev (Debian/Ubuntu)," \
     "dnf install libcmocka-devel (Fedora), then re-run ./configure" >&2
exit 1
