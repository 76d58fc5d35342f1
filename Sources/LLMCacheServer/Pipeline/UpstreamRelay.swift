import LLMCacheCore
import LLMCacheUpstream
import NIOCore

/// Feeds an upstream's body into a flight, chunk by chunk, under the upstream client's
/// stream-idle and total timeouts (``UpstreamWatch``), capturing what may be stored. Once the
/// answer is too large to keep (or the flight keeps nothing, as a pass-through relay), it reads
/// on only as fast as the slowest client takes the chunks, and stops when no client is left —
/// a slow or vanished reader slows or stops the upstream read instead of filling memory.
struct UpstreamRelay: Sendable {
    let client: UpstreamClient
    let flight: Flight
    /// When the exchange began (the total timeout runs from here).
    let started: ContinuousClock.Instant

    /// After relaying an answer at least this large, free heap pages go back to the kernel.
    static let trimAfterBytes = 8 << 20

    /// Every client of a relayed answer went away.
    struct Abandoned: Error {}

    /// Reads `body` into the flight; returns `capture` with the chunks appended (nil in, nil
    /// out). `stopsRetaining` runs once when the answer outgrows the capture, just before the
    /// flight stops keeping it. Throws ``Abandoned``, ``UpstreamWatch/Timeout`` or the body's
    /// error; the caller ends the flight.
    func run(
        _ body: UpstreamBody, capture: StreamCapture?, stopsRetaining: @escaping @Sendable () -> Void = {}
    ) async throws -> StreamCapture? {
        try await client.watch(body, from: started) { [flight] body, progress in
            var capture = capture
            var relayed = 0
            defer { if relayed >= Self.trimAfterBytes { HeapTrim.returnFreePages() } }
            for try await chunk in body {
                progress.touch()
                relayed += chunk.readableBytes
                if capture != nil {
                    capture!.append(chunk, at: .now)
                    if !capture!.storable {
                        // Too large to store or to replay to late joiners: relay only.
                        capture = nil
                        stopsRetaining()
                        flight.stopRetaining()
                    }
                }
                flight.deliver(chunk: chunk)
                if await progress.waiting({ await flight.room() }) == .abandon { throw Abandoned() }
            }
            return capture
        }
    }

    /// Relays `body` with nothing captured and ends the flight: with success, or with what its
    /// clients are told of the error (returned, for the caller's log).
    func runToEnd(_ body: UpstreamBody) async -> (any Error)? {
        do {
            _ = try await run(body, capture: nil)
            flight.finish(.success(()))
            return nil
        } catch {
            flight.finish(.failure(Self.failure(error)))
            return error
        }
    }

    /// What a client of the flight is told when ``run(_:capture:stopsRetaining:)`` threw.
    static func failure(_ error: any Error) -> ProxyError {
        switch error {
        case is Abandoned: ProxyError(status: .badGateway, type: "client_gone", message: "no client is left")
        case let timeout as UpstreamWatch.Timeout:
            ProxyError(status: .gatewayTimeout, type: "upstream_timeout", message: "\(timeout)")
        default: ProxyError(status: .badGateway, type: "upstream_cut", message: "\(error)")
        }
    }
}
