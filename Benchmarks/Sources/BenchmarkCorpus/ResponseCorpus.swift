/// A deterministic corpus of realistic LLM API response bodies: chat completions of many lengths
/// in several languages, tool calls, embeddings and SSE streams, in the OpenAI and Anthropic
/// wire formats.
public enum BodyKindLabel: String, CaseIterable, Sendable {
    case chat, anthropic, toolCall = "tool-call", embedding, stream
}

public struct ResponseCorpus {
    public private(set) var state: UInt64

    public init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }

    mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }

    mutating func pick<T>(_ items: [T]) -> T { items[below(items.count)] }

    static let languages: [[String]] = [
        "the a cache model request response token answer question because however therefore function value result data user system memory latency throughput example simple should could would important different"
            .split(separator: " ").map(String.init),
        "el la de que y en un una para con por respuesta pregunta modelo datos usuario sistema memoria ejemplo importante diferente porque"
            .split(separator: " ").map(String.init),
        "der die das und ist nicht mit ein eine für auf Antwort Frage Modell Daten Benutzer System Speicher Beispiel wichtig anders weil"
            .split(separator: " ").map(String.init),
        "缓存 模型 请求 响应 问题 答案 数据 用户 系统 内存 延迟 例子 重要 不同 因为 所以 可以 应该".split(separator: " ").map(String.init),
        "キャッシュ モデル リクエスト 応答 質問 回答 データ ユーザー システム メモリ 例 重要 違う ので".split(separator: " ").map(String.init),
    ]
    static let models = ["gpt-4o-mini", "gpt-4o", "gpt-4.1", "o3-mini", "llama-3.1-70b-instruct", "qwen2.5-72b"]
    static let claude = ["claude-3-5-sonnet-20241022", "claude-3-5-haiku-20241022", "claude-sonnet-4-20250514"]

    static let syllables =
        "ka ri to ne sa mu lo de vi pa ber gen tion al con pro ment ing er ly com ex in un re ter sto ma ple ver ra chi po lu ne qui"
        .split(separator: " ").map(String.init)

    /// Prose of about `words` words in a random language, JSON-escaped. Half the words come from
    /// a small list of common words, half are built from syllables (a large vocabulary), so the
    /// text is about as compressible as real prose, not a loop of a few words.
    mutating func text(words: Int) -> String {
        let vocabulary = pick(Self.languages)
        let separator = vocabulary[0].unicodeScalars.first!.value > 0x2000 ? "" : " "
        var parts: [String] = []
        for index in 0..<words {
            var word = pick(vocabulary)
            if next() & 1 == 0 {
                word = (0..<(1 + below(3))).map { _ in pick(Self.syllables) }.joined()
                if separator.isEmpty { word = pick(vocabulary) + pick(vocabulary) }
            }
            if index % 13 == 12 { word += separator.isEmpty ? "。" : "." }
            if index % 29 == 28 { word += "\\n\\n" }
            parts.append(word)
        }
        return parts.joined(separator: separator)
    }

    mutating func id(_ prefix: String) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
        return prefix + String((0..<24).map { _ in pick(alphabet) })
    }

    /// One body of `kind` with about `words` words of content.
    public mutating func body(_ kind: BodyKindLabel, words: Int) -> String {
        let created = 1_700_000_000 + below(50_000_000)
        switch kind {
        case .chat:
            let content = text(words: words)
            return
                #"{"id":"\#(id("chatcmpl-"))","object":"chat.completion","created":\#(created),"model":"\#(pick(Self.models))","choices":[{"index":0,"message":{"role":"assistant","content":"\#(content)","refusal":null,"annotations":[]},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":\#(below(4000)),"completion_tokens":\#(words),"total_tokens":\#(words + below(4000)),"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}},"service_tier":"default","system_fingerprint":"fp_\#(String(next(), radix: 16).prefix(10))"}"#
        case .anthropic:
            let content = text(words: words)
            return
                #"{"id":"\#(id("msg_"))","type":"message","role":"assistant","model":"\#(pick(Self.claude))","content":[{"type":"text","text":"\#(content)"}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":\#(below(4000)),"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":\#(words)}}"#
        case .toolCall:
            let function = pick(["get_weather", "search_documents", "create_ticket", "lookup_order", "run_sql"])
            let arguments =
                #"{\"query\":\"\#(text(words: max(3, words / 8)))\",\"limit\":\#(below(50)),\"filters\":{\"region\":\"\#(pick(["eu", "us", "apac"]))\",\"since\":\"2025-0\#(1 + below(9))-1\#(below(9))\"}}"#
            return
                #"{"id":"\#(id("chatcmpl-"))","object":"chat.completion","created":\#(created),"model":"\#(pick(Self.models))","choices":[{"index":0,"message":{"role":"assistant","content":null,"tool_calls":[{"id":"\#(id("call_"))","type":"function","function":{"name":"\#(function)","arguments":"\#(arguments)"}}],"refusal":null},"logprobs":null,"finish_reason":"tool_calls"}],"usage":{"prompt_tokens":\#(below(4000)),"completion_tokens":\#(below(200)),"total_tokens":\#(below(4200))}}"#
        case .embedding:
            let dimensions = pick([256, 384, 512])
            let values = (0..<dimensions).map { _ -> String in
                let magnitude = Double(next() % 2_000_000) / 20_000_000.0
                let sign = next() & 1 == 0 ? "-" : ""
                return sign + String(magnitude).prefix(11)
            }
            return
                #"{"object":"list","data":[{"object":"embedding","index":0,"embedding":[\#(values.joined(separator: ","))]}],"model":"text-embedding-3-small","usage":{"prompt_tokens":\#(below(500)),"total_tokens":\#(below(500))}}"#
        case .stream:
            let identifier = id("chatcmpl-")
            let model = pick(Self.models)
            var events: [String] = []
            let head =
                #"{"id":"\#(identifier)","object":"chat.completion.chunk","created":\#(created),"model":"\#(model)","system_fingerprint":"fp_44709d6fcb","choices":[{"index":0,"delta":"#
            events.append(
                "data: " + head + #"{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]}"# + "\n\n"
            )
            var remaining = words
            while remaining > 0 {
                let piece = text(words: min(remaining, 1 + below(3)))
                remaining -= 3
                events.append(
                    "data: " + head + #"{"content":" \#(piece)"},"logprobs":null,"finish_reason":null}]}"# + "\n\n")
            }
            events.append("data: " + head + #"{},"logprobs":null,"finish_reason":"stop"}]}"# + "\n\n")
            events.append("data: [DONE]\n\n")
            return events.joined()
        }
    }

    /// `count` bodies, kinds in rotation, lengths from a few words to a long answer.
    public mutating func bodies(count: Int) -> [(BodyKindLabel, [UInt8])] {
        (0..<count).map { index in
            let kind = BodyKindLabel.allCases[index % BodyKindLabel.allCases.count]
            let words = pick([5, 12, 30, 60, 120, 250, 500, 900])
            return (kind, Array(body(kind, words: words).utf8))
        }
    }
}
