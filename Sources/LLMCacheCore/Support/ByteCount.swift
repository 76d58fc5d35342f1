/// Sizes written for people: `268435456`, `512MiB`, `512M`, `2GiB`, `2g`, `64k` (binary
/// multiples; `KB`/`MB`/`GB` are read as binary too, as nginx and Varnish do).
public enum ByteCount {
    public static func parse(_ text: String) -> Int? {
        let trimmed = text.trimmedSpaces.lowercased()
        let digits = trimmed.prefix { $0.isNumber }
        guard !digits.isEmpty, let value = Int(digits) else { return nil }
        let shift: Int
        switch trimmed.dropFirst(digits.count) {
        case "", "b": shift = 0
        case "k", "kb", "kib": shift = 10
        case "m", "mb", "mib": shift = 20
        case "g", "gb", "gib": shift = 30
        case "t", "tb", "tib": shift = 40
        default: return nil
        }
        guard value <= Int.max >> shift else { return nil }
        return value << shift
    }

    /// `bytes` in the largest binary unit that keeps one decimal: `1.5 GiB`, `640 KiB`, `12 B`.
    public static func format(_ bytes: Int) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(bytes)
        var unit = 0
        while abs(value) >= 1024, unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        if unit == 0 { return "\(bytes) B" }
        let tenths = (value * 10).rounded() / 10
        return tenths == tenths.rounded() ? "\(Int(tenths)) \(units[unit])" : "\(tenths) \(units[unit])"
    }
}
