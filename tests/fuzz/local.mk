FUZZ_TARGETS += proc
EXTRA_DIST += tests/fuzz/fuzz.h tests/fuzz/fuzz-proc.c tests/fuzz/corpus/proc

FUZZ_TARGETS += conf
# (agent/policy/config.c comes from agent/policy/local.mk)
FUZZ_LIB_SRCS += agent/config/conf.c
FUZZ_LIBS += $(INIH_LIBS)
EXTRA_DIST += tests/fuzz/fuzz-conf.c tests/fuzz/corpus/conf

FUZZ_TARGETS += control
FUZZ_LIB_SRCS += agent/daemon/control_proto.c
EXTRA_DIST += tests/fuzz/fuzz-control.c tests/fuzz/corpus/control

FUZZ_TARGETS += docker-events
FUZZ_LIB_SRCS += agent/sources/docker_events.c
EXTRA_DIST += tests/fuzz/fuzz-docker-events.c tests/fuzz/corpus/docker-events

FUZZ_TARGETS += docker-info
FUZZ_LIB_SRCS += agent/sources/docker_desktop.c
EXTRA_DIST += tests/fuzz/fuzz-docker-info.c tests/fuzz/corpus/docker-info

FUZZ_TARGETS += build-cmdline
FUZZ_LIB_SRCS += agent/sources/build_signal.c
EXTRA_DIST += tests/fuzz/fuzz-build-cmdline.c tests/fuzz/corpus/build-cmdline
