import NIOCore
import Testing

@testable import LLMCacheCore

@Suite struct TokenUsageTests {
    func usage(_ text: String) -> TokenUsage? { TokenUsage.extract(from: ByteBuffer(string: text)) }

    @Test func openAIChatCompletion() {
        let body =
            #"{"id":"x","choices":[{"message":{"content":"a \"usage\": {\"prompt_tokens\":999}"}}],"usage":{"prompt_tokens":12,"completion_tokens":7,"total_tokens":19}}"#
        // The escaped look-alike inside the content is no object after the marker and is skipped.
        #expect(usage(body) == TokenUsage(inputTokens: 12, outputTokens: 7))
    }

    @Test func anthropicMessageAndCacheTokens() {
        let body =
            #"{"type":"message","usage":{"input_tokens":20,"cache_read_input_tokens":100,"cache_creation_input_tokens":5,"output_tokens":9}}"#
        #expect(usage(body) == TokenUsage(inputTokens: 125, outputTokens: 9))
    }

    @Test func anthropicStreamTakesTheLargestFigures() {
        let body = """
            event: message_start
            data: {"type":"message_start","message":{"usage":{"input_tokens":30,"output_tokens":1}}}

            event: message_delta
            data: {"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":42}}

            """
        #expect(usage(body) == TokenUsage(inputTokens: 30, outputTokens: 42))
    }

    @Test func openAIStreamWithIncludeUsage() {
        let body = """
            data: {"choices":[{"delta":{"content":"hi"}}],"usage":null}

            data: {"choices":[],"usage":{"prompt_tokens":8,"completion_tokens":2,"total_tokens":10}}

            data: [DONE]

            """
        #expect(usage(body) == TokenUsage(inputTokens: 8, outputTokens: 2))
    }

    @Test(arguments: [
        "", "{}", #"{"usage":null}"#, #"{"usage":{"prompt_tokens":"#, #"{"usage":{}}"#, #"{"usage":"#, "\"usage\"",
        #"{"usage":{"prompt_tokens":"many"}}"#, String(repeating: "{\"usage\":", count: 500),
    ])
    func noUsageOrGarbage(_ body: String) {
        #expect(usage(body) == nil)
    }
}

@Suite struct ByteCountTests {
    @Test func parses() {
        #expect(ByteCount.parse("1024") == 1024)
        #expect(ByteCount.parse("512MiB") == 512 << 20)
        #expect(ByteCount.parse("512m") == 512 << 20)
        #expect(ByteCount.parse(" 2GB ") == 2 << 30)
        #expect(ByteCount.parse("64k") == 64 << 10)
        for bad in ["", "MiB", "-1", "1.5G", "12 parsecs", "99999999999999999999", "9999999999999T"] {
            #expect(ByteCount.parse(bad) == nil, "\(bad)")
        }
    }

    @Test func formats() {
        #expect(ByteCount.format(12) == "12 B")
        #expect(ByteCount.format(640 << 10) == "640 KiB")
        #expect(ByteCount.format(3 << 29) == "1.5 GiB")
    }
}
