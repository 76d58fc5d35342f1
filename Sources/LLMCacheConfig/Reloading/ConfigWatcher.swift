import Logging
import ServiceLifecycle
import UnixSignals

#if canImport(Glibc)
    import Glibc
#endif

/// Asks for a reload on SIGHUP and when the configuration file changes (polled: modification
/// time, size and inode, so editors that replace the file are seen too). A change is acted on
/// once the file has stayed the same for one more poll, so a half-written file is not read.
/// Reloads run one at a time, in this service's task.
///
/// A `Service`: runs until graceful shutdown.
public struct ConfigWatcher: Service {
    public let path: String?
    public let interval: Duration
    let watchSignals: Bool
    let reload: @Sendable (_ reason: String) async -> Void
    let logger: Logger
    /// The file as it was when the watcher was made — right after the configuration was loaded,
    /// so that an edit before the watcher runs is not missed.
    let initial: Fingerprint?

    /// - Parameters:
    ///   - path: the file to watch; nil: SIGHUP only.
    ///   - watchSignals: trap SIGHUP (tests turn it off: signals are process-wide).
    public init(
        path: String?, interval: Duration = .seconds(1), watchSignals: Bool = true, logger: Logger,
        reload: @escaping @Sendable (_ reason: String) async -> Void
    ) {
        self.path = path
        self.interval = interval
        self.watchSignals = watchSignals
        self.logger = logger
        self.reload = reload
        self.initial = path.flatMap(Self.fingerprint)
    }

    /// What identifies a version of the file; nil when it cannot be read.
    struct Fingerprint: Equatable, Sendable {
        var modified: Int
        var size: Int
        var inode: UInt
    }

    static func fingerprint(_ path: String) -> Fingerprint? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return Fingerprint(
            modified: Int(info.st_mtim.tv_sec) * 1_000_000_000 + Int(info.st_mtim.tv_nsec), size: Int(info.st_size),
            inode: UInt(info.st_ino))
    }

    public func run() async throws {
        let (reasons, requests) = AsyncStream.makeStream(of: String.self, bufferingPolicy: .bufferingNewest(4))
        try? await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                if watchSignals {
                    group.addTask {
                        for await _ in await UnixSignalsSequence(trapping: .sighup) { requests.yield("SIGHUP") }
                    }
                }
                if let path {
                    group.addTask { await poll(path, requests: requests) }
                }
                // Cancellation (graceful shutdown) ends every loop, this one included.
                group.addTask {
                    for await reason in reasons { await reload(reason) }
                }
            }
        }
    }

    private func poll(_ path: String, requests: AsyncStream<String>.Continuation) async {
        var applied = initial
        var seen = Self.fingerprint(path)
        while !Task.isCancelled {
            try? await Task.sleep(for: interval)
            let now = Self.fingerprint(path)
            defer { seen = now }
            // Missing (mid-replace) or still changing: wait for the next poll.
            guard let now, now == seen, now != applied else { continue }
            applied = now
            requests.yield("file changed")
        }
    }
}
