import LLMCacheCore

/// A trace that cannot be read: missing file, bad gzip data, a malformed line, or no requests.
/// The message names the file and, where there is one, the line.
public struct TraceError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
