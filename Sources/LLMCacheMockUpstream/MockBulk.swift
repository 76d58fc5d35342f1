import Hummingbird
import NIOCore

/// A large answer (`x-mock-bulk-bytes`), written in 64 KiB chunks as fast as the reader takes
/// them: a JSON chat completion whose content is that long, or with `stream` a chat stream of
/// 64 KiB events. How it ended is reported in ``MockUpstreamStats/bulkEnds``.
enum MockBulk {
    static let chunkBytes = 64 << 10

    static func response(bytes: Int, stream: Bool, controls: MockControls, stats: MockUpstreamStats) -> Response {
        let filler = String(repeating: "a", count: chunkBytes)
        let chunks = max(1, bytes / chunkBytes)
        return Response(
            status: .ok,
            headers: [.contentType: stream ? "text/event-stream" : "application/json"],
            body: ResponseBody { writer in
                var written = 0
                do {
                    if !stream {
                        written += try await write(
                            #"{"id":"bulk","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":""#,
                            to: &writer)
                    }
                    for index in 0..<chunks {
                        if let gate = controls.gate, controls.gateAfter == index { await stats.pass(gate: gate) }
                        let piece =
                            stream
                            ? #"data: {"choices":[{"index":0,"delta":{"content":"\#(filler)"}}]}"# + "\n\n" : filler
                        written += try await write(piece, to: &writer)
                    }
                    written += try await write(
                        stream ? "data: [DONE]\n\n" : #""},"finish_reason":"stop"}]}"#, to: &writer)
                    try await writer.finish(nil)
                } catch {
                    stats.bulkEnded.yield(.init(bytes: written, completed: false))
                    throw error
                }
                stats.bulkEnded.yield(.init(bytes: written, completed: true))
            })
    }

    private static func write(_ text: String, to writer: inout any ResponseBodyWriter) async throws -> Int {
        let buffer = ByteBuffer(string: text)
        try await writer.write(buffer)
        return buffer.readableBytes
    }
}
