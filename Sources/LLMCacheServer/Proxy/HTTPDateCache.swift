import Foundation
import LLMCacheCore
import Synchronization

/// The `Date` header's value (RFC 9110 §5.6.7, `Sun, 06 Nov 1994 08:49:37 GMT`), formatted once
/// a second and shared: the memory-hit path sends it as Hummingbird does for every other answer.
final class HTTPDateCache: Sendable {
    private let cached = Mutex<(second: Int, text: String)>((-1, ""))

    /// The current second's value.
    var now: String {
        let second = Int(time(nil))
        if let text = cached.withLock({ $0.second == second ? $0.text : nil }) { return text }
        let text = HTTPDate.format(second)
        cached.withLock { $0 = (second, text) }
        return text
    }
}
