#if canImport(Glibc)
    import Glibc
#endif

/// The whole text of the file at `path`; nil when it cannot be opened.
package func readTextFile(_ path: String) -> String? {
    guard let file = fopen(path, "r") else { return nil }
    defer { fclose(file) }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65_536)
    while true {
        let count = fread(&buffer, 1, buffer.count, file)
        if count <= 0 { break }
        bytes += buffer[..<count]
    }
    return String(decoding: bytes, as: UTF8.self)
}

/// Writes `text` to the file at `path` (created or replaced).
package func writeTextFile(_ path: String, _ text: String) throws {
    guard let file = fopen(path, "w") else { throw TextFileError(path: path) }
    defer { fclose(file) }
    let bytes = Array(text.utf8)
    guard fwrite(bytes, 1, bytes.count, file) == bytes.count else { throw TextFileError(path: path) }
}

package struct TextFileError: Error, CustomStringConvertible {
    let path: String
    package var description: String { "cannot write \(path)" }
}
