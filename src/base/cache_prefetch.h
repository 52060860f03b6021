// cache_prefetch: start loading a memory line that will be read soon.
//
// Contract: prefetch_line(p) is a hint only: it never faults (p may point
// anywhere, even past an array), changes no value and may do nothing.
// GCC 12's dead-code pass drops __builtin_prefetch under a condition
// (checked: `if (!v.empty()) __builtin_prefetch(&v[h & (v.size() - 1)])`
// compiles to nothing at -O2), so on x86 the instruction is written as
// volatile asm, which no pass removes.
#pragma once

namespace pftls {

[[gnu::always_inline]] inline void prefetch_line(const void* p) {
#if defined(__x86_64__) || defined(__i386__)
  asm volatile("prefetcht0 %0" : : "m"(*static_cast<const char*>(p)));
#else
  __builtin_prefetch(p);
#endif
}

}  // namespace pftls
