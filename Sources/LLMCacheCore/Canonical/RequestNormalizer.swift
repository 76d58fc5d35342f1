/// Turns a request body into its canonical form for the key: parsed strictly (``JSONParser``),
/// top-level fields that do not change the answer removed, serialized canonically.
public struct RequestNormalizer: Sendable, Equatable {
    /// Top-level body fields left out of the key.
    public var ignoredFields: Set<String>
    /// Top-level fields left out of the key unless the request has `"store": true` — then the
    /// provider keeps the answer with them (a stored chat completion or response carries its
    /// `metadata`, and can be listed and filtered by it).
    public var ignoredUnlessStored: Set<String>
    public var maximumDepth: Int

    public init(
        ignoredFields: Set<String>, ignoredUnlessStored: Set<String> = [],
        maximumDepth: Int = JSONParser.defaultMaximumDepth
    ) {
        self.ignoredFields = ignoredFields
        self.ignoredUnlessStored = ignoredUnlessStored
        self.maximumDepth = maximumDepth
    }

    /// OpenAI-compatible APIs. Ignored: `user` (an end-user id for abuse monitoring; it never
    /// changes the answer). Ignored unless storing: `metadata` (tags of the stored object).
    /// Kept: `store` — a `store:false` answer's id was never kept by the provider, so it must not
    /// answer a `store:true` request that will chain on it (`previous_response_id`) or fetch it.
    /// Everything else is kept: when in doubt a field is part of the key (a miss costs a call, a
    /// wrong hit costs a wrong answer).
    public static let openAI = RequestNormalizer(ignoredFields: ["user"], ignoredUnlessStored: ["metadata"])
    /// Anthropic: `metadata` (holds only `user_id`, for abuse detection).
    public static let anthropic = RequestNormalizer(ignoredFields: ["metadata"])

    /// The parsed body with ignored fields removed, and its canonical bytes. Throws
    /// ``JSONParseError`` for anything that is not a single valid JSON value.
    public func normalize(_ body: some Collection<UInt8>) throws -> (value: JSONValue, canonical: [UInt8]) {
        var value = try JSONParser.parse(body, maximumDepth: maximumDepth)
        if case .object(let members) = value {
            let stored = members.contains { $0.key == "store" && $0.value == .bool(true) }
            value = .object(
                members.filter {
                    !ignoredFields.contains($0.key) && (stored || !ignoredUnlessStored.contains($0.key))
                })
        }
        return (value, CanonicalJSON.serialize(value))
    }
}
