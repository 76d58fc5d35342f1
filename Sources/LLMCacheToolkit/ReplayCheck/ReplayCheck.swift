import AsyncHTTPClient
import LLMCacheCore
import LLMCacheStore
import LLMCacheUpstream
import NIOCore
import NIOPosix

/// `llmcache replay-check`: would these requests be answered from the cache? Each request of a
/// requests file (or key of a run manifest) is checked against a store (keys computed exactly
/// as the proxy computes them) or a running proxy (asked in replay mode); every miss comes with
/// its explanation, and a store check also lists the stored entries no request used.
public enum ReplayCheck {
    public enum Target: Sendable {
        /// A store directory or the shared tier, read directly; `routes` and
        /// `shareAcrossCredentials` as the server runs with.
        case entries(EntryStore, routes: RouteTable, shareAcrossCredentials: Bool)
        /// A running proxy at this base URL (`http://127.0.0.1:8080`).
        case url(String)

        /// A store directory, read directly.
        public static func store(_ disk: DiskTier, routes: RouteTable, shareAcrossCredentials: Bool) -> Target {
            .entries(.disk(disk), routes: routes, shareAcrossCredentials: shareAcrossCredentials)
        }
    }

    /// The outcome for one line of the input.
    public struct Result: Sendable {
        public var line: Int
        public var summary: String
        public var key: CacheKey?
        public var hit: Bool
        /// Why it missed (one sentence), or why the line could not be checked.
        public var reason: String?
        /// The miss's explanation as JSON (nearest request and differences), when known.
        public var explanation: JSONValue?
    }

    /// An entry of the store that no request asked for.
    public struct Unused: Sendable {
        public var key: CacheKey
        public var namespace: String
        public var request: StoredRequest?
    }

    public struct Report: Sendable {
        public var results: [Result] = []
        /// Entries of the requests' namespaces never requested (store targets only).
        public var unused: [Unused] = []
        public var requests: Int { results.count }
        public var hits: Int { results.filter(\.hit).count }
        public var hitRate: Double { results.isEmpty ? 1 : Double(hits) / Double(results.count) }
        /// Lines that could not be checked at all (malformed, unknown route, …).
        public var invalid: Int { results.filter { $0.key == nil }.count }
    }

    public static func run(requestsFile path: String, target: Target, maximumLineBytes: Int = 160 << 20) async throws
        -> Report
    {
        var requests: [(Int, Swift.Result<ReplayRequest, ToolkitError>)] = []
        try ExportFileReader(path: path, maximumLineBytes: maximumLineBytes).forEachLine { number, line in
            guard let bytes = try? line.get() else {
                requests.append((number, .failure(ToolkitError("line is longer than \(maximumLineBytes) bytes"))))
                return
            }
            if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { return }
            do { requests.append((number, .success(try ReplayRequest(line: bytes)))) } catch let error as ToolkitError {
                requests.append((number, .failure(error)))
            }
        }
        guard !requests.isEmpty else { throw ToolkitError("\(path) holds no requests") }
        let lines = requests
        switch target {
        case .entries(let store, let routes, let share):
            return try await checkStore(lines, store: store, routes: routes, shareAcrossCredentials: share)
        case .url(let base):
            return try await checkServer(lines, base: base)
        }
    }

    /// The same against export files (either form), read into a temporary store first; a bad
    /// line of a recording fails the check (it names the file and line).
    public static func run(
        requestsFile path: String, recordings: [String], routes: RouteTable, shareAcrossCredentials: Bool
    ) async throws -> Report {
        try await TemporaryStore.with { store in
            for recording in recordings {
                let summary = try await StoreImport.run(
                    recording, into: .disk(store), options: StoreImport.Options(), now: SystemClock().now())
                if let (line, reason) = summary.bad.first {
                    throw ToolkitError("\(recording) line \(line): \(reason)")
                }
                if let fileError = summary.fileError { throw ToolkitError(fileError) }
            }
            return try await run(
                requestsFile: path,
                target: .store(store, routes: routes, shareAcrossCredentials: shareAcrossCredentials))
        }
    }

    // MARK: - Against a store

    static func checkStore(
        _ requests: [(Int, Swift.Result<ReplayRequest, ToolkitError>)], store: EntryStore, routes: RouteTable,
        shareAcrossCredentials: Bool
    ) async throws -> Report {
        let secret = try await store.tenantSecret()
        let normalizers = ProviderNormalizers(maximumDepth: JSONParser.defaultMaximumDepth)
        var report = Report()
        var requested = Set<CacheKey>()
        var namespaces = Set<String>()
        for (line, parsed) in requests {
            let request: ReplayRequest
            switch parsed {
            case .failure(let error):
                report.results.append(Result(line: line, summary: "(unreadable)", hit: false, reason: error.message))
                continue
            case .success(let value):
                request = value
            }
            switch request {
            case .manifest(let key, _, _, _, let namespace):
                requested.insert(key)
                namespaces.insert(namespace)
                let hit = try await store.entry(key) != nil
                report.results.append(
                    Result(
                        line: line, summary: request.summary, key: key, hit: hit,
                        reason: hit
                            ? nil : "key \(key.hex) is not in the store (a manifest line has no request to compare)"))
            case .request:
                let recipe: CacheKeyRecipe
                let model: String
                do {
                    (recipe, model) = try keyRecipe(
                        request, routes: routes, normalizers: normalizers,
                        tenantScope: shareAcrossCredentials
                            ? nil : { TenantScope.scope(credential: $0, secret: secret) })
                } catch {
                    report.results.append(Result(line: line, summary: request.summary, hit: false, reason: "\(error)"))
                    continue
                }
                let key = recipe.key
                requested.insert(key)
                namespaces.insert(recipe.namespace)
                if try await store.entry(key) != nil {
                    report.results.append(Result(line: line, summary: request.summary, key: key, hit: true))
                } else {
                    let explanation = await store.explainMiss(recipe, model: model)
                    report.results.append(
                        Result(
                            line: line, summary: request.summary, key: key, hit: false, reason: explanation.summary,
                            explanation: explanation.json))
                }
            }
        }
        let wanted = namespaces
        try await store.forEachPage(
            namespace: namespaces.count == 1 ? namespaces.first : nil, where: { wanted.contains($0.namespace) }
        ) { page in
            for record in page where !requested.contains(record.key) {
                let request = (try? record.entry.get())?.request ?? record.header.request
                report.unused.append(Unused(key: record.key, namespace: record.header.namespace, request: request))
            }
        }
        return report
    }

