import LLMCacheCore
import LLMCacheStore

/// Which entries an export or purge takes: all given conditions must hold. Decided from a
/// record's header alone (nothing decompressed).
public struct EntryFilter: Sendable, Equatable {
    public var namespace: String?
    /// The request's `model` (records written before format 2 know none and never match).
    public var model: String?
    /// Stored at or after this time.
    public var since: Timestamp?

    public init(namespace: String? = nil, model: String? = nil, since: Timestamp? = nil) {
        self.namespace = namespace
        self.model = model
        self.since = since
    }

    public var isEmpty: Bool { namespace == nil && model == nil && since == nil }

    public func matches(_ header: RecordHeader) -> Bool {
        if let namespace, header.namespace != namespace { return false }
        if let model, header.request?.model != model { return false }
        if let since, header.createdAt < since { return false }
        return true
    }
}
