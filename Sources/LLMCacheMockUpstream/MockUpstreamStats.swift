import HTTPTypes
import LLMCacheCore
import Hummingbird
import HummingbirdCore
import Synchronization

/// Requests and TCP connections a ``MockUpstream`` has seen (`GET /__stats`).
public final class MockUpstreamStats: Sendable {
    let requests = Atomic<Int>(0)
    let connections = Atomic<Int>(0)
    let openConnections = Atomic<Int>(0)
    /// Requests seen per request digest (for `x-mock-fail-first`).
    let seen = Mutex<[String: Int]>([:])
    /// The credential headers of the last generation request (for tests of credential injection).
    let lastCredentials = Mutex<[String]>([])

    public var lastCredentialHeaders: [String] { lastCredentials.withLock { $0 } }
    /// `METHOD /path` of every request, in order (not `/__stats`).
    let requestLines = Mutex<[String]>([])

    public var requestsSeen: [String] { requestLines.withLock { $0 } }
    /// How many inputs each embeddings request carried, in order.
    let embeddingInputs = Mutex<[Int]>([])
    public var embeddingInputCounts: [Int] { embeddingInputs.withLock { $0 } }

    /// Gates a request can be held at (`x-mock-gate: NAME`): closed until ``open(gate:)``.
    private let gates = Mutex<[String: Gate]>([:])
    /// Requests that reached a gate (tests await a request being held upstream).
    package let gateArrivals = EventCount()

    private enum Gate {
        case open
        case waiting([CheckedContinuation<Void, Never>])
    }

    /// Opens gate `name`: every request held there goes on, and later ones pass at once.
    public func open(gate name: String) {
        let waiters = gates.withLock { gates -> [CheckedContinuation<Void, Never>] in
            defer { gates[name] = .open }
            if case .waiting(let waiters) = gates[name] { return waiters }
            return []
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Waits until gate `name` is open.
    func pass(gate name: String) async {
        gateArrivals.add()
        await withCheckedContinuation { continuation in
            let open = gates.withLock { gates in
                switch gates[name] {
                case .open: return true
                case .waiting(let waiters): gates[name] = .waiting(waiters + [continuation])
                case nil: gates[name] = .waiting([continuation])
                }
                return false
            }
            if open { continuation.resume() }
        }
    }

    /// Notes a request; its number (1, 2, …), for fresh ids and headers.
    func note(_ request: Request) -> Int {
        requestLines.withLock { $0.append("\(request.method) \(request.uri.path)") }
        let credentials = [HTTPField.Name.authorization, HTTPField.Name("x-api-key")!].compactMap { name in
            request.headers[name].map { "\(name.canonicalName): \($0)" }
        }
        lastCredentials.withLock { $0 = credentials }
        return requests.add(1, ordering: .relaxed).newValue
    }

    /// How each `x-mock-bulk-bytes` answer ended, in order: the bytes written, and whether it
    /// was written to the end (false: the connection went away first).
    public let bulkEnds: AsyncStream<BulkEnd>
    let bulkEnded: AsyncStream<BulkEnd>.Continuation

    public struct BulkEnd: Sendable {
        public var bytes: Int
        public var completed: Bool
    }

    public init() {
        (bulkEnds, bulkEnded) = AsyncStream.makeStream(of: BulkEnd.self)
    }

    public var requestCount: Int { requests.load(ordering: .relaxed) }
    public var connectionCount: Int { connections.load(ordering: .relaxed) }

    var json: String {
        #"{"requests":\#(requests.load(ordering: .relaxed)),"connections":\#(connections.load(ordering: .relaxed)),"open_connections":\#(openConnections.load(ordering: .relaxed))}"#
    }
}

/// Counts connections as Hummingbird opens and closes them.
struct ConnectionCounter: AvailableConnectionsDelegate {
    let stats: MockUpstreamStats

    mutating func connectionOpened() {
        stats.connections.add(1, ordering: .relaxed)
        stats.openConnections.add(1, ordering: .relaxed)
    }

    mutating func connectionClosed() {
        stats.openConnections.subtract(1, ordering: .relaxed)
    }

    func isAcceptingNewConnections() -> Bool { true }
}
