import LLMCacheCore
import NIOCore

/// Whether a fetched 2xx answer is a whole answer worth storing. A JSON answer must parse; a
/// stream must end with its protocol's terminal event (`data: [DONE]` for OpenAI chat and
/// completions, `message_stop` for Anthropic, `response.completed` for the Responses API) — an
/// answer cut short, or one that ended with an error event, is relayed but never replayed.
enum AnswerValidation {
    enum Refusal: String, CaseIterable, Sendable {
        /// A non-stream answer whose body is not one valid JSON value.
        case invalidJSON = "invalid_json"
        /// A stream that did not end with its terminal event.
        case incompleteStream = "incomplete_stream"
    }

    static func refusal(body: ByteBuffer, isStream: Bool) -> Refusal? {
        if isStream { return endsWithTerminalEvent(body) ? nil : .incompleteStream }
        return (try? JSONParser.parse(body.readableBytesView)) == nil ? .invalidJSON : nil
    }

    /// Whether the last event of a server-sent-events body is a terminal one.
    static func endsWithTerminalEvent(_ body: ByteBuffer) -> Bool {
        let tail = String(decoding: body.readableBytesView.suffix(65_536), as: UTF8.self)
        var lines = tail.split(separator: "\n", omittingEmptySubsequences: false).map {
            $0.hasSuffix("\r") ? $0.dropLast() : $0
        }
        while let last = lines.last, last.allSatisfy({ $0 == " " }) { lines.removeLast() }
        guard !lines.isEmpty else { return false }
        // The last event: the lines after the last blank line.
        let event = lines.reversed().prefix { !$0.isEmpty }
        return event.contains { line in terminalMarkers.contains { line.contains($0) } }
    }

    static let terminalMarkers = [
        "data: [DONE]", "data:[DONE]", "event: message_stop", #""type":"message_stop""#,
        "event: response.completed", #""type":"response.completed""#,
    ]
}
