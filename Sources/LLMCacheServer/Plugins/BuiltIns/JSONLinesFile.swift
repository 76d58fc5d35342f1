import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A file that JSON lines are appended to (`O_APPEND`: concurrent writers never interleave a
/// line). Each line is one `write(2)` into the page cache from the calling thread — no fsync,
/// a few microseconds, like a logger writing to stdout; a hop to the blocking pool per request
/// cost more than the write (measured: hit throughput 14 k/s with the hop, see docs/performance.md). Closing
/// is safe while writes are in flight: a write after ``close()`` is dropped, never sent to a
/// reused descriptor.
final class JSONLinesFile: Sendable {
    let path: String
    private let descriptor = Mutex<Int32?>(nil)

    init(path: String) { self.path = path }

    func open() throws {
        let opened = Glibc.open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard opened >= 0 else { throw JSONLinesFileError("cannot open \(path): \(String(cString: strerror(errno)))") }
        descriptor.withLock { $0 = opened }
    }

    func append(_ line: [UInt8]) throws {
        var line = line
        line.append(UInt8(ascii: "\n"))
        try descriptor.withLock { fd in
            guard let fd else { return }
            let written = line.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if written != line.count {
                throw JSONLinesFileError("cannot write \(path): \(String(cString: strerror(errno)))")
            }
        }
    }

    func close() {
        descriptor.withLock {
            if let fd = $0 { _ = Glibc.close(fd) }
            $0 = nil
        }
    }
}

struct JSONLinesFileError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
