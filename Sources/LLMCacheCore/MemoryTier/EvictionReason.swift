/// Why an entry left a tier.
public enum EvictionReason: Int, Sendable, CaseIterable, CustomStringConvertible {
    /// The tier was full and the policy chose this entry (or refused to admit it).
    case capacity
    /// The entry's time to live ran out.
    case ttl
    /// Someone asked for it: remove, purge by namespace, purge all, or a replacement that was refused.
    case explicit
    /// The memory governor shrank the tier.
    case governor

    public var description: String {
        switch self {
        case .capacity: "capacity"
        case .ttl: "ttl"
        case .explicit: "explicit"
        case .governor: "governor"
        }
    }
}
