#if canImport(Glibc)
    import Glibc
#endif

/// The HTTP `Date` form (RFC 9110 §5.6.7's IMF-fixdate, `Sun, 06 Nov 1994 08:49:37 GMT`).
public enum HTTPDate {
    private static let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// `seconds` since 1970 in the IMF-fixdate form.
    public static func format(_ seconds: Int) -> String {
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return
            "\(days[Int(parts.tm_wday)]), \(two(parts.tm_mday)) \(months[Int(parts.tm_mon)]) \(parts.tm_year + 1900) "
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)) GMT"
    }

    /// The seconds since 1970 that `text` names, when it is exactly what ``format(_:)`` writes
    /// for them (so that formatting them again gives `text` back, byte for byte); nil otherwise.
    public static func exactSeconds(_ text: String) -> Int? {
        guard text.utf8.count == 29 else { return nil }
        let bytes = Array(text.utf8)
        func number(_ range: Range<Int>) -> Int32? {
            var value: Int32 = 0
            for byte in bytes[range] {
                guard (0x30...0x39).contains(byte) else { return nil }
                value = value * 10 + Int32(byte - 0x30)
            }
            return value
        }
        let month = String(decoding: bytes[8..<11], as: UTF8.self)
        guard let monthIndex = months.firstIndex(of: month), let day = number(5..<7), let year = number(12..<16),
            let hour = number(17..<19), let minute = number(20..<22), let second = number(23..<25)
        else { return nil }
        var parts = tm()
        parts.tm_year = year - 1900
        parts.tm_mon = Int32(monthIndex)
        parts.tm_mday = day
        parts.tm_hour = hour
        parts.tm_min = minute
        parts.tm_sec = second
        let seconds = Int(timegm(&parts))
        return format(seconds) == text ? seconds : nil
    }
}
