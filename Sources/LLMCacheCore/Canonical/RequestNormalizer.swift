/// Turns a request body into its canonical form for the key: parsed strictly (``JSONParser``),
/// top-level fields that do not change the answer removed, serialized canonically.
public struct RequestNormalizer: Sendable, Equatable {
    /// Top-level body fields left out of the key.
    public var ignoredFields: Set<String>
    public var maximumDepth: Int

    public init(ignoredFields: Set<String>, maximumDepth: Int = JSONParser.defaultMaximumDepth) {
        self.ignoredFields = ignoredFields
        self.maximumDepth = maximumDepth
    }

    /// OpenAI-compatible APIs: `user`, `metadata` and `store` tag or log a request without
    /// changing its answer.
    public static let openAI = RequestNormalizer(ignoredFields: ["user", "metadata", "store"])
    /// Anthropic: `metadata` (holds `user_id`).
    public static let anthropic = RequestNormalizer(ignoredFields: ["metadata"])

    /// The parsed body with ignored fields removed, and its canonical bytes. Throws
    /// ``JSONParseError`` for anything that is not a single valid JSON value.
    public func normalize(_ body: some Collection<UInt8>) throws -> (value: JSONValue, canonical: [UInt8]) {
        var value = try JSONParser.parse(body, maximumDepth: maximumDepth)
        if case .object(let members) = value {
            value = .object(members.filter { !ignoredFields.contains($0.key) })
        }
        return (value, CanonicalJSON.serialize(value))
    }
}
