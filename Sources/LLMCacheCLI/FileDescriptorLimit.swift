#if canImport(Glibc)
    import Glibc
#endif

/// The process's open-file limit, raised for a server (as nginx's `worker_rlimit_nofile`): every
/// client connection, upstream connection and the store take a descriptor, and running out makes
/// accepting new connections fail.
enum FileDescriptorLimit {
    /// Descriptors kept for upstream connections, the store, logs and manifests.
    static let reserve = 512

    /// Raises the soft limit to the hard one; the limit in force afterwards.
    static func raise() -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return Int.max }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { limit = raised }
        }
        return Int(clamping: limit.rlim_cur)  // RLIM_INFINITY clamps to Int.max
    }
}
