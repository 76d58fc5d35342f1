/// One spelling per JSON number value: `1`, `1.0`, `1.00` and `10e-1` all become `1`;
/// `-0` becomes `0`; `0.5`, `5e-1` and `.5`-style values become `0.5`; very large or small values
/// use `d.ddde±n`. Exact: works on the decimal digits, never through a binary float.
enum CanonicalNumber {
    static func spell(negative: Bool, digits rawDigits: [UInt8], exponent rawExponent: Int) -> String {
        var digits = rawDigits[...]
        while digits.first == 0 { digits = digits.dropFirst() }
        guard !digits.isEmpty else { return "0" }
        var exponent = rawExponent
        while digits.last == 0 {
            digits = digits.dropLast()
            exponent += 1
        }
        let text = String(decoding: digits.map { $0 + UInt8(ascii: "0") }, as: UTF8.self)
        let sign = negative ? "-" : ""
        let count = digits.count
        // Position of the decimal point relative to the start of the digits.
        let point = count + exponent
        if exponent >= 0 && point <= 21 {
            return sign + text + String(repeating: "0", count: exponent)
        }
        if exponent < 0 && point > 0 {
            let index = text.index(text.startIndex, offsetBy: point)
            return sign + text[..<index] + "." + text[index...]
        }
        if exponent < 0 && point > -6 {
            return sign + "0." + String(repeating: "0", count: -point) + text
        }
        let mantissa = count == 1 ? text : String(text.prefix(1)) + "." + text.dropFirst()
        let scientific = point - 1
        return sign + mantissa + "e" + (scientific < 0 ? "-" : "+") + String(abs(scientific))
    }
}
