// Callgrind's client requests, for benchmarks/instructions.py: zero the
// counters before a measured region and dump them, labelled, after it, so
// one run under `valgrind --tool=callgrind` gives each figure's own
// instruction count. Outside valgrind they cost a few instructions and do
// nothing; without valgrind's headers (Debian's `valgrind` package ships
// them) they compile to nothing at all.
#ifndef HERD_CALLGRIND_SHIM_H
#define HERD_CALLGRIND_SHIM_H

#if defined(__has_include)
#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#define HERD_HAS_CALLGRIND 1
#endif
#endif

static inline void herd_callgrind_zero(void) {
#ifdef HERD_HAS_CALLGRIND
    CALLGRIND_ZERO_STATS;
#endif
}

static inline void herd_callgrind_dump(const char *label) {
#ifdef HERD_HAS_CALLGRIND
    CALLGRIND_DUMP_STATS_AT(label);
#else
    (void)label;
#endif
}

#endif
