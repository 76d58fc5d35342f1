import LLMCacheCore
import LLMCacheStore
import NIOCore

@testable import LLMCacheToolkit

#if canImport(Glibc)
    import Glibc
#endif

/// A scratch directory, removed when released.
final class ScratchDirectory: Sendable {
    let path: String

    init() {
        var template = Array("/tmp/llmcache-toolkit-XXXXXX".utf8CString)
        let created = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        precondition(created != nil)
        path = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    deinit { _ = system("rm -rf '\(path)'") }
}

let now = Timestamp(secondsSinceEpoch: 1_800_000_000)

/// A store with `count` chat entries as the proxy stores them (request recorded), credential
/// `Bearer sk-test`, optionally a namespace and another model.
func makeStore(
    _ path: String, count: Int, namespace: String = "", model: String = "gpt-4o-mini", temperature: String = "0.2",
    tenantScope: TenantScopeKind = .portable
)
    throws -> (DiskTier, [CacheKey])
{
    let store = try StoreAccess.openOrCreate(path, tenantScope: tenantScope)
    let secret = try store.tenantSecret()
    var keys: [CacheKey] = []
    for index in 0..<count {
        let (key, entry) = chatEntry(
            index, namespace: namespace, model: model, temperature: temperature,
            tenant: TenantScope.scope(credential: "Bearer sk-test", secret: secret))
        store.put(key, entry)
        keys.append(key)
    }
    store.commitPending()
    return (store, keys)
}

func chatBody(_ index: Int, model: String = "gpt-4o-mini", temperature: String = "0.2") -> String {
    #"{"messages":[{"content":"question \#(index)","role":"user"}],"model":"\#(model)","temperature":\#(temperature)}"#
}

func chatEntry(
    _ index: Int, namespace: String = "", model: String = "gpt-4o-mini", temperature: String = "0.2", tenant: [UInt8],
    createdAt: Timestamp = Timestamp(secondsSinceEpoch: 1_700_000_000 + 0)
) -> (CacheKey, CacheEntry) {
    let canonical = Array(chatBody(index, model: model, temperature: temperature).utf8)
    let request = StoredRequest(
        method: "POST", path: "/v1/chat/completions", upstream: "openai", headers: [], tenant: tenant, model: model)
    let entry = CacheEntry(
        namespace: namespace, status: 200, headers: [HeaderField(name: "content-type", value: "application/json")],
        body: ByteBuffer(string: #"{"answer":"number \#(index)"}"#), canonicalRequest: ByteBuffer(bytes: canonical),
        recipeVersion: CacheKeyRecipe.version, request: request, createdAt: createdAt)
    return (request.recipe(namespace: namespace, canonicalBody: canonical).key, entry)
}

func writeFile(_ path: String, _ bytes: [UInt8]) throws {
    let output = try FileOutput(path: path)
    try output.write(bytes)
    try output.close()
}

func readFile(_ path: String) throws -> [UInt8] { try FileInput.contents(of: path) }

/// The decompressed lines of an export file.
func exportLines(_ path: String) throws -> [[UInt8]] {
    var lines: [[UInt8]] = []
    try ExportFileReader(path: path).forEachLine { _, line in lines.append(Array(try line.get())) }
    return lines
}

/// A plain (uncompressed) export file made of `lines`.
func writePlainExport(_ path: String, _ lines: [[UInt8]]) throws {
    try writeFile(path, lines.flatMap { $0 + [0x0A] })
}
