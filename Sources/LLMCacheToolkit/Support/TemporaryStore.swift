import LLMCacheCore
import LLMCacheStore

#if canImport(Glibc)
    import Glibc
#endif

/// A store in a fresh temporary directory that lives only while `body` runs (for reading export
/// files as a store: `replay-check --recording`).
public enum TemporaryStore {
    /// Runs `body` with a new portable store under `$TMPDIR` (else /tmp), then deletes it.
    public static func with<Result>(_ body: (DiskTier) async throws -> Result) async throws -> Result {
        let base = getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
        var template = Array((base + "/llmcache-recording-XXXXXX").utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw ToolkitError("cannot create a temporary directory in \(base): \(String(cString: strerror(errno)))")
        }
        let directory = String(cString: made)
        defer { removeDirectory(directory) }
        let store = try StoreAccess.openOrCreate(directory)
        return try await body(store)
    }

    /// Removes the files of `directory` (a store's: no subdirectories) and the directory.
    private static func removeDirectory(_ directory: String) {
        if let listing = opendir(directory) {
            while let entry = readdir(listing) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) {
                    String(cString: $0.bindMemory(to: CChar.self).baseAddress!)
                }
                if name != "." && name != ".." { unlink(directory + "/" + name) }
            }
            closedir(listing)
        }
        rmdir(directory)
    }
}
