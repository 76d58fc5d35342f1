import CMallocTrim

/// Returns the heap's free pages to the kernel (glibc `malloc_trim`; nothing elsewhere): after
/// a burst of large buffers, resident memory falls back instead of staying at its peak.
public enum HeapTrim {
    public static func returnFreePages() {
        _ = llmcache_malloc_trim()
    }
}
