import LLMCacheConfig
import Synchronization

extension ServeCommand {
    /// What `serve` prints on standard output once it listens: the address, where misses go, and
    /// a request to try — so the first command of the Quick start ends with something to do.
    static func banner(settings: LLMCacheSettings, port: Int, adminPort: Int?) -> String {
        let base = "http://\(settings.listen.host):\(port)"
        func upstream(_ id: String) -> String { settings.upstreams.first { $0.id == id }?.url ?? "-" }
        let store = settings.store.enabled ? settings.store.path : "memory only"
        var lines = [
            "llmcache is listening on \(base)/v1 (store: \(store), mode: \(settings.cache.mode))",
            "  misses go to \(upstream("openai")) (OpenAI-compatible) and \(upstream("anthropic")) (Anthropic)",
            "  try it (twice: x-llmcache-status MISS, then HIT):",
            "    curl -si \(base)/v1/chat/completions -H \"authorization: Bearer $OPENAI_API_KEY\" \\",
            "      -H 'content-type: application/json' \\",
            "      -d '{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}'",
            "  SDKs: OpenAI(base_url=\"\(base)/v1\"), Anthropic(base_url=\"\(base)\")",
        ]
        if let adminPort {
            let admin = "http://\(settings.admin.host):\(adminPort)"
            lines.append("  dashboard: \(admin)/dashboard    stats: \(admin)/stats    stop: Ctrl-C")
        } else {
            lines.append("  stats: \(base)/stats    stop: Ctrl-C")
        }
        return lines.joined(separator: "\n")
    }
}

/// Collects the ports the listeners report and runs `ready` once, when all expected ones are known.
final class ListeningPorts: Sendable {
    private struct State {
        var proxy: Int?
        var admin: Int?
        var announced = false
    }
    private let state = Mutex(State())
    private let expectingAdmin: Bool
    private let ready: @Sendable (_ proxy: Int, _ admin: Int?) -> Void

    init(expectingAdmin: Bool, ready: @escaping @Sendable (_ proxy: Int, _ admin: Int?) -> Void) {
        self.expectingAdmin = expectingAdmin
        self.ready = ready
    }

    func proxy(_ port: Int) { record { $0.proxy = port } }
    func admin(_ port: Int) { record { $0.admin = port } }

    private func record(_ update: (inout State) -> Void) {
        let complete: (Int, Int?)? = state.withLock { state in
            update(&state)
            guard !state.announced, let proxy = state.proxy, !expectingAdmin || state.admin != nil else { return nil }
            state.announced = true
            return (proxy, state.admin)
        }
        if let (proxy, admin) = complete { ready(proxy, admin) }
    }
}
