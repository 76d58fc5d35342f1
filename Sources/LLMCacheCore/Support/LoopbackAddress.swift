/// Whether a listen address reaches only this machine: `localhost`, `127.0.0.0/8`, `::1`.
/// Anything else — `0.0.0.0`, `::`, a LAN address, a host name — may be reachable from outside.
public func isLoopbackAddress(_ host: String) -> Bool {
    var host = host.lowercased()
    if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
    if host == "localhost" || host == "::1" || host == "0:0:0:0:0:0:0:1" { return true }
    let parts = host.split(separator: ".", omittingEmptySubsequences: false)
    return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { UInt8($0) != nil }
}
