# Test suite (`make check`).  Conventions, shared by every part of the tree:
#  - cmocka unit tests: tests/unit/test-NAME.c -> tests/unit/test-NAME,
#    added to UNIT_TESTS; they link $(WSLDOCK_LIBS) and need no root.
#  - script tests: tests/live/NAME.sh (or tests/NAME/*.sh), added to
#    SCRIPT_TESTS.  Exit 0 pass, 1 fail, 77 skip: a skip must print why.
#    They get $WSLDOCK_AGENT, $top_srcdir and $top_builddir, and a control
#    socket path of their own ($WSLDOCK_CONTROL_SOCKET), so a daemon one test
#    starts is never the one `report` or `reclaim` of another test asks.
#  - fuzz targets: tests/fuzz/fuzz-NAME.c, NAME added to FUZZ_TARGETS; they
#    are built by `make fuzz` with clang and run by `make fuzz-run`.
TEST_EXTENSIONS = .sh
SH_LOG_COMPILER = $(SHELL)
AM_TESTS_ENVIRONMENT = \
	top_srcdir='$(abs_top_srcdir)'; export top_srcdir; \
	top_builddir='$(abs_top_builddir)'; export top_builddir; \
	WSLDOCK_AGENT='$(abs_top_builddir)/agent/wsldock-agent'; export WSLDOCK_AGENT; \
	FIXTURES='$(abs_top_srcdir)/tests/fixtures'; export FIXTURES; \
	WSLDOCK_CONTROL_SOCKET=/tmp/wsldock-check-$$$$.sock; export WSLDOCK_CONTROL_SOCKET;

UNIT_TESTS =
SCRIPT_TESTS =
FUZZ_TARGETS =
FUZZ_LIBS =
# Library sources the fuzz targets are compiled with (clang, instrumented).
FUZZ_LIB_SRCS = \
	agent/shared/util.c agent/shared/diag.c agent/shared/json_util.c \
	agent/sources/source.c agent/sources/kv.c agent/sources/meminfo.c \
	agent/sources/buddyinfo.c agent/sources/psi.c agent/sources/page_reporting.c \
	agent/sources/wsl_env.c agent/sources/cgroup_layout.c agent/model/mem_state.c

include $(srcdir)/tests/unit/local.mk
include $(srcdir)/tests/live/local.mk
include $(srcdir)/tests/fuzz/local.mk
include $(srcdir)/tests/reclaim/local.mk
include $(srcdir)/tests/security/local.mk

if HAVE_CMOCKA
check_PROGRAMS += $(UNIT_TESTS)
TESTS += $(UNIT_TESTS)
else
TESTS += tests/no-cmocka.sh
endif
EXTRA_DIST += tests/no-cmocka.sh
# The helpers every script test sources (tests/lib/common.sh first).
EXTRA_DIST += tests/lib/common.sh tests/lib/debian-root.sh
TESTS += $(SCRIPT_TESTS)
EXTRA_DIST += $(SCRIPT_TESTS)

# `make fuzz` builds every libFuzzer target; `make fuzz-run` runs each for
# FUZZ_SECONDS on its seed corpus (tests/fuzz/corpus/NAME/).
FUZZ_SECONDS = 30
FUZZ_CFLAGS = -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-include $(top_builddir)/config.h -I$(top_srcdir)/agent -I$(top_builddir) $(JANSSON_CFLAGS)
FUZZ_BINS = $(FUZZ_TARGETS:%=tests/fuzz/fuzz-%)

tests/fuzz/fuzz-%: $(srcdir)/tests/fuzz/fuzz-%.c $(FUZZ_LIB_SRCS:%=$(srcdir)/%) $(BUILT_SOURCES)
	@if test -z "$(FUZZ_CC)"; then echo "make fuzz needs clang (apt-get install clang)" >&2; exit 1; fi
	@$(MKDIR_P) tests/fuzz
	$(AM_V_CC)$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< $(FUZZ_LIB_SRCS:%=$(srcdir)/%) \
		$(JANSSON_LIBS) $(SQLITE_LIBS) $(FUZZ_LIBS) -lm

fuzz: $(FUZZ_BINS)

fuzz-run: fuzz
	@set -e; for t in $(FUZZ_TARGETS); do \
		corpus=$(srcdir)/tests/fuzz/corpus/$$t; work=tests/fuzz/work-$$t; \
		rm -rf $$work; mkdir -p $$work; \
		if test -d $$corpus; then cp $$corpus/* $$work/ 2>/dev/null || :; fi; \
		echo "fuzz $$t for $(FUZZ_SECONDS) s"; \
		./tests/fuzz/fuzz-$$t -max_total_time=$(FUZZ_SECONDS) -max_len=65536 \
			-print_final_stats=1 $$work >tests/fuzz/fuzz-$$t.log 2>&1 \
			|| { tail -40 tests/fuzz/fuzz-$$t.log; exit 1; }; \
		grep -E 'stat::number_of_executed_units' tests/fuzz/fuzz-$$t.log || :; \
	done

clean-local: clean-fuzz
clean-fuzz:
	rm -rf $(FUZZ_BINS) tests/fuzz/work-* tests/fuzz/*.log

.PHONY: fuzz fuzz-run clean-fuzz

EXTRA_DIST += tests/fixtures tests/fixtures/wsl2-6.6.symlinks tests/capture-fixtures
