import LLMCacheConfig

extension ConfigSection {
    /// The regular expressions at `key` (Swift `Regex` syntax, like PCRE); each bad one is
    /// reported with its path and line.
    func regexes(_ key: String) -> [Pattern] {
        list(key).compactMap { path, node in
            guard let pattern = node.text else {
                report(path: path, origin: node.origin, "expected a regular expression, got \(node)")
                return nil
            }
            return regex(pattern, path: path, origin: node.origin)
        }
    }

    func regex(_ pattern: String, path: String, origin: ConfigOrigin) -> Pattern? {
        guard !pattern.isEmpty else {
            report(path: path, origin: origin, "an empty pattern matches everywhere")
            return nil
        }
        do {
            return Pattern(regex: try Regex(pattern))
        } catch {
            report(path: path, origin: origin, "not a valid regular expression: \(error)")
            return nil
        }
    }
}

/// A compiled regular expression shared by concurrent requests.
struct Pattern: @unchecked Sendable {
    // Unchecked: `Regex<AnyRegexOutput>` is not marked Sendable because of its output type, but
    // it is an immutable value whose lazily built program is published atomically by the
    // standard library; it is only matched, never mutated.
    let regex: Regex<AnyRegexOutput>

    func replacing(in text: String, with replacement: String) -> String {
        text.replacing(regex, with: replacement)
    }
}
