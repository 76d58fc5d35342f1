import LLMCacheCore

/// Durations written for people: `250ms`, `30s`, `5m`, `2h`, `7d`, or a plain number of seconds.
public enum ConfigDuration {
    public static func parse(_ text: String) -> Duration? {
        let trimmed = text.trimmedSpaces.lowercased()
        let digits = trimmed.prefix { $0.isNumber }
        guard !digits.isEmpty, digits.count <= 12, let value = Int64(digits) else { return nil }
        switch trimmed.dropFirst(digits.count) {
        case "ms": return .milliseconds(value)
        case "", "s": return .seconds(value)
        case "m": return .seconds(value * 60)
        case "h": return .seconds(value * 3600)
        case "d": return .seconds(value * 86_400)
        default: return nil
        }
    }

    /// The shortest exact form: `250ms`, `90s`, `5m`, `2h`, `7d`, `0s`.
    public static func format(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        if attoseconds != 0 || seconds == 0 && attoseconds != 0 {
            return "\(seconds * 1000 + attoseconds / 1_000_000_000_000_000)ms"
        }
        for (unit, size) in [("d", Int64(86_400)), ("h", 3600), ("m", 60)] where seconds != 0 && seconds % size == 0 {
            return "\(seconds / size)\(unit)"
        }
        return "\(seconds)s"
    }
}
