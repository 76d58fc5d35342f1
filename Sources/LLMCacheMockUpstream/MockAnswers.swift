import LLMCacheCore

/// The deterministic content the mock upstream answers with: derived from the request only.
enum MockAnswers {
    /// The text of the last user message (OpenAI `messages`, Anthropic `messages`, or `prompt`).
    static func prompt(of body: JSONValue) -> String {
        if let prompt = body["prompt"]?.stringValue { return prompt }
        guard case .array(let messages)? = body["messages"], let last = messages.last else { return "" }
        if let text = last["content"]?.stringValue { return text }
        if case .array(let parts)? = last["content"] {
            return parts.compactMap { $0["text"]?.stringValue }.joined(separator: " ")
        }
        return ""
    }

    /// A short, deterministic answer: the prompt echoed with a digest of the whole request, so
    /// any change of the request changes the answer.
    static func answer(for body: JSONValue, padding: Int) -> String {
        let digest = CacheKey(token: CanonicalJSON.serialize(body)).hex.prefix(12)
        var text = "Echo: \(prompt(of: body)) [\(digest)]"
        if padding > 0 { text += " " + String(repeating: "lorem ipsum ", count: padding / 12 + 1).prefix(padding) }
        return text
    }

    /// The answer split into stream pieces (words, spaces kept).
    static func pieces(of text: String) -> [String] {
        var pieces: [String] = []
        var current = ""
        for character in text {
            current.append(character)
            if character == " " {
                pieces.append(current)
                current = ""
            }
        }
        if !current.isEmpty { pieces.append(current) }
        return pieces
    }

    /// A deterministic embedding of `dimensions` values in [-1, 1] for `input`.
    static func embedding(for input: String, dimensions: Int) -> [String] {
        var state = CacheKey(token: Array(input.utf8)).w0
        return (0..<dimensions).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            let value = Double(Int64(bitPattern: state) >> 11) / Double(1 << 52)
            return String(Double(Int(value * 1_000_000)) / 1_000_000)
        }
    }

    static func escape(_ text: String) -> String { JSONString.escaped(text) }
}
