/// Standard base64 (RFC 4648, with padding), for bodies that are not UTF-8 text in export files.
enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    private static let values: [Int8] = {
        var table = [Int8](repeating: -1, count: 256)
        for (index, byte) in alphabet.enumerated() { table[Int(byte)] = Int8(index) }
        return table
    }()

    static func encode(_ bytes: some Collection<UInt8>) -> String {
        let input = Array(bytes)
        var output: [UInt8] = []
        output.reserveCapacity((input.count + 2) / 3 * 4)
        var index = 0
        while index + 3 <= input.count {
            let value = Int(input[index]) << 16 | Int(input[index + 1]) << 8 | Int(input[index + 2])
            for shift in [18, 12, 6, 0] { output.append(alphabet[value >> shift & 63]) }
            index += 3
        }
        let rest = input.count - index
        if rest > 0 {
            let value = Int(input[index]) << 16 | (rest == 2 ? Int(input[index + 1]) << 8 : 0)
            output.append(alphabet[value >> 18 & 63])
            output.append(alphabet[value >> 12 & 63])
            output.append(rest == 2 ? alphabet[value >> 6 & 63] : UInt8(ascii: "="))
            output.append(UInt8(ascii: "="))
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// `nil` unless `text` is well-formed padded base64.
    static func decode(_ text: String) -> [UInt8]? {
        let input = Array(text.utf8)
        guard input.count % 4 == 0 else { return nil }
        var output: [UInt8] = []
        output.reserveCapacity(input.count / 4 * 3)
        var index = 0
        while index < input.count {
            let quad = input[index..<(index + 4)]
            let padding = quad.reversed().prefix { $0 == UInt8(ascii: "=") }.count
            guard padding <= 2, index + 4 == input.count || padding == 0 else { return nil }
            var value = 0
            for (offset, byte) in quad.enumerated() {
                let digit: Int
                if offset >= 4 - padding {
                    digit = 0
                } else {
                    let decoded = values[Int(byte)]
                    guard decoded >= 0 else { return nil }
                    digit = Int(decoded)
                }
                value = value << 6 | digit
            }
            output.append(UInt8(value >> 16 & 0xff))
            if padding < 2 { output.append(UInt8(value >> 8 & 0xff)) }
            if padding < 1 { output.append(UInt8(value & 0xff)) }
            index += 4
        }
        return output
    }
}
