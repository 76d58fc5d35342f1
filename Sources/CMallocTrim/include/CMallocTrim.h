#ifndef LLMCACHE_CMALLOCTRIM_H
#define LLMCACHE_CMALLOCTRIM_H

/// Returns freed heap memory to the kernel (glibc's malloc_trim(0)); 1 if memory was released,
/// 0 if not or where the C library has no such call.
int llmcache_malloc_trim(void);

/// Bytes the C heap has handed out and not had back (glibc's mallinfo2: in-use chunks plus
/// mmapped blocks); -1 where the C library cannot say.
long long llmcache_heap_bytes_in_use(void);

/// The bytes malloc set aside for the block at `pointer` (glibc's malloc_usable_size); -1 where
/// the C library cannot say.
long long llmcache_malloc_usable_size(const void *pointer);

#endif
