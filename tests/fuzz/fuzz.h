#ifndef BERTH_FUZZ_H
#define BERTH_FUZZ_H

#include <stddef.h>
#include <stdint.h>

/*
 * The entry point of a fuzz harness, as libFuzzer calls it: run one input,
 * `size` bytes at `data` (not NUL-terminated; the harness must not keep or
 * change them). Returns 0. A property the code under test breaks aborts the
 * process, so the fuzzer, or replay.c, reports the input.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Say on stderr, after the harness's `name`, which property broke, and
 * abort: the fuzzer (or replay.c) then reports the input. */
void fuzz_broken(const char *name, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), noreturn));

#ifdef BERTH_LIBFUZZER
/* libFuzzer's own mutation of `data` in place; returns the new size. */
size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);

/* A harness's own mutation, which libFuzzer calls instead of its own when
 * the harness defines it (only in a libFuzzer build: replay.c has none). */
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed);
#endif

#endif
