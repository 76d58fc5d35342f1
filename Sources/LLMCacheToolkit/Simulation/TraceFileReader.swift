import CZlib

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Reads a text file line by line, transparently gunzipping it when it starts with the gzip magic.
///
/// Streams in 256 KiB chunks, so a trace of any size takes constant memory beyond its keys.
/// Errors (missing file, corrupt or truncated gzip, a line over `maxLineLength`) name the file.
public struct TraceFileReader: Sendable {
    public var path: String
    public var maxLineLength: Int

    public init(path: String, maxLineLength: Int = 64 * 1024) {
        self.path = path
        self.maxLineLength = maxLineLength
    }

    /// Calls `body` with each line (without its `\n`) and its 1-based number.
    public func forEachLine(_ body: (ArraySlice<UInt8>, Int) throws(TraceError) -> Void) throws(TraceError) {
        guard let file = fopen(path, "rb") else {
            throw TraceError("\(path): cannot open (\(String(cString: strerror(errno))))")
        }
        defer { fclose(file) }
        var splitter = TraceLineSplitter(maxLineLength: maxLineLength, path: path)
        var chunk = [UInt8](repeating: 0, count: 256 * 1024)
        let first = fread(&chunk, 1, chunk.count, file)
        if first >= 2 && chunk[0] == 0x1f && chunk[1] == 0x8b {
            try gunzip(file: file, firstChunk: chunk[0..<first], into: &splitter, body)
        } else {
            var count = first
            while count > 0 {
                try splitter.feed(chunk[0..<count], body)
                count = fread(&chunk, 1, chunk.count, file)
            }
            if ferror(file) != 0 { throw TraceError("\(path): read error") }
        }
        try splitter.finish(body)
    }

    private func gunzip(
        file: UnsafeMutablePointer<FILE>,
        firstChunk: ArraySlice<UInt8>,
        into splitter: inout TraceLineSplitter,
        _ body: (ArraySlice<UInt8>, Int) throws(TraceError) -> Void
    ) throws(TraceError) {
        var stream = z_stream()
        guard czlib_inflate_init_auto(&stream) == Z_OK else { throw TraceError("\(path): zlib init failed") }
        defer { inflateEnd(&stream) }
        var input = Array(firstChunk)
        var offset = 0
        var output = [UInt8](repeating: 0, count: 256 * 1024)
        var finished = false
        while true {
            if offset == input.count {
                input = [UInt8](repeating: 0, count: 256 * 1024)
                let count = fread(&input, 1, input.count, file)
                input.removeSubrange(count...)
                offset = 0
                if input.isEmpty {
                    if finished { return }
                    throw TraceError("\(path): gzip data is truncated")
                }
            }
            if finished {
                // More bytes after a complete member: concatenated gzip members are legal.
                guard inflateReset(&stream) == Z_OK else { throw TraceError("\(path): zlib reset failed") }
                finished = false
            }
            var consumed = 0
            var produced = 0
            var status: Int32 = Z_OK
            input.withUnsafeMutableBufferPointer { inputBuffer in
                output.withUnsafeMutableBufferPointer { outputBuffer in
                    stream.next_in = inputBuffer.baseAddress! + offset
                    stream.avail_in = uInt(inputBuffer.count - offset)
                    stream.next_out = outputBuffer.baseAddress
                    stream.avail_out = uInt(outputBuffer.count)
                    status = inflate(&stream, Z_NO_FLUSH)
                    consumed = inputBuffer.count - offset - Int(stream.avail_in)
                    produced = outputBuffer.count - Int(stream.avail_out)
                }
            }
            offset += consumed
            switch status {
            case Z_OK:
                break
            case Z_BUF_ERROR where consumed > 0 || produced > 0:
                break
            case Z_STREAM_END:
                finished = true
            default:
                let reason = stream.msg.map { String(cString: $0) } ?? "zlib status \(status)"
                throw TraceError("\(path): gzip data is corrupt (\(reason))")
            }
            try splitter.feed(output[0..<produced], body)
        }
    }
}

/// The toolkit's ``LineSplitter`` for a trace: a line over the limit ends the read with a
/// ``TraceError`` naming the file and line (a text trace has no such lines).
private struct TraceLineSplitter {
    let maxLineLength: Int
    let path: String
    private var lines: LineSplitter

    init(maxLineLength: Int, path: String) {
        self.maxLineLength = maxLineLength
        self.path = path
        self.lines = LineSplitter(maximumLineBytes: maxLineLength)
    }

    mutating func feed(
        _ bytes: ArraySlice<UInt8>, _ body: (ArraySlice<UInt8>, Int) throws(TraceError) -> Void
    ) throws(TraceError) {
        let path = path
        let limit = maxLineLength
        do {
            try lines.feed(bytes) { number, line in try Self.deliver(line, number, path: path, limit: limit, body) }
        } catch {
            throw error as? TraceError ?? TraceError("\(path): \(error)")
        }
    }

    mutating func finish(_ body: (ArraySlice<UInt8>, Int) throws(TraceError) -> Void) throws(TraceError) {
        let path = path
        let limit = maxLineLength
        do {
            try lines.finish { number, line in try Self.deliver(line, number, path: path, limit: limit, body) }
        } catch {
            throw error as? TraceError ?? TraceError("\(path): \(error)")
        }
    }

    private static func deliver(
        _ line: Result<ArraySlice<UInt8>, ToolkitError>, _ number: Int, path: String, limit: Int,
        _ body: (ArraySlice<UInt8>, Int) throws(TraceError) -> Void
    ) throws(TraceError) {
        switch line {
        case .success(let text): try body(text, number)
        case .failure: throw TraceError("\(path): line \(number) is longer than \(limit) bytes (not a text trace?)")
        }
    }
}
