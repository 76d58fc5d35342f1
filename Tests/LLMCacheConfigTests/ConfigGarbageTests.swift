import LLMCacheConfig
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Files that are not configurations are refused with a clear error, never a crash or a hang.
@Suite struct ConfigGarbageTests {
    func load(_ text: String) throws -> LLMCacheSettings {
        try ConfigLoader(path: nil, environment: [:]).load(text: text, source: "garbage.yaml")
    }

    @Test(arguments: [
        "\u{0}\u{1}\u{2}binary\u{FF}",
        "{{{{",
        "key: [unclosed",
        "- - - -",
        ":",
        "listen: !!binary aGVsbG8=\n",
        "\t- tab",
        "&a [*a]",
        String(repeating: "x: 1\n", count: 3),  // duplicate keys
    ])
    func garbageIsRefused(_ text: String) {
        #expect(throws: ConfigError.self) { try load(text) }
    }

    @Test func aliasBombsStop() throws {
        var yaml = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
        for level in 1..<9 {
            yaml +=
                "a\(level): &a\(level) [" + Array(repeating: "*a\(level - 1)", count: 10).joined(separator: ", ")
                + "]\n"
        }
        let error = try #require(throws: ConfigError.self) { try load(yaml) }
        #expect(error.description.contains("more than 100000 values"))
    }

    @Test func deepNestingIsRefused() {
        let depth = 5000
        let yaml = "listen: " + String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
        #expect(throws: ConfigError.self) { try load(yaml) }
    }

    @Test func nonUTF8FilesAreRefused() throws {
        var template = Array("/tmp/llmcache-config-XXXXXX".utf8CString)
        let descriptor = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        let path = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        defer { unlink(path) }
        let bytes: [UInt8] = [0x6c, 0x69, 0x73, 0x74, 0x65, 0x6e, 0x3a, 0x20, 0xff, 0xfe, 0x0a]
        _ = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        close(descriptor)
        let error = try #require(throws: ConfigError.self) { try ConfigLoader(path: path, environment: [:]).load() }
        #expect(error.description.contains("not UTF-8"))
        let directory = try #require(throws: ConfigError.self) {
            try ConfigLoader(path: "/tmp", environment: [:]).load()
        }
        #expect(directory.description.contains("/tmp"))
    }
}
