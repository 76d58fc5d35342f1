import Gzip
import HTTPTypes
import Hummingbird
import NIOCore

/// What a real provider adds to every answer: per-call ids, timings and rate-limit headers, a
/// cookie — and gzip when the request accepts it (or `x-mock-gzip: force` says to anyway).
enum MockDecoration {
    static func decorate(_ response: Response, request: Request, number: Int) -> Response {
        var response = response
        let anthropic = request.uri.path.hasPrefix("/v1/messages") || request.headers[.anthropicVersion] != nil
        if anthropic {
            response.headers[HTTPField.Name("request-id")!] = "req_mock_\(number)"
            response.headers[HTTPField.Name("anthropic-ratelimit-requests-remaining")!] = String(
                max(0, 10_000 - number))
        } else {
            response.headers[HTTPField.Name("x-request-id")!] = "req_\(number)"
            response.headers[HTTPField.Name("openai-processing-ms")!] = String(100 + number % 50)
            response.headers[HTTPField.Name("x-ratelimit-remaining-requests")!] = String(max(0, 10_000 - number))
        }
        response.headers[.setCookie] = "__cf_bm=mock\(number); path=/; HttpOnly"
        let accepts = request.headers[.acceptEncoding]?.lowercased().contains("gzip") ?? false
        let forced = request.headers[HTTPField.Name("x-mock-gzip")!]?.lowercased() == "force"
        guard accepts || forced, (200..<300).contains(response.status.code) else { return response }
        response.headers[.contentEncoding] = "gzip"
        let body = response.body
        response.body = ResponseBody { writer in
            // Collected, compressed, and sent in three pieces: a decoder must cope with members
            // split anywhere.
            let collector = BodyCollector()
            try await body.write(collector)
            let compressed = Gzip.compress(await collector.bytes)
            let third = max(1, compressed.count / 3)
            var offset = 0
            while offset < compressed.count {
                let end = min(compressed.count, offset + third)
                try await writer.write(ByteBuffer(bytes: compressed[offset..<end]))
                offset = end
            }
            try await writer.finish(nil)
        }
        return response
    }
}

extension HTTPField.Name {
    fileprivate static let anthropicVersion = HTTPField.Name("anthropic-version")!
}

/// Gathers a response body's bytes.
private actor BodyCollector: ResponseBodyWriter {
    var bytes: [UInt8] = []

    func write(_ buffer: ByteBuffer) async throws { bytes += buffer.readableBytesView }

    func finish(_ trailingHeaders: HTTPFields?) async throws {}
}
