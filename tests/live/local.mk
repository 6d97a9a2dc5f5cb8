SCRIPT_TESTS += tests/live/report-cli.sh tests/live/report-live.sh
EXTRA_DIST += tests/live/lib.sh
