# eBPF page-cache tracker: the CO-RE object is built with clang -target bpf
# and embedded in a skeleton header by bpftool, both in the build tree.
# The user-space side lives in agent/tracker/ and is part of libwsldock.a.
BPF_CFLAGS = -g -O2 -Wall -target bpf -D__TARGET_ARCH_$(BPF_TARGET_ARCH) $(BPF_SYS_INCLUDES)

bpf/pagecache.bpf.o: $(srcdir)/bpf/pagecache.bpf.c $(srcdir)/bpf/pagecache.h $(srcdir)/bpf/types.h
	@$(MKDIR_P) bpf
	$(AM_V_GEN)$(CLANG) $(BPF_CFLAGS) -I$(srcdir)/bpf -c $(srcdir)/bpf/pagecache.bpf.c -o $@

bpf/pagecache.skel.h: bpf/pagecache.bpf.o
	$(AM_V_GEN)$(BPFTOOL) gen skeleton bpf/pagecache.bpf.o name pagecache >$@.tmp && mv $@.tmp $@

BUILT_SOURCES += bpf/pagecache.skel.h
CLEANFILES += bpf/pagecache.bpf.o bpf/pagecache.skel.h bpf/pagecache.skel.h.tmp
EXTRA_DIST += bpf/pagecache.bpf.c bpf/types.h bench/tracker-overhead bench/top-idle

agent_libwsldock_a_SOURCES += \
	bpf/pagecache.h \
	agent/tracker/classify.c agent/tracker/classify.h \
	agent/tracker/ledger.c agent/tracker/ledger.h \
	agent/tracker/resolve.c agent/tracker/resolve.h \
	agent/tracker/tracker.c agent/tracker/tracker.h \
	agent/tracker/view.c agent/tracker/view.h \
	agent/outputs/top.h agent/outputs/top_json.c agent/outputs/top_text.c \
	agent/shared/text_escape.c agent/shared/text_escape.h \
	agent/cli/verb_top.c
nodist_agent_libwsldock_a_SOURCES = bpf/pagecache.skel.h

include $(srcdir)/tests/tracker.mk
