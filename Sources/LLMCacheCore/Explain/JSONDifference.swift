/// One place where two JSON values differ: a JSON path (`$.messages[1].content`) with the value
/// on each side (`nil`: absent on that side).
public struct JSONDifference: Sendable, Hashable {
    public var path: String
    public var stored: JSONValue?
    public var request: JSONValue?

    public init(path: String, stored: JSONValue?, request: JSONValue?) {
        self.path = path
        self.stored = stored
        self.request = request
    }

    /// The field-level differences between `stored` and `request`, in path order, at most
    /// `limit`. Objects are compared member by member, arrays element by element; where the
    /// kinds differ (or the values are scalars) the whole value is one difference.
    public static func between(stored: JSONValue, request: JSONValue, limit: Int = 64) -> [JSONDifference] {
        var differences: [JSONDifference] = []
        compare(stored, request, path: "$", into: &differences, limit: limit)
        return differences
    }

    /// How many leaf differences there are, counting at most `limit` (cheaper than building them).
    public static func count(stored: JSONValue, request: JSONValue, limit: Int = .max) -> Int {
        var differences: [JSONDifference] = []
        compare(stored, request, path: nil, into: &differences, limit: limit)
        return differences.count
    }

    /// `path` nil: count only (every difference gets an empty path, no strings are built).
    private static func compare(
        _ stored: JSONValue, _ request: JSONValue, path: String?, into differences: inout [JSONDifference], limit: Int
    ) {
        guard differences.count < limit, stored != request else { return }
        switch (stored, request) {
        case (.object(let left), .object(let right)):
            var names = Set(left.map(\.key))
            names.formUnion(right.map(\.key))
            for name in names.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) {
                let childPath = path.map { $0 + member(name) }
                let old = left.first { $0.key == name }?.value
                let new = right.first { $0.key == name }?.value
                if let old, let new {
                    compare(old, new, path: childPath, into: &differences, limit: limit)
                } else if differences.count < limit {
                    differences.append(JSONDifference(path: childPath ?? "", stored: old, request: new))
                }
            }
        case (.array(let left), .array(let right)):
            for index in 0..<max(left.count, right.count) {
                let childPath = path.map { "\($0)[\(index)]" }
                if index < left.count, index < right.count {
                    compare(left[index], right[index], path: childPath, into: &differences, limit: limit)
                } else if differences.count < limit {
                    differences.append(
                        JSONDifference(
                            path: childPath ?? "", stored: index < left.count ? left[index] : nil,
                            request: index < right.count ? right[index] : nil))
                }
            }
        default:
            differences.append(JSONDifference(path: path ?? "", stored: stored, request: request))
        }
    }

    /// `.name` for identifier-like names, `["name"]` otherwise.
    private static func member(_ name: String) -> String {
        let utf8 = name.utf8
        let isIdentifier =
            !utf8.isEmpty
            && utf8.enumerated().allSatisfy { index, byte in
                byte == UInt8(ascii: "_") || (byte | 0x20 >= UInt8(ascii: "a") && byte | 0x20 <= UInt8(ascii: "z"))
                    || (index > 0 && byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
            }
        return isIdentifier ? "." + name : "[\"" + JSONString.escaped(name) + "\"]"
    }
}

extension JSONValue {
    /// This value with every string longer than `maximumCharacters` cut (and marked with the
    /// number of characters left out) — for reports, where a whole prompt would drown the point.
    public func abbreviated(maximumCharacters: Int = 200) -> JSONValue {
        switch self {
        case .string(let text) where text.count > maximumCharacters:
            return .string(
                String(text.prefix(maximumCharacters)) + "… (\(text.count - maximumCharacters) more characters)")
        case .array(let elements):
            return .array(elements.map { $0.abbreviated(maximumCharacters: maximumCharacters) })
        case .object(let members):
            return .object(
                members.map {
                    JSONMember(key: $0.key, value: $0.value.abbreviated(maximumCharacters: maximumCharacters))
                })
        default:
            return self
        }
    }

    /// The value's canonical JSON text.
    public var canonicalText: String { String(decoding: CanonicalJSON.serialize(self), as: UTF8.self) }
}
