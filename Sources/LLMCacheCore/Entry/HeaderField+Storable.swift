extension HeaderField {
    /// Headers never stored with a response: hop-by-hop headers (RFC 9110 §7.6.1), framing that
    /// is recomputed on replay, and anything carrying credentials or session state.
    public static let unstorableNames: Set<String> = [
        "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection", "te",
        "trailer", "transfer-encoding", "upgrade", "content-length", "authorization", "x-api-key", "api-key",
        "cookie", "set-cookie",
    ]

    /// Whether this header may be stored and replayed (case-insensitive name check).
    public var isStorable: Bool { !Self.unstorableNames.contains(name.lowercased()) }
}
