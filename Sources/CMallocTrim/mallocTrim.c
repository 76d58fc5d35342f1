#include "CMallocTrim.h"
#include <stdlib.h>  /* defines __GLIBC__ on glibc */

#if defined(__GLIBC__)
#include <malloc.h>
#endif

int llmcache_malloc_trim(void) {
#if defined(__GLIBC__)
    return malloc_trim(0);
#else
    return 0;
#endif
}

long long llmcache_heap_bytes_in_use(void) {
#if defined(__GLIBC__)
    struct mallinfo2 info = mallinfo2();
    return (long long)(info.uordblks + info.hblkhd);
#else
    return -1;
#endif
}

long long llmcache_malloc_usable_size(const void *pointer) {
#if defined(__GLIBC__)
    return (long long)malloc_usable_size((void *)pointer);
#else
    return -1;
#endif
}
