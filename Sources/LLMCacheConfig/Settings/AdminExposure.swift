import LLMCacheCore

/// The rule for where the admin API may listen: it can purge the cache and export every stored
/// answer, so an address reachable from other machines needs a token — or an explicit
/// `admin.allow_open: true` (`--admin-allow-open`) from someone who has put it behind their own
/// access control.
public enum AdminExposure {
    /// Whether an admin API on `host` with `token` may start.
    public static func permits(host: String, token: String?, allowOpen: Bool) -> Bool {
        token != nil || allowOpen || isLoopbackAddress(host)
    }

    public static func message(host: String) -> String {
        "the admin API would listen on \(host), reachable from other machines, without a token — it can purge "
            + "the cache and export every stored answer; set admin.token (--admin-token-env), listen on "
            + "127.0.0.1, or set admin.allow_open: true (--admin-allow-open) to accept the risk"
    }
}
