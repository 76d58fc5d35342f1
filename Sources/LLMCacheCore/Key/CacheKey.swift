/// A 256-bit cache key: the SHA-256 digest of a request's canonical form (see ARCHITECTURE.md).
///
/// Stored as four words so that it is a trivial, allocation-free value. The words are already
/// uniformly distributed, so different words serve as independent hashes: `w0` places the key in
/// a tier's index, `w1` feeds the frequency sketch, `w2` picks the shard.
public struct CacheKey: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var w0: UInt64
    public var w1: UInt64
    public var w2: UInt64
    public var w3: UInt64

    @inlinable
    public init(w0: UInt64, w1: UInt64, w2: UInt64, w3: UInt64) {
        self.w0 = w0
        self.w1 = w1
        self.w2 = w2
        self.w3 = w3
    }

    /// Builds a key from a 32-byte digest (big-endian words, so `hex` spells the digest).
    /// Returns `nil` unless `digest` has exactly 32 bytes.
    public init?(digest: some Collection<UInt8>) {
        guard digest.count == 32 else { return nil }
        var words: [UInt64] = [0, 0, 0, 0]
        for (offset, byte) in digest.enumerated() {
            words[offset / 8] = words[offset / 8] << 8 | UInt64(byte)
        }
        self.init(w0: words[0], w1: words[1], w2: words[2], w3: words[3])
    }

    /// Parses the 64-character lowercase or uppercase hex spelling of ``hex``.
    public init?(hex: some StringProtocol) {
        let utf8 = Array(hex.utf8)
        guard utf8.count == 64 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(32)
        var index = 0
        while index < 64 {
            guard let high = Self.nibble(utf8[index]), let low = Self.nibble(utf8[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        self.init(digest: bytes)
    }

    /// A well-mixed key for an integer identifier, e.g. a block number in a cache trace.
    public init(identifier: UInt64) {
        var state = identifier
        self.init(
            w0: Self.splitMix64(&state),
            w1: Self.splitMix64(&state),
            w2: Self.splitMix64(&state),
            w3: Self.splitMix64(&state)
        )
    }

    /// A well-mixed key for arbitrary bytes (FNV-1a, then SplitMix64). Not cryptographic: for
    /// trace tokens and tests, never for request keys.
    public init(token: some Sequence<UInt8>) {
        self.init(identifier: Self.fnv1a(token))
    }

    /// The digest as 32 bytes.
    public var bytes: [UInt8] {
        var result: [UInt8] = []
        result.reserveCapacity(32)
        for word in [w0, w1, w2, w3] {
            for shift in stride(from: 56, through: 0, by: -8) {
                result.append(UInt8(truncatingIfNeeded: word >> UInt64(shift)))
            }
        }
        return result
    }

    /// 64 lowercase hex digits.
    public var hex: String { Self.hex(bytes) }

    /// Lowercase hex digits of `bytes`.
    public static func hex(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var utf8: [UInt8] = []
        for byte in bytes {
            utf8.append(digits[Int(byte >> 4)])
            utf8.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: utf8, as: UTF8.self)
    }

    public var description: String { hex }

    @inlinable
    public func hash(into hasher: inout Hasher) {
        hasher.combine(w0)
    }

    @inlinable
    public static func < (lhs: CacheKey, rhs: CacheKey) -> Bool {
        (lhs.w0, lhs.w1, lhs.w2, lhs.w3) < (rhs.w0, rhs.w1, rhs.w2, rhs.w3)
    }

    /// Bytes a key occupies wherever it is stored.
    public static let byteCount = 32

    private static func nibble(_ character: UInt8) -> UInt8? {
        switch character {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): character - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): character - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): character - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    private static func splitMix64(_ state: inout UInt64) -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}

extension CacheKey {
    /// 64-bit FNV-1a of `bytes`: the identifier of a token in a `lines` trace.
    public static func fnv1a(_ bytes: some Sequence<UInt8>) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        return hash
    }
}
