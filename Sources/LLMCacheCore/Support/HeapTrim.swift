import CMallocTrim

/// Returns the heap's free pages to the kernel (glibc `malloc_trim`; nothing elsewhere): after
/// a burst of large buffers, resident memory falls back instead of staying at its peak.
public enum HeapTrim {
    public static func returnFreePages() {
        _ = llmcache_malloc_trim()
    }

    /// Bytes the C heap has handed out and not had back (glibc's `mallinfo2`: chunks in use plus
    /// mmapped blocks); nil where the C library cannot say. Beside the resident figure it tells
    /// live data from fragmentation. Walks every arena's bins: for `/stats`, not a hot path.
    public static func bytesInUse() -> Int? {
        let bytes = llmcache_heap_bytes_in_use()
        return bytes < 0 ? nil : Int(bytes)
    }
}
