import NIOCore

/// An upstream's response body as it arrives, chunk by chunk — our own type, so that plugins
/// and providers never see the HTTP client's. Iterate it once.
public struct UpstreamBody: AsyncSequence, Sendable {
    public typealias Element = ByteBuffer

    private let makeNext: @Sendable () -> (() async throws -> ByteBuffer?)

    /// The chunks of `base`, as they arrive.
    public init<Base: AsyncSequence & Sendable>(_ base: Base) where Base.Element == ByteBuffer {
        makeNext = {
            var iterator = base.makeAsyncIterator()
            return { try await iterator.next() }
        }
    }

    /// A body that is `buffer`, in one chunk (an empty buffer: no chunk).
    public static func bytes(_ buffer: ByteBuffer) -> UpstreamBody {
        UpstreamBody(OneChunk(buffer: buffer))
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        let nextChunk: () async throws -> ByteBuffer?

        public mutating func next() async throws -> ByteBuffer? { try await nextChunk() }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(nextChunk: makeNext()) }

    private struct OneChunk: AsyncSequence, Sendable {
        typealias Element = ByteBuffer
        let buffer: ByteBuffer

        struct AsyncIterator: AsyncIteratorProtocol {
            var buffer: ByteBuffer?

            mutating func next() async throws -> ByteBuffer? {
                defer { buffer = nil }
                return buffer.flatMap { $0.readableBytes > 0 ? $0 : nil }
            }
        }

        func makeAsyncIterator() -> AsyncIterator { AsyncIterator(buffer: buffer) }
    }
}
