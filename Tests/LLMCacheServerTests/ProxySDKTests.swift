import LLMCacheTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The client our users run: the official OpenAI Python SDK, against a real proxy and mock
/// upstream (`tools/sdk/openai_roundtrip.py`; `tools/install-deps.sh` installs the SDK).
@Suite struct ProxySDKTests {
    @Test func theOpenAIPythonSDKMissesThenHits() async throws {
        try await ProxyHarness.run(store: nil) { harness in
            let output = try runPython(["tools/sdk/openai_roundtrip.py", "http://127.0.0.1:\(harness.proxyPort)/v1"])
            #expect(output.contains(#""plain": [{"status": "MISS""#), "\(output)")
            #expect(output.contains(#"{"status": "HIT", "content": "Echo: What does a cache do?"#), "\(output)")
            #expect(
                output.contains(#""stream": [{"status": "MISS", "content": "Echo: What does a cache do?"#), "\(output)")
            let streamPart = output.components(separatedBy: #""stream": "#).last ?? ""
            #expect(streamPart.contains(#"{"status": "HIT", "content": "Echo: What does a cache do?"#), "\(output)")
            #expect(harness.stats.requestCount == 2, "one upstream call for each kind")
        }
    }

    /// Runs python3 with `arguments` from the package root; returns its standard output.
    func runPython(_ arguments: [String]) throws -> String {
        let command = (["python3"] + arguments).map { "'\($0)'" }.joined(separator: " ") + " 2>&1"
        guard let pipe = popen(command, "r") else {
            Issue.record("cannot start python3")
            return ""
        }
        var output = ""
        var buffer = [CChar](repeating: 0, count: 4096)
        while fgets(&buffer, 4096, pipe) != nil {
            output += buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        }
        let status = pclose(pipe)
        #expect(status == 0, "python3 failed (is the openai package installed? run tools/install-deps.sh): \(output)")
        return output
    }
}

extension String {
    fileprivate func components(separatedBy separator: String) -> [String] {
        split(separator: separator, omittingEmptySubsequences: false).map(String.init)
    }
}
