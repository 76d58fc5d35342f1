import LLMCacheCore
import LLMCachePlugins
import LLMCacheUpstream
import NIOCore

/// An upstream provider that needs no network: it answers OpenAI chat completions by echoing
/// the last user message. Use it as `upstreams.<id>.provider: echo` for demos and tests; its
/// answers are keyed, stored and replayed like any upstream's.
public struct EchoProvider: UpstreamProvider {
    public init() {}

    public var wireFormat: Upstream.Provider { .openAI }

    public func send(_ request: UpstreamRequest) async throws -> UpstreamClient.Response {
        let body = try request.body.map { try JSONParser.parse($0.readableBytesView) } ?? .null
        var text = ""
        if case .array(let messages)? = body["messages"], let last = messages.last {
            text = last["content"]?.stringValue ?? ""
        }
        let answer = JSONValue.object([
            JSONMember(key: "object", value: .string("chat.completion")),
            JSONMember(key: "model", value: body["model"] ?? .string("echo")),
            JSONMember(
                key: "choices",
                value: .array([
                    .object([
                        JSONMember(key: "index", value: .number("0")),
                        JSONMember(
                            key: "message",
                            value: .object([
                                JSONMember(key: "role", value: .string("assistant")),
                                JSONMember(key: "content", value: .string("echo: " + text)),
                            ])),
                        JSONMember(key: "finish_reason", value: .string("stop")),
                    ])
                ])),
        ])
        return UpstreamClient.Response(
            status: 200, headers: [HeaderField(name: "content-type", value: "application/json")],
            body: .bytes(ByteBuffer(bytes: CanonicalJSON.serialize(answer))))
    }
}
