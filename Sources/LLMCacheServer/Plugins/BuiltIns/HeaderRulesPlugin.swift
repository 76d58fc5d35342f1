import HTTPTypes
import LLMCacheConfig
import LLMCacheCore
import LLMCachePlugins

/// `header_rules`: edits request headers before lookup (so the upstream sees the edit) and can
/// make headers part of the cache key.
///
/// Settings: `set` — a mapping of header → value set on every request (e.g. an organization id
/// from `${ORG}`); `remove` — headers dropped; `key` — headers whose values become part of the
/// key (under `x-llmcache-key-headers` in the canonical request; an absent header keys as
/// absent).
struct HeaderRulesPlugin: ProxyPlugin {
    let set: [(HTTPField.Name, String)]
    let remove: [HTTPField.Name]
    let keyed: [HTTPField.Name]

    var hooks: PluginHooks {
        var hooks: PluginHooks = []
        if !set.isEmpty || !remove.isEmpty { hooks.insert(.beforeLookup) }
        if !keyed.isEmpty { hooks.insert(.keyRules) }
        return hooks
    }

    var runsInline: Bool { true }

    static let factory = PluginFactory(name: "header_rules") { settings in
        func name(_ text: String, path: String, origin: ConfigOrigin) -> HTTPField.Name? {
            guard let name = HTTPField.Name(text) else {
                settings.report(path: path, origin: origin, "'\(text)' is not a header name")
                return nil
            }
            return name
        }
        let setSection = settings.section("set")
        var set: [(HTTPField.Name, String)] = []
        for header in setSection.keys {
            let value = setSection.string(header, default: "")
            if let parsed = name(header, path: setSection.childPath(header), origin: setSection.origin) {
                set.append((parsed, value))
            }
        }
        let remove = settings.list("remove").compactMap { path, node in
            node.text.flatMap { name($0, path: path, origin: node.origin) }
        }
        let keyed = settings.list("key").compactMap { path, node in
            node.text.flatMap { name($0, path: path, origin: node.origin) }
        }
        if set.isEmpty, remove.isEmpty, keyed.isEmpty, settings.issues.isEmpty {
            settings.report(nil, "header_rules needs set, remove or key")
        }
        return HeaderRulesPlugin(set: set, remove: remove, keyed: keyed)
    }

    func beforeLookup(_ request: PluginRequest) async throws -> PluginDecision {
        var request = request
        for name in remove { request.headers[name] = nil }
        for (name, value) in set { request.headers[name] = value }
        return .proceed(request)
    }

    func rewriteKey(_ body: inout JSONValue, request: KeyRuleRequest) throws {
        guard case .object(var members) = body else { return }
        let values = keyed.map { name in
            JSONMember(key: name.canonicalName, value: request.headers[name].map { .string($0) } ?? .null)
        }
        members.append(JSONMember(key: "x-llmcache-key-headers", value: .object(values)))
        body = .object(members)
    }
}
