import CZlib
import NIOCore

/// Why compressed bytes could not be decoded.
public struct GzipError: Error, Sendable, Equatable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Streaming decoder of a `gzip` or `deflate` body (RFC 9110 §8.4.1: gzip, and zlib-wrapped or
/// raw deflate), chunk by chunk, with a bound on the decoded size: a few compressed bytes can
/// never make it produce more than `maximumOutputBytes`. Concatenated gzip members are legal.
/// One body per inflater; not thread-safe.
public final class GzipInflater {
    public let maximumOutputBytes: Int
    public private(set) var outputBytes = 0
    private let stream: UnsafeMutablePointer<z_stream>
    private var ended = false
    private var sawInput = false
    private var triedRaw: Bool

    /// - Parameter deflate: the body is `Content-Encoding: deflate` (then raw deflate, which
    ///   some servers send instead of the zlib format, is accepted too).
    public init(maximumOutputBytes: Int, deflate: Bool = false) throws(GzipError) {
        self.maximumOutputBytes = maximumOutputBytes
        self.triedRaw = !deflate
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        guard czlib_inflate_init_auto(stream) == Z_OK else {
            stream.deallocate()
            throw GzipError("zlib could not start")
        }
    }

    deinit {
        inflateEnd(stream)
        stream.deallocate()
    }

    /// Decodes `input`; the decoded bytes, in pieces of at most 64 KiB.
    public func inflate(_ input: ByteBuffer) throws(GzipError) -> [ByteBuffer] {
        var bytes = Array(input.readableBytesView)
        guard !bytes.isEmpty else { return [] }
        var pieces: [ByteBuffer] = []
        var offset = 0
        while offset < bytes.count {
            if ended {
                // Another gzip member follows the first.
                guard inflateReset(stream) == Z_OK else { throw GzipError("zlib could not reset") }
                ended = false
            }
            var output = [UInt8](repeating: 0, count: 64 * 1024)
            var status: Int32 = Z_OK
            var consumed = 0
            var produced = 0
            bytes.withUnsafeMutableBufferPointer { inputBuffer in
                output.withUnsafeMutableBufferPointer { outputBuffer in
                    stream.pointee.next_in = inputBuffer.baseAddress! + offset
                    stream.pointee.avail_in = uInt(inputBuffer.count - offset)
                    stream.pointee.next_out = outputBuffer.baseAddress
                    stream.pointee.avail_out = uInt(outputBuffer.count)
                    status = CZlib.inflate(stream, Z_NO_FLUSH)
                    consumed = inputBuffer.count - offset - Int(stream.pointee.avail_in)
                    produced = outputBuffer.count - Int(stream.pointee.avail_out)
                }
            }
            if status == Z_DATA_ERROR, !sawInput, !triedRaw {
                // `deflate` sent as raw deflate, without the zlib wrapper RFC 9110 asks for.
                triedRaw = true
                inflateEnd(stream)
                stream.pointee = z_stream()
                guard czlib_inflate_init_raw(stream) == Z_OK else { throw GzipError("zlib could not start") }
                continue
            }
            offset += consumed
            sawInput = sawInput || consumed > 0
            switch status {
            case Z_OK,
                Z_BUF_ERROR where consumed > 0 || produced > 0:
                break
            case Z_STREAM_END: ended = true
            default:
                let reason = stream.pointee.msg.map { String(cString: $0) } ?? "zlib status \(status)"
                throw GzipError("compressed body is corrupt (\(reason))")
            }
            outputBytes += produced
            guard outputBytes <= maximumOutputBytes else {
                throw GzipError("compressed body decodes to more than \(maximumOutputBytes) bytes")
            }
            if produced > 0 { pieces.append(ByteBuffer(bytes: output[0..<produced])) }
            if consumed == 0 && produced == 0 { break }
        }
        return pieces
    }

    /// The body ended: throws when the compressed data stopped short of its end.
    public func finish() throws(GzipError) {
        guard ended || !sawInput else { throw GzipError("compressed body is truncated") }
    }
}

/// One-shot gzip, for tests and the mock upstream.
public enum Gzip {
    public static func compress(_ bytes: some Collection<UInt8>, level: Int32 = 6) -> [UInt8] {
        var input = Array(bytes)
        var stream = z_stream()
        precondition(czlib_deflate_init_gzip(&stream, level) == Z_OK, "zlib could not start")
        defer { deflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, uLong(input.count))) + 32)
        var produced = 0
        input.withUnsafeMutableBufferPointer { inputBuffer in
            output.withUnsafeMutableBufferPointer { outputBuffer in
                stream.next_in = inputBuffer.baseAddress
                stream.avail_in = uInt(inputBuffer.count)
                stream.next_out = outputBuffer.baseAddress
                stream.avail_out = uInt(outputBuffer.count)
                let status = deflate(&stream, Z_FINISH)
                precondition(status == Z_STREAM_END, "deflate did not finish")
                produced = outputBuffer.count - Int(stream.avail_out)
            }
        }
        return Array(output[0..<produced])
    }
}
