/// A parsed JSON value. Numbers keep a canonical decimal spelling (see ``JSONParser``), so equal
/// numbers compare equal whatever their original spelling (`1`, `1.0`, `10e-1`).
public indirect enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    /// The canonical spelling of the number.
    case number(String)
    case string(String)
    case array([JSONValue])
    /// Members in their original order (the canonical serialization sorts them).
    case object([JSONMember])

    /// The member named `key` of an object.
    public subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.first { $0.key == key }?.value
    }

    /// The value as a string, if it is one.
    public var stringValue: String? {
        if case .string(let text) = self { return text }
        return nil
    }

    /// The value as an integer, if it is a number that is one.
    public var intValue: Int? {
        guard case .number(let spelling) = self else { return nil }
        return Int(spelling)
    }

    /// The value as a Bool, if it is one.
    public var boolValue: Bool? {
        if case .bool(let flag) = self { return flag }
        return nil
    }
}

/// One member of a JSON object.
public struct JSONMember: Sendable, Hashable {
    public var key: String
    public var value: JSONValue

    public init(key: String, value: JSONValue) {
        self.key = key
        self.value = value
    }
}

/// Why a body is not acceptable JSON. `offset` is the byte where parsing stopped.
public struct JSONParseError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public var offset: Int

    public init(_ message: String, offset: Int) {
        self.message = message
        self.offset = offset
    }

    public var description: String { "\(message) at byte \(offset)" }
}