    /// The key recipe the proxy computes for `request` (a requests line, not a manifest line),
    /// and the model its body names.
    public static func keyRecipe(
        _ request: ReplayRequest, routes: RouteTable, tenantScope: ((String) -> [UInt8])?
    ) throws -> (recipe: CacheKeyRecipe, model: String) {
        try keyRecipe(
            request, routes: routes, normalizers: ProviderNormalizers(maximumDepth: JSONParser.defaultMaximumDepth),
            tenantScope: tenantScope)
    }

    package static func keyRecipe(
        _ request: ReplayRequest, routes: RouteTable, normalizers: ProviderNormalizers,
        tenantScope: ((String) -> [UInt8])?
    ) throws -> (recipe: CacheKeyRecipe, model: String) {
        guard case .request(let method, let path, let headers, let body) = request else {
            throw ToolkitError("a manifest line names a key, not a request")
        }
        let signal = ProviderSignal.provider(of: headers.map { (name: $0.name.lowercased(), value: $0.value) })
        guard let route = routes.route(for: path, provider: signal), route.caches(method: method, path: path) else {
            throw ToolkitError("no cacheable route for \(method) \(path)")
        }
        let canonical = try normalizers.for(route.upstream.provider).normalize(CanonicalJSON.serialize(body)).canonical
        let recipe = try CacheKeyRecipe.request(
            method: method, path: path, headers: headers.map { (name: $0.name, value: $0.value) }, canonical: canonical,
            upstream: route.upstream.id, tenantScope: tenantScope)
        return (recipe, body["model"]?.stringValue ?? "")
    }

    // MARK: - Against a running proxy

    static func checkServer(_ requests: [(Int, Swift.Result<ReplayRequest, ToolkitError>)], base: String) async throws
        -> Report
    {
        var trimmed = base
        while trimmed.hasSuffix("/") { trimmed.removeLast() }
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        var report = Report()
        for (line, parsed) in requests {
            report.results.append(await checkOne(line: line, parsed, base: trimmed, client: client))
        }
        try await client.shutdown()
        return report
    }

    private static func checkOne(
        line: Int, _ parsed: Swift.Result<ReplayRequest, ToolkitError>, base: String, client: HTTPClient
    ) async -> Result {
        let request: ReplayRequest
        switch parsed {
        case .failure(let error): return Result(line: line, summary: "(unreadable)", hit: false, reason: error.message)
        case .success(let value): request = value
        }
        guard case .request(let method, let path, let headers, let body) = request else {
            return Result(
                line: line, summary: request.summary, hit: false,
                reason: "a manifest line names a key, not a request: check manifests against --store")
        }
        var outgoing = HTTPClientRequest(url: base + path)
        outgoing.method = .init(rawValue: method)
        for header in headers where !["content-length", "host", "x-llmcache-mode"].contains(header.name) {
            outgoing.headers.add(name: header.name, value: header.value)
        }
        if !headers.contains(where: { $0.name == "content-type" }) {
            outgoing.headers.add(name: "content-type", value: "application/json")
        }
        outgoing.headers.add(name: "x-llmcache-mode", value: "replay")
        outgoing.body = .bytes(ByteBuffer(bytes: CanonicalJSON.serialize(body)))
        do {
            let response = try await client.execute(outgoing, timeout: .seconds(60))
            let answer = try await response.body.collect(upTo: 64 << 20)
            let key = response.headers.first(name: "x-llmcache-key").flatMap { CacheKey(hex: $0) }
            if (200..<300).contains(response.status.code),
                response.headers.first(name: "x-llmcache-status") == CacheStatus.hit.rawValue
            {
                return Result(line: line, summary: request.summary, key: key, hit: true)
            }
            let error = try? JSONParser.parse(answer.readableBytesView)
            let explanation = error?["error"]?["explanation"]
            let reason =
                explanation?["summary"]?.stringValue ?? error?["error"]?["message"]?.stringValue
                ?? "HTTP \(response.status.code)"
            return Result(
                line: line, summary: request.summary, key: key, hit: false, reason: reason, explanation: explanation)
        } catch {
            return Result(line: line, summary: request.summary, hit: false, reason: "request failed: \(error)")
        }
    }
}
