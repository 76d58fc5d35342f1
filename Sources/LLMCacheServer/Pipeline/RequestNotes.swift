import LLMCacheCore
import NIOCore

/// What a request's handling learned, for the after-response hook.
struct RequestNotes {
    var body = ByteBuffer()
    var key: String?
    var model: String?
    var namespace: String?

    mutating func record(_ lookup: CacheLookup) {
        key = lookup.key.hex
        model = lookup.model
        namespace = lookup.namespace
    }
}
