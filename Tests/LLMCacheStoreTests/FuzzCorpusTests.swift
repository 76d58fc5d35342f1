import LLMCacheTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Every seed and every input a fuzzer once crashed on (Fuzz/corpus/TARGET) goes through its
/// target again, in the plain build of the harness (`llmcache-fuzz TARGET FILE...`): a
/// regression there fails the suite without a fuzzing run.
@Suite struct FuzzCorpusTests {
    static let root: String = {
        var path = #filePath
        for _ in 0..<3 { path = String(path[..<path.lastIndex(of: "/")!]) }
        return path
    }()

    @Test(arguments: ["json", "sse", "record", "export-line", "recording-line", "yaml"])
    func theCorpusReplaysCleanly(target: String) throws {
        let directory = Self.root + "/Fuzz/corpus/" + target
        let files = listDirectory(directory).sorted().map { directory + "/" + $0 }
        #expect(!files.isEmpty, "a seed corpus for \(target)")
        var harness = try llmcacheExecutable()
        harness += "-fuzz"
        let child = try ChildProcess(arguments: [harness, target] + files, environment: [:])
        let output = child.readAll()
        #expect(child.wait() == 0, "\(output)")
        #expect(output.contains("replayed \(files.count) inputs through \(target)"), "\(output)")
    }
}
