/// How the memory tier chooses what to evict when it is full.
public enum EvictionPolicy: String, Sendable, CaseIterable, Codable {
    /// Window TinyLFU (as in Caffeine): a small LRU admission window, a segmented-LRU main space,
    /// a frequency sketch deciding whether a newcomer may displace the main space's victim, and
    /// miniature simulations that size the window to the workload (``WindowTuner``). The default.
    case wTinyLFU = "w-tinylfu"
    /// Least recently used.
    case lru
    /// Least frequently used (ties: least recently used); counts never age.
    case lfu
}
