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
    static func answer(for body: JSONValue, padding: Int, prose: Int = 0) -> String {
        let key = CacheKey(token: CanonicalJSON.serialize(body))
        var text = "Echo: \(prompt(of: body)) [\(key.hex.prefix(12))]"
        if padding > 0 { text += " " + String(repeating: "lorem ipsum ", count: padding / 12 + 1).prefix(padding) }
        if prose > 0 { text += " " + self.prose(bytes: prose, seed: key.w0) }
        return text
    }

    /// About `bytes` of sentences of common words chosen by a generator seeded per request: text
    /// that compresses about as well as an English answer does (2–3×), unlike a repeated phrase.
    static func prose(bytes: Int, seed: UInt64) -> String {
        var state = seed | 1
        func next(_ bound: Int) -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int((state >> 33) % UInt64(bound))
        }
        var text = ""
        var sentence = 0
        while text.utf8.count < bytes {
            var word = vocabulary[next(vocabulary.count)]
            if sentence == 0 { word = word.prefix(1).uppercased() + word.dropFirst() }
            sentence += 1
            text += word
            if sentence > 6 && next(5) == 0 {
                text += next(4) == 0 ? ", " : ". "
                sentence = 0
            } else {
                text += " "
            }
        }
        return String(text.utf8.prefix(bytes))!
    }

    private static let vocabulary: [String] = """
        the of and to in is that for it as with was on be by this are or from at which an have not \
        but they you all were can we one there their has been more when will would if so about what \
        some other into than its only new time could these two may first then do any like my now \
        over such our man me even most made after also did many before must through back years where \
        much your way well down should because each just those people how too little state good very \
        make world still own see men work long get here between both life being under never day same \
        another know while last might us great old year off come since against go came right used \
        take three small large number part place found public system model answer question request \
        cache token prompt value result example function data server client memory disk table query \
        latency stream message content response provider network error retry instance database
        """.split(separator: " ").map(String.init)

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
