import Foundation
import LLMCacheCore

/// Response bodies in the OpenAI and Anthropic wire formats.
enum MockBodies {
    static let created = 1_700_000_000

    static func usage(_ text: String) -> (prompt: Int, completion: Int) {
        (7, max(1, MockAnswers.pieces(of: text).count))
    }

    /// Input tokens the provider's prompt cache read and wrote (`x-mock-cached-tokens`,
    /// `x-mock-cache-write-tokens`); none: the usage objects are as without them.
    struct PromptCache {
        var read = 0
        var write = 0

        /// Anthropic's fields, after `input_tokens` (which counts only the uncached input).
        var anthropicFields: String {
            read == 0 && write == 0
                ? "" : #","cache_creation_input_tokens":\#(write),"cache_read_input_tokens":\#(read)"#
        }
    }

    static func chatCompletion(id: Substring, model: String, text: String, cache: PromptCache = PromptCache()) -> String
    {
        // OpenAI counts cached tokens inside prompt_tokens.
        let (uncached, completion) = usage(text)
        let prompt = uncached + cache.read
        let details = cache.read == 0 ? "" : #","prompt_tokens_details":{"cached_tokens":\#(cache.read)}"#
        return
            #"{"id":"chatcmpl-\#(id)","object":"chat.completion","created":\#(created),"model":"\#(MockAnswers.escape(model))","choices":[{"index":0,"message":{"role":"assistant","content":"\#(MockAnswers.escape(text))"},"finish_reason":"stop"}],"usage":{"prompt_tokens":\#(prompt),"completion_tokens":\#(completion),"total_tokens":\#(prompt + completion)\#(details)}}"#
    }

    static func completion(id: Substring, model: String, text: String) -> String {
        let (prompt, completion) = usage(text)
        return
            #"{"id":"cmpl-\#(id)","object":"text_completion","created":\#(created),"model":"\#(MockAnswers.escape(model))","choices":[{"index":0,"text":"\#(MockAnswers.escape(text))","finish_reason":"stop"}],"usage":{"prompt_tokens":\#(prompt),"completion_tokens":\#(completion),"total_tokens":\#(prompt + completion)}}"#
    }

    static func chatChunks(id: Substring, model: String, text: String, legacy: Bool) -> [String] {
        let model = MockAnswers.escape(model)
        var events: [String] = []
        if legacy {
            for piece in MockAnswers.pieces(of: text) {
                events.append(
                    #"data: {"id":"cmpl-\#(id)","object":"text_completion","created":\#(created),"model":"\#(model)","choices":[{"index":0,"text":"\#(MockAnswers.escape(piece))","finish_reason":null}]}"#
                        + "\n\n")
            }
        } else {
            let head =
                #"{"id":"chatcmpl-\#(id)","object":"chat.completion.chunk","created":\#(created),"model":"\#(model)","choices":[{"index":0,"delta":"#
            events.append("data: " + head + #"{"role":"assistant","content":""},"finish_reason":null}]}"# + "\n\n")
            for piece in MockAnswers.pieces(of: text) {
                events.append(
                    "data: " + head + #"{"content":"\#(MockAnswers.escape(piece))"},"finish_reason":null}]}"# + "\n\n")
            }
            events.append("data: " + head + #"{},"finish_reason":"stop"}]}"# + "\n\n")
        }
        events.append("data: [DONE]\n\n")
        return events
    }

    /// `base64`: each vector as little-endian float32s in base64 (`encoding_format: base64`).
    static func embeddings(input: JSONValue?, model: String, base64: Bool = false) -> String {
        var inputs: [String] = []
        switch input {
        case .string(let text)?: inputs = [text]
        case .array(let items)?:
            inputs = items.map { $0.stringValue ?? String(decoding: CanonicalJSON.serialize($0), as: UTF8.self) }
        default: inputs = [""]
        }
        let data = inputs.enumerated().map { index, text in
            let values = MockAnswers.embedding(for: text, dimensions: 8)
            let vector =
                base64
                ? "\""
                    + Data(values.flatMap { withUnsafeBytes(of: Float($0)!.bitPattern.littleEndian, Array.init) })
                    .base64EncodedString() + "\""
                : "[" + values.joined(separator: ",") + "]"
            return #"{"object":"embedding","index":\#(index),"embedding":\#(vector)}"#
        }
        return
            #"{"object":"list","data":[\#(data.joined(separator: ","))],"model":"\#(MockAnswers.escape(model))","usage":{"prompt_tokens":\#(inputs.count * 3),"total_tokens":\#(inputs.count * 3)}}"#
    }

    static func anthropicMessage(id: Substring, model: String, text: String, cache: PromptCache = PromptCache())
        -> String
    {
        let (prompt, completion) = usage(text)
        return
            #"{"id":"msg_\#(id)","type":"message","role":"assistant","model":"\#(MockAnswers.escape(model))","content":[{"type":"text","text":"\#(MockAnswers.escape(text))"}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":\#(prompt)\#(cache.anthropicFields),"output_tokens":\#(completion)}}"#
    }

    static func anthropicEvents(id: Substring, model: String, text: String, cache: PromptCache = PromptCache())
        -> [String]
    {
        let (prompt, completion) = usage(text)
        func event(_ name: String, _ data: String) -> String { "event: \(name)\ndata: \(data)\n\n" }
        var events = [
            event(
                "message_start",
                #"{"type":"message_start","message":{"id":"msg_\#(id)","type":"message","role":"assistant","model":"\#(MockAnswers.escape(model))","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":\#(prompt)\#(cache.anthropicFields),"output_tokens":1}}}"#
            ),
            event(
                "content_block_start",
                #"{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"#),
        ]
        for piece in MockAnswers.pieces(of: text) {
            events.append(
                event(
                    "content_block_delta",
                    #"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"\#(MockAnswers.escape(piece))"}}"#
                ))
        }
        events.append(event("content_block_stop", #"{"type":"content_block_stop","index":0}"#))
        events.append(
            event(
                "message_delta",
                #"{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":\#(completion)}}"#
            ))
        events.append(event("message_stop", #"{"type":"message_stop"}"#))
        return events
    }

    static func response(id: Substring, model: String, text: String) -> String {
        #"{"id":"resp_\#(id)","object":"response","created_at":\#(created),"status":"completed","model":"\#(MockAnswers.escape(model))","output":[{"type":"message","id":"msg_\#(id)","status":"completed","role":"assistant","content":[{"type":"output_text","text":"\#(MockAnswers.escape(text))","annotations":[]}]}]}"#
    }

    static func responseEvents(id: Substring, model: String, text: String) -> [String] {
        func event(_ name: String, _ data: String) -> String { "event: \(name)\ndata: \(data)\n\n" }
        var events = [
            event(
                "response.created",
                #"{"type":"response.created","response":{"id":"resp_\#(id)","status":"in_progress"}}"#)
        ]
        for piece in MockAnswers.pieces(of: text) {
            events.append(
                event(
                    "response.output_text.delta",
                    #"{"type":"response.output_text.delta","delta":"\#(MockAnswers.escape(piece))"}"#))
        }
        events.append(
            event(
                "response.completed",
                #"{"type":"response.completed","response":\#(response(id: id, model: model, text: text))}"#))
        return events
    }
}
