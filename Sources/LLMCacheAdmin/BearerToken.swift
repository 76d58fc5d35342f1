import HTTPTypes

/// Checks `Authorization: Bearer TOKEN` against the configured token, in time that does not
/// depend on where the two differ.
struct BearerToken: Sendable {
    private let expected: [UInt8]

    init(_ token: String) {
        expected = Array(token.utf8)
    }

    func admits(_ headers: HTTPFields) -> Bool {
        guard let value = headers[.authorization] else { return false }
        let prefix = "bearer "
        guard value.count > prefix.count, value.lowercased().hasPrefix(prefix) else { return false }
        let presented = Array(value.utf8.dropFirst(prefix.utf8.count))
        var difference = UInt8(presented.count == expected.count ? 0 : 1)
        for index in expected.indices {
            difference |= expected[index] ^ (index < presented.count ? presented[index] : 0)
        }
        return difference == 0
    }
}
