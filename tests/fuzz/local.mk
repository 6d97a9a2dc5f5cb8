FUZZ_TARGETS += proc
EXTRA_DIST += tests/fuzz/fuzz.h tests/fuzz/fuzz-proc.c tests/fuzz/corpus/proc
