import NIOPosix
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A plain TCP connection to 127.0.0.1, for what an HTTP client library will not send: partial
/// request lines, stalled bodies, broken framing, silence. Blocking calls run on NIO's thread
/// pool (never on the cooperative pool the proxy under test runs on). Every read waits at most
/// `readTimeout` (a failing test ends, it never hangs).
package final class RawConnection: @unchecked Sendable {
    private let descriptor: Int32
    private let closed = Mutex(false)

    package init(port: Int, readTimeout: Int = 20) throws {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw RawConnectionError("socket failed") }
        var timeout = timeval(tv_sec: readTimeout, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        let connected = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
        guard connected else {
            Glibc.close(descriptor)
            throw RawConnectionError("connect failed")
        }
        self.descriptor = descriptor
    }

    deinit { close() }

    /// Closes the connection now (a client that goes away).
    package func close() {
        let first = closed.withLock { closed in
            defer { closed = true }
            return !closed
        }
        if first { Glibc.close(descriptor) }
    }

    /// Sends `text` (all of it; false when the peer has gone).
    @discardableResult
    package func send(_ text: String) -> Bool { send(Array(text.utf8)) }

    @discardableResult
    package func send(_ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes.withUnsafeBytes {
                Glibc.send(descriptor, $0.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL))
            }
            if sent <= 0 { return false }
            offset += sent
        }
        return true
    }

    /// What the peer sends until it closes the connection; `closed` false when the read
    /// timeout passed first.
    package func readToClose() async throws -> (text: String, closed: Bool) {
        let descriptor = descriptor
        return try await onOwnThread {
            var bytes: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 65_536)
            while true {
                let count = recv(descriptor, &buffer, buffer.count, 0)
                if count == 0 { return (String(decoding: bytes, as: UTF8.self), true) }
                if count < 0 {
                    if errno == EINTR { continue }
                    // ECONNRESET: closed too (with unread data on our side of the server).
                    return (String(decoding: bytes, as: UTF8.self), errno == ECONNRESET)
                }
                bytes += buffer[0..<count]
            }
        }
    }

    /// Reads until at least `count` bytes have arrived (or the connection closes, or the read
    /// timeout); never more than `count`.
    package func read(bytes count: Int) async throws -> [UInt8] {
        try await receive(upTo: { count - $0.count }, until: { $0.count >= count })
    }

    /// Reads until `marker` has arrived (or the connection closes, or the read timeout).
    package func read(until marker: String) async throws -> String {
        let bytes = try await receive(until: { String(decoding: $0, as: UTF8.self).contains(marker) })
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Receives until `done` says so, the connection closes or the read timeout passes, asking
    /// each time for at most `limit` of what came so far (and 64 KiB).
    private func receive(
        upTo limit: @escaping @Sendable ([UInt8]) -> Int = { _ in .max },
        until done: @escaping @Sendable ([UInt8]) -> Bool
    ) async throws -> [UInt8] {
        let descriptor = descriptor
        return try await onOwnThread {
            var bytes: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 65_536)
            while !done(bytes) {
                let received = recv(descriptor, &buffer, min(buffer.count, limit(bytes)), 0)
                if received <= 0 { break }
                bytes += buffer[0..<received]
            }
            return bytes
        }
    }
}

package struct RawConnectionError: Error, CustomStringConvertible {
    package let description: String
    init(_ description: String) { self.description = description }
}
