import LLMCacheConfig
import LLMCacheCore
import LLMCachePlugins
import NIOCore

/// `access_log`: one JSON line per request — time, method, path, cache status, tier, HTTP
/// status, duration, key, model, namespace. No headers (so no credentials) and no prompt text
/// unless `include_prompt: true`.
///
/// Settings: `path` (required), `include_prompt` (false).
struct AccessLogPlugin: ProxyPlugin {
    let file: JSONLinesFile
    let includePrompt: Bool
    let clock: any WallClock

    var hooks: PluginHooks { .afterResponse }

    var runsInline: Bool { true }

    static let factory = PluginFactory(name: "access_log") { settings in
        guard let path = settings.string("path"), !path.isEmpty else {
            settings.report(nil, "access_log needs settings.path (the JSONL file to append to)")
            return AccessLogPlugin(file: JSONLinesFile(path: ""), includePrompt: false, clock: SystemClock())
        }
        return AccessLogPlugin(
            file: JSONLinesFile(path: path), includePrompt: settings.bool("include_prompt", default: false),
            clock: SystemClock())
    }

    func start() async throws { try file.open() }
    func shutdown() async { file.close() }

    func afterResponse(_ event: ResponseEvent) async throws {
        var members: [JSONMember] = [
            JSONMember(key: "time", value: .string(clock.now().iso8601)),
            JSONMember(key: "method", value: .string(event.method)),
            JSONMember(key: "path", value: .string(event.path)),
            JSONMember(key: "cache_status", value: .string(event.cacheStatus)),
            JSONMember(key: "tier", value: .string(event.tier)),
            JSONMember(key: "http_status", value: .number("\(event.httpStatus)")),
            JSONMember(key: "duration_ms", value: .number(Self.milliseconds(event.durationNanoseconds))),
        ]
        if let key = event.key { members.append(JSONMember(key: "key", value: .string(key))) }
        if let model = event.model, !model.isEmpty { members.append(JSONMember(key: "model", value: .string(model))) }
        if let namespace = event.namespace, !namespace.isEmpty {
            members.append(JSONMember(key: "namespace", value: .string(namespace)))
        }
        if includePrompt {
            members.append(
                JSONMember(
                    key: "request_body",
                    value: .string(String(decoding: event.requestBody.readableBytesView, as: UTF8.self))))
        }
        try file.append(CanonicalJSON.serialize(.object(members)))
    }

    /// Milliseconds with microsecond precision, e.g. `0.231`.
    static func milliseconds(_ nanoseconds: Int64) -> String {
        let micros = max(0, nanoseconds) / 1000
        let fraction = String(micros % 1000)
        return "\(micros / 1000)." + String(repeating: "0", count: 3 - fraction.count) + fraction
    }
}
