import Gzip
import LLMCacheCore
import NIOCore

/// Undoes a `Content-Encoding` the upstream applied although llmcache asked for `identity`
/// (RFC 9110 allows it; self-hosted servers do it): a `gzip` or `deflate` answer is decoded as
/// it streams, and relayed, stored and replayed in its one decoded form, without
/// `content-encoding` / `content-length`. Other encodings (`br`, `zstd`) are relayed as they came
/// and, not being JSON or a readable stream, never stored.
public enum ContentDecoding {
    /// The most bytes a compressed answer may decode to (a few compressed bytes can announce
    /// gigabytes).
    public static let maximumDecodedBytes = 256 << 20

    public static func decoded(_ response: UpstreamClient.Response) -> UpstreamClient.Response {
        guard let field = response.headers.last(where: { $0.name.lowercased() == "content-encoding" }) else {
            return response
        }
        let codings = field.value.split(separator: ",").map { $0.trimmedSpaces.lowercased() }
        guard codings.count == 1, let coding = codings.first, ["gzip", "x-gzip", "deflate"].contains(coding) else {
            return codings.allSatisfy({ $0 == "identity" }) ? stripped(response) : response
        }
        var decoded = stripped(response)
        decoded.body = UpstreamBody(InflatingBody(base: response.body, deflate: coding == "deflate"))
        return decoded
    }

    private static func stripped(_ response: UpstreamClient.Response) -> UpstreamClient.Response {
        var response = response
        response.headers.removeAll {
            let name = $0.name.lowercased()
            return name == "content-encoding" || name == "content-length"
        }
        return response
    }
}

/// A compressed body, decoded chunk by chunk; a corrupt or truncated body ends in an error.
struct InflatingBody: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let base: UpstreamBody
    let deflate: Bool

    struct AsyncIterator: AsyncIteratorProtocol {
        var base: UpstreamBody.AsyncIterator
        let inflater: GzipInflater?
        let failure: GzipError?
        var pending: [ByteBuffer] = []
        var done = false

        mutating func next() async throws -> ByteBuffer? {
            guard let inflater else { throw failure ?? GzipError("zlib could not start") }
            while true {
                if !pending.isEmpty { return pending.removeFirst() }
                if done { return nil }
                guard let chunk = try await base.next() else {
                    try inflater.finish()
                    done = true
                    continue
                }
                pending = try inflater.inflate(chunk)
            }
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        do {
            let inflater = try GzipInflater(maximumOutputBytes: ContentDecoding.maximumDecodedBytes, deflate: deflate)
            return AsyncIterator(base: base.makeAsyncIterator(), inflater: inflater, failure: nil)
        } catch {
            return AsyncIterator(base: base.makeAsyncIterator(), inflater: nil, failure: error)
        }
    }
}
