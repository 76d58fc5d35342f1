import LLMCacheCore
import Logging
import NIOPosix
import ServiceLifecycle

#if canImport(Glibc)
    import Glibc
#endif

/// Writes the run manifest: one JSON line per cacheable request (time, key, route, model,
/// namespace, status, tier, hit), appended to one file, or to one file per namespace in a
/// directory. Requests only queue their line (never blocking); this `Service` appends what is
/// queued on the blocking-I/O pool and, on graceful shutdown, writes what is left.
public final class ManifestWriter: Service, Sendable {
    /// Where the lines go.
    public enum Destination: Sendable, Equatable {
        /// Every line to this file.
        case file(String)
        /// Lines of namespace N to `DIR/N.jsonl` (`DIR/default.jsonl` for no namespace; bytes
        /// other than letters, digits, `-`, `_` and `.` percent-encoded).
        case directory(String)
    }

    public let destination: Destination
    private let lines: AsyncStream<Item>
    private let queue: AsyncStream<Item>.Continuation
    private let logger: Logger

    /// What the queue holds: a line, or a waiter to wake once every line before it is written.
    private enum Item: Sendable {
        case line(namespace: String, text: String)
        case barrier(CheckedContinuation<Void, Never>)
    }

    /// Checks that the destination can be written (creating the directory) before serving.
    public init(destination: Destination, logger: Logger) throws {
        self.destination = destination
        self.logger = logger
        (lines, queue) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1 << 20))
        switch destination {
        case .file(let path):
            try Self.append([], to: path)
        case .directory(let path):
            if mkdir(path, 0o755) != 0 && errno != EEXIST {
                throw ManifestError("cannot create manifest directory \(path): \(String(cString: strerror(errno)))")
            }
        }
    }

    /// Queues one request's line.
    func record(_ record: ManifestRecord) {
        enqueue(.line(namespace: record.namespace, text: record.jsonLine))
    }

    /// Returns once every line queued before the call is in its file (at once after shutdown).
    /// For a tool reading the manifest of a proxy that keeps running (`POST /__llmcache/manifest/flush`).
    func flushed() async {
        await withCheckedContinuation { enqueue(.barrier($0)) }
    }

    /// Queues `item`; a waiter that the full queue drops, or a closed queue refuses, is woken at
    /// once (never left waiting).
    private func enqueue(_ item: Item) {
        switch queue.yield(item) {
        case .dropped(.barrier(let waiter)): waiter.resume()
        case .terminated:
            if case .barrier(let waiter) = item { waiter.resume() }
        default: break
        }
    }

    public func run() async throws {
        await withDiscardingTaskGroup { group in
            group.addTask {
                // Graceful shutdown (after the server has stopped) closes the queue; what is
                // queued is still written.
                try? await gracefulShutdown()
                self.queue.finish()
            }
            for await item in lines {
                switch item {
                case .line(let namespace, let text): await write([path(for: namespace): [text]])
                case .barrier(let waiter): waiter.resume()
                }
            }
        }
    }

    private func write(_ pending: [String: [String]]) async {
        let logger = logger
        _ = try? await NIOThreadPool.singleton.runIfActive {
            for (path, lines) in pending {
                do {
                    try Self.append(Array(lines.joined().utf8), to: path)
                } catch {
                    logger.error("manifest write failed", metadata: ["path": "\(path)", "error": "\(error)"])
                }
            }
        }
    }

    func path(for namespace: String) -> String {
        switch destination {
        case .file(let path): return path
        case .directory(let directory):
            guard !namespace.isEmpty else { return directory + "/default.jsonl" }
            var name = ""
            for byte in namespace.utf8 {
                switch byte {
                case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                    UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"):
                    name.unicodeScalars.append(Unicode.Scalar(byte))
                case UInt8(ascii: ".") where !name.isEmpty:
                    name.unicodeScalars.append(Unicode.Scalar(byte))
                default:
                    name +=
                        "%" + String(byte >> 4, radix: 16, uppercase: true)
                        + String(byte & 0xf, radix: 16, uppercase: true)
                }
            }
            // A file name is at most 255 bytes: a long namespace (128 characters can encode to 384)
            // keeps a readable prefix and a hash of the whole, so no two namespaces share a file.
            if name.utf8.count > Self.maximumNameBytes {
                name =
                    String(name.utf8.prefix(Self.maximumNameBytes - 17))! + "~"
                    + CacheKey(token: Array(namespace.utf8)).hex.prefix(16)
            }
            return directory + "/" + name + ".jsonl"
        }
    }

    /// The path of the endpoint that waits for the manifest's lines (``flushed()``).
    static let flushPath = "/__llmcache/manifest/flush"

    /// The longest file name (before `.jsonl`) a namespace maps to.
    static let maximumNameBytes = 200

    /// Appends `bytes` to the file at `path` (created if missing).
    static func append(_ bytes: [UInt8], to path: String) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw ManifestError("cannot open manifest \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes {
                Glibc.write(descriptor, $0.baseAddress! + offset, bytes.count - offset)
            }
            if written < 0 {
                if errno == EINTR { continue }
                throw ManifestError("cannot write manifest \(path): \(String(cString: strerror(errno)))")
            }
            offset += written
        }
    }
}

/// A manifest destination that cannot be used.
public struct ManifestError: Error, Sendable, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}

/// One line of a run manifest.
struct ManifestRecord: Sendable {
    var time: Timestamp
    var key: CacheKey
    var method: String
    var path: String
    var model: String
    var namespace: String
    /// `x-llmcache-status`: HIT, MISS, REFRESH, COALESCED (or MISS for a replay-mode 504).
    var status: String
    /// memory, disk, upstream, or none (a replay-mode miss).
    var tier: String
    var httpStatus: Int

    var jsonLine: String {
        let value = JSONValue.object([
            JSONMember(key: "time", value: .string(time.iso8601)),
            JSONMember(key: "key", value: .string(key.hex)),
            JSONMember(key: "method", value: .string(method)),
            JSONMember(key: "path", value: .string(path)),
            JSONMember(key: "model", value: .string(model)),
            JSONMember(key: "namespace", value: .string(namespace)),
            JSONMember(key: "status", value: .string(status)),
            JSONMember(key: "tier", value: .string(tier)),
            JSONMember(key: "hit", value: .bool(status == CacheStatus.hit.rawValue)),
            JSONMember(key: "http_status", value: .number(String(httpStatus))),
        ])
        return value.canonicalText + "\n"
    }
}
