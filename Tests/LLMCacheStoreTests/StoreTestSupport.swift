import LLMCacheCore
import NIOCore

@testable import LLMCacheStore

#if canImport(Glibc)
    import Glibc
#endif

/// A scratch directory, removed when released.
final class ScratchDirectory {
    let path: String

    init() {
        var template = Array("/tmp/llmcache-store-XXXXXX".utf8CString)
        let created = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        precondition(created != nil)
        path = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    func sub(_ name: String) -> String {
        let child = "\(path)/\(name)"
        mkdir(child, 0o755)
        return child
    }

    deinit { _ = system("rm -rf '\(path)'") }
}

func key(_ identifier: Int) -> CacheKey { CacheKey(identifier: UInt64(identifier)) }

/// A realistic chat-completion body for entry `index`.
func chatBody(_ index: Int, words: Int = 40) -> String {
    let text = (0..<words).map {
        ["the", "cache", "answer", "model", "token", "stream", "request", "hit"][($0 * 7 + index) % 8]
    }
    .joined(separator: " ")
    return
        #"{"id":"chatcmpl-\#(index)","object":"chat.completion","created":1700000000,"model":"gpt-4o-mini","choices":[{"index":0,"message":{"role":"assistant","content":"\#(text)"},"finish_reason":"stop"}],"usage":{"prompt_tokens":\#(index % 100),"completion_tokens":\#(words),"total_tokens":\#(index % 100 + words)}}"#
}

func chatEntry(
    _ index: Int, namespace: String = "", createdAt: Timestamp = Timestamp(secondsSinceEpoch: 1_700_000_000),
    expiresAt: Timestamp? = nil
) -> CacheEntry {
    CacheEntry(
        namespace: namespace,
        status: 200,
        headers: [
            HeaderField(name: "content-type", value: "application/json"),
            HeaderField(name: "x-request-id", value: "req-\(index)"),
        ],
        body: ByteBuffer(string: chatBody(index)),
        canonicalRequest: ByteBuffer(
            string: #"{"messages":[{"content":"question \#(index)","role":"user"}],"model":"gpt-4o-mini"}"#),
        recipeVersion: CacheKeyRecipe.version,
        createdAt: createdAt,
        expiresAt: expiresAt
    )
}

func streamEntry(_ index: Int) -> CacheEntry {
    let events = (0..<5).map { "data: {\"delta\":\"part \($0) of \(index)\"}\n\n" } + ["data: [DONE]\n\n"]
    let body = events.joined()
    return CacheEntry(
        status: 200,
        headers: [HeaderField(name: "content-type", value: "text/event-stream")],
        body: ByteBuffer(string: body),
        bodyKind: .stream(
            chunks: events.enumerated().map {
                StreamChunk(length: UInt32($1.utf8.count), delayMicroseconds: UInt32($0 * 1000))
            }),
        createdAt: Timestamp(secondsSinceEpoch: 1_700_000_000)
    )
}
