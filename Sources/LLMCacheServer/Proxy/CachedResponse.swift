import HTTPTypes
import Hummingbird
import LLMCacheCore
import LLMCacheStore
import NIOCore

/// Answers from a stored entry: the stored status and exact bytes, the stored headers as
/// ``ReplayedHeaders`` treats them on a hit; a stream with its original chunk boundaries,
/// instantly or, on request, at the original pace.
enum CachedResponse {
    /// The status and fields a hit on `entry` answers with: the stored headers as
    /// ``ReplayedHeaders`` treats them, and `age`.
    static func head(_ entry: CacheEntry, now: Timestamp) -> (status: HTTPResponse.Status, headers: HTTPFields) {
        var headers = ReplayedHeaders.onHit(entry.headers)
        headers[ProxyHeaders.age] = String(age(since: entry.createdAt, now: now))
        return (HTTPResponse.Status(code: entry.status), headers)
    }

    /// Whole seconds since `created`.
    static func age(since created: Timestamp, now: Timestamp) -> Int64 {
        max(0, now.duration(since: created).components.seconds)
    }

    static func response(_ entry: CacheEntry, now: Timestamp, paced: Bool) -> Response {
        let (status, headers) = head(entry, now: now)
        switch entry.bodyKind {
        case .complete:
            return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: entry.body))
        case .stream(let chunks):
            let body = entry.body
            return Response(
                status: status, headers: headers,
                body: ResponseBody { writer in
                    var offset = body.readerIndex
                    guard paced else {
                        // At once: every chunk in one write (one flush, each chunk still its own
                        // HTTP chunk), not a suspension and a flush per chunk — a 109-event stream
                        // was served 10–30× slower than nginx serving the same cached bytes.
                        var slices: [ByteBuffer] = []
                        slices.reserveCapacity(chunks.count)
                        for chunk in chunks {
                            guard let slice = body.getSlice(at: offset, length: Int(chunk.length)) else { break }
                            slices.append(slice)
                            offset += Int(chunk.length)
                        }
                        try await writer.write(contentsOf: slices)
                        try await writer.finish(nil)
                        return
                    }
                    for chunk in chunks {
                        if chunk.delayMicroseconds > 0 {
                            try await Task.sleep(for: .microseconds(Int(chunk.delayMicroseconds)))
                        }
                        guard let slice = body.getSlice(at: offset, length: Int(chunk.length)) else { break }
                        try await writer.write(slice)
                        offset += Int(chunk.length)
                    }
                    try await writer.finish(nil)
                })
        }
    }
}
