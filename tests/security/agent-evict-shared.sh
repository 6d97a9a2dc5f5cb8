#!/bin/sh
# Issue 19, attack 4b: per-file eviction took whole files.  A file that was
# there before the episode, of which the build read a part while another
# user keeps the rest hot, lost every page to posix_fadvise(DONTNEED).  Now
# only files the episode created or wrote (ctime at or after its start) are
# evicted; a file it created is still evicted (else this proves nothing).
. "${top_srcdir:?}/tests/live/lib.sh"
. "$top_srcdir/tests/actions/lib.sh"
require_root
need jq
d=$(mktemp -d /var/tmp/wsldock-evict.XXXXXX)
tmp=$(mktemp -d)
trap 'rm -rf "$d" "$tmp"' EXIT
defer_failures

fill "$d/shared" 64
cat "$d/shared" >/dev/null
sleep 1
since=$(date +%s%N)
# The episode: it creates one file and reads the older one.
fill "$d/made" 32
cat "$d/made" "$d/shared" >/dev/null
check_ge "shared file cached" "$(resident "$d/shared")" "$(mib 60)"
run_lever "$tmp/r" --lever fadvise --file "$d/shared" --file "$d/made" --since-ns "$since"
check_eq "exit" "$rc" 0
check_ge "the older file another user reads is still cached" "$(resident "$d/shared")" "$(mib 60)"
check_le "the file the episode made is evicted" "$(resident "$d/made")" 0
finish
