#ifndef LLMCACHE_CMALLOCTRIM_H
#define LLMCACHE_CMALLOCTRIM_H

/// Returns freed heap memory to the kernel (glibc's malloc_trim(0)); 1 if memory was released,
/// 0 if not or where the C library has no such call.
int llmcache_malloc_trim(void);

#endif
