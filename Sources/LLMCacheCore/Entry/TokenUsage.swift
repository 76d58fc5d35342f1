import NIOCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Tokens an answer cost, read from the `usage` objects of its body: OpenAI's `prompt_tokens` /
/// `completion_tokens` (chat, completions, embeddings), the Responses API's and Anthropic's
/// `input_tokens` / `output_tokens` (Anthropic's cache-read and cache-creation input counted as
/// input). A stream carries several `usage` objects (Anthropic: one in `message_start`, a running
/// total in `message_delta`; OpenAI: the last chunk with `stream_options.include_usage`): the
/// largest figure of each kind is the answer's.
public struct TokenUsage: Sendable, Equatable {
    public var inputTokens: Int
    public var outputTokens: Int

    public init(inputTokens: Int, outputTokens: Int) {
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
    }

    static let marker = Array(#""usage""#.utf8)

    /// The usage in `body`, or nil when it states none. Cheap on bodies without one: a byte search.
    public static func extract(from body: ByteBuffer) -> TokenUsage? {
        body.withUnsafeReadableBytes { extract(from: $0) }
    }

    static func extract(from bytes: UnsafeRawBufferPointer) -> TokenUsage? {
        var found: TokenUsage?
        forEachUsageObject(in: bytes) { value in
            let input =
                (value["prompt_tokens"]?.intValue ?? value["input_tokens"]?.intValue ?? 0)
                + (value["cache_read_input_tokens"]?.intValue ?? 0)
                + (value["cache_creation_input_tokens"]?.intValue ?? 0)
            let output = value["completion_tokens"]?.intValue ?? value["output_tokens"]?.intValue ?? 0
            guard input > 0 || output > 0 else { return }
            found = TokenUsage(
                inputTokens: max(found?.inputTokens ?? 0, input), outputTokens: max(found?.outputTokens ?? 0, output))
        }
        return found
    }

    /// Calls `body` with each parsable `"usage": {…}` object in `bytes`, in order.
    static func forEachUsageObject(in bytes: UnsafeRawBufferPointer, _ body: (JSONValue) -> Void) {
        var index = 0
        while let start = firstIndex(of: marker, in: bytes, from: index) {
            index = start + marker.count
            guard let object = objectRange(in: bytes, after: index),
                let value = try? JSONParser.parse(UnsafeRawBufferPointer(rebasing: bytes[object]), maximumDepth: 4)
            else { continue }
            index = object.upperBound
            body(value)
        }
    }

    /// Where `needle` (which starts with a quote) first occurs at or after `start`: `memchr` to
    /// each quote, then a comparison — bodies are scanned at memory speed, even in debug builds.
    private static func firstIndex(of needle: [UInt8], in bytes: UnsafeRawBufferPointer, from start: Int) -> Int? {
        guard let base = bytes.baseAddress, let first = needle.first else { return nil }
        var index = start
        while index + needle.count <= bytes.count {
            guard let found = memchr(base + index, Int32(first), bytes.count - index) else { return nil }
            index = base.distance(to: UnsafeRawPointer(found))
            guard index + needle.count <= bytes.count else { return nil }
            if memcmp(base + index, needle, needle.count) == 0 { return index }
            index += 1
        }
        return nil
    }

    /// The bytes of the JSON object that follows `:` after `start` (strings and nesting respected),
    /// or nil when none follows or it does not end.
    private static func objectRange(in bytes: UnsafeRawBufferPointer, after start: Int) -> Range<Int>? {
        var index = start
        while index < bytes.count, bytes[index] == UInt8(ascii: " ") || bytes[index] == UInt8(ascii: ":") { index += 1 }
        guard index < bytes.count, bytes[index] == UInt8(ascii: "{") else { return nil }
        let open = index
        var depth = 0
        var inString = false
        while index < bytes.count {
            let byte = bytes[index]
            if inString {
                if byte == UInt8(ascii: "\\") { index += 1 } else if byte == UInt8(ascii: "\"") { inString = false }
            } else if byte == UInt8(ascii: "\"") {
                inString = true
            } else if byte == UInt8(ascii: "{") {
                depth += 1
            } else if byte == UInt8(ascii: "}") {
                depth -= 1
                if depth == 0 { return open..<(index + 1) }
            }
            index += 1
        }
        return nil
    }
}
