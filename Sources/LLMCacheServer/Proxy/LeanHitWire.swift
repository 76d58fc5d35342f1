import HTTPTypes
import NIOCore
import NIOHTTP1

/// A lean hit as the bytes NIO's HTTP/1 encoder would send for it — the status line
/// (`HTTP/1.1`, as Hummingbird answers every request), each field as `name: value`, a stream
/// framed as chunked with every stored chunk its own HTTP chunk, a complete body after its
/// length — written in one buffer below the encoder (``LeanHitHandler``): one pipeline pass and
/// one write instead of three per chunk (a 109-event stream was 327 writes).
enum LeanHitWire {
    /// Appends the whole answer to `buffer`.
    static func write(_ hit: ProxyPipeline.LeanHit, to buffer: inout ByteBuffer) {
        buffer.writeStaticString("HTTP/1.1 ")
        buffer.writeString(String(hit.head.status.code))
        buffer.writeStaticString(" ")
        // NIO's phrase for a known code (a stored status carries none), as its encoder writes it.
        buffer.writeString(
            HTTPResponseStatus(statusCode: hit.head.status.code, reasonPhrase: hit.head.status.reasonPhrase)
                .reasonPhrase)
        buffer.writeStaticString("\r\n")
        for field in hit.head.headerFields {
            buffer.writeString(field.name.rawName)
            buffer.writeStaticString(": ")
            buffer.writeString(field.value)
            buffer.writeStaticString("\r\n")
        }
        hit.answer.withUnsafeBody { body in
            guard let chunks = hit.chunks else {
                buffer.writeStaticString("\r\n")
                buffer.writeBytes(body)
                return
            }
            buffer.writeStaticString("transfer-encoding: chunked\r\n\r\n")
            var offset = 0
            for chunk in chunks where chunk.length > 0 {
                let end = offset + Int(chunk.length)
                guard end <= body.count else { break }
                buffer.writeString(String(chunk.length, radix: 16))
                buffer.writeStaticString("\r\n")
                buffer.writeBytes(UnsafeRawBufferPointer(rebasing: body[offset..<end]))
                buffer.writeStaticString("\r\n")
                offset = end
            }
            buffer.writeStaticString("0\r\n\r\n")
        }
    }

    /// About how many bytes ``write(_:to:)`` appends.
    static func estimatedSize(_ hit: ProxyPipeline.LeanHit) -> Int {
        512 + hit.head.headerFields.count * 64 + hit.answer.bodyCount + (hit.chunks?.count ?? 0) * 12
    }
}
