import LLMCacheConfig
import LLMCacheCore
import LLMCachePlugins
import NIOCore

/// `redaction`: scrubs configured patterns (API keys, e-mail addresses, …) from answers before
/// they are stored — and, with `requests: true`, from the stored copy of the request too (whose
/// key then no longer recomputes from it: `verify` and re-keying `import` report such entries,
/// and miss explanations compare against the scrubbed text). The
/// client that caused the miss still gets the answer as the upstream sent it; every later hit
/// gets the scrubbed one. Stream chunks are scrubbed one by one (a match spanning two chunks is
/// not found). Bodies that are not UTF-8 are stored untouched.
///
/// Settings: `patterns` (list, required), `replacement` (`[REDACTED]`), `requests` (false).
struct RedactionPlugin: ProxyPlugin {
    let patterns: [Pattern]
    let replacement: String
    let requests: Bool

    var hooks: PluginHooks { .beforeStore }

    var runsInline: Bool { true }

    static let factory = PluginFactory(name: "redaction") { settings in
        let patterns = settings.regexes("patterns")
        if patterns.isEmpty, settings.issues.isEmpty {
            settings.report("patterns", "redaction needs at least one pattern")
        }
        return RedactionPlugin(
            patterns: patterns, replacement: settings.string("replacement", default: "[REDACTED]"),
            requests: settings.bool("requests", default: false))
    }

    func beforeStore(_ candidate: StoreCandidate) async throws -> StoreDecision {
        var candidate = candidate
        candidate.segments = candidate.segments.map(scrub)
        if requests { candidate.canonicalRequest = scrub(candidate.canonicalRequest) }
        return .store(candidate)
    }

    func scrub(_ buffer: ByteBuffer) -> ByteBuffer {
        guard let text = String(validating: buffer.readableBytesView, as: UTF8.self) else { return buffer }
        var scrubbed = text
        for pattern in patterns { scrubbed = pattern.replacing(in: scrubbed, with: replacement) }
        return scrubbed == text ? buffer : ByteBuffer(string: scrubbed)
    }
}
