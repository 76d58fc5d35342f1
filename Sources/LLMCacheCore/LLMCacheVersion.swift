/// The version printed by `llmcache --version`.
public enum LLMCacheVersion {
    public static let string = "0.1.0"
}
