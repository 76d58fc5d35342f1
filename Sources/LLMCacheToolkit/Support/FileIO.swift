#if canImport(Glibc)
    import Glibc
#endif

/// Reads a file in chunks (plain POSIX I/O, no Foundation).
final class FileInput {
    let path: String
    private let descriptor: Int32

    init(path: String) throws {
        self.path = path
        descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw ToolkitError("cannot open \(path): \(String(cString: strerror(errno)))") }
        var info = stat()
        if fstat(descriptor, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR {
            close(descriptor)
            throw ToolkitError("\(path) is a directory, not a file")
        }
    }

    deinit { close(descriptor) }

    /// Up to `count` bytes; empty at the end of the file.
    func read(_ count: Int = 1 << 16) throws -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: count)
        while true {
            let got = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, count) }
            if got < 0 {
                if errno == EINTR { continue }
                throw ToolkitError("cannot read \(path): \(String(cString: strerror(errno)))")
            }
            buffer.removeSubrange(got...)
            return buffer
        }
    }

    /// The whole file, refusing more than `limit` bytes.
    static func contents(of path: String, limit: Int = 1 << 30) throws -> [UInt8] {
        let input = try FileInput(path: path)
        var bytes: [UInt8] = []
        while true {
            let chunk = try input.read()
            if chunk.isEmpty { return bytes }
            bytes += chunk
            guard bytes.count <= limit else { throw ToolkitError("\(path) is larger than \(limit) bytes") }
        }
    }
}

/// Writes a file through a buffer; `close()` flushes and reports errors (and `fsync`s).
final class FileOutput {
    let path: String
    private let descriptor: Int32
    private var buffer: [UInt8] = []

    /// Creates or truncates `path`.
    init(path: String) throws {
        self.path = path
        descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw ToolkitError("cannot create \(path): \(String(cString: strerror(errno)))") }
    }

    deinit { Glibc.close(descriptor) }

    func write(_ bytes: some Collection<UInt8>) throws {
        buffer.append(contentsOf: bytes)
        if buffer.count >= 1 << 20 { try flush() }
    }

    func write(_ text: String) throws { try write(text.utf8) }

    func flush() throws {
        var offset = 0
        while offset < buffer.count {
            let written = buffer.withUnsafeBytes {
                Glibc.write(descriptor, $0.baseAddress! + offset, $0.count - offset)
            }
            if written < 0 {
                if errno == EINTR { continue }
                throw ToolkitError("cannot write \(path): \(String(cString: strerror(errno)))")
            }
            offset += written
        }
        buffer.removeAll(keepingCapacity: true)
    }

    func close() throws {
        try flush()
        guard fsync(descriptor) == 0 || errno == EINVAL else {
            throw ToolkitError("cannot sync \(path): \(String(cString: strerror(errno)))")
        }
    }
}

/// File access for the command-line tools.
public enum ToolFiles {
    /// A whole (small) file; at most `limit` bytes.
    public static func contents(_ path: String, limit: Int = 256 << 20) throws -> [UInt8] {
        try FileInput.contents(of: path, limit: limit)
    }
}
