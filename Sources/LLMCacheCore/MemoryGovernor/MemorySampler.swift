#if canImport(Glibc)
    import Glibc
#endif

/// Where the memory governor reads the process's memory figure.
public protocol MemorySampler: Sendable {
    /// The figure in bytes; throws when it cannot be read.
    func residentBytes() throws -> Int
}

/// The process's **anonymous resident memory** (`RssAnon` in `/proc/self/status`): heap, stacks
/// and anonymous mappings actually in RAM. LMDB's file-backed pages (`RssFile`) are left out on
/// purpose — they are the page cache's, which the kernel reclaims on its own.
public struct ProcessMemorySampler: MemorySampler {
    public init() {}

    public func residentBytes() throws -> Int {
        guard let status = Self.contents(of: "/proc/self/status") else {
            throw MemorySamplerError("cannot read /proc/self/status")
        }
        guard let kilobytes = Self.field("RssAnon", in: status) else {
            throw MemorySamplerError("no RssAnon line in /proc/self/status")
        }
        return kilobytes * 1024
    }

    /// The value in kB of `name:` in a `/proc/*/status` text.
    static func field(_ name: String, in status: String) -> Int? {
        for line in status.split(separator: "\n") where line.hasPrefix(name + ":") {
            let digits = line.dropFirst(name.count + 1).filter(\.isNumber)
            return Int(digits)
        }
        return nil
    }

    private static func contents(of path: String) -> String? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 { return nil }
            if count == 0 { break }
            bytes += chunk[0..<count]
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

public struct MemorySamplerError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
