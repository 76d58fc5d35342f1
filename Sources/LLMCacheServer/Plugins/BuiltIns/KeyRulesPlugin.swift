import LLMCacheConfig
import LLMCacheCore
import LLMCachePlugins

/// `key_rules`: rewrites the canonical request before the key is computed, so that requests
/// that differ only in noise share an entry — e.g. a date or a UUID in the system prompt.
///
/// Settings: `rules` — a list of `{pattern, replace ("" by default), fields}`: a regex replaced
/// in every string under the top-level `fields` (default: messages, system, prompt, input,
/// instructions); `ignore_fields` — top-level fields left out of the key altogether (added to
/// the provider's own ignore list).
struct KeyRulesPlugin: ProxyPlugin {
    struct Rule: Sendable {
        let pattern: Pattern
        let replacement: String
        let fields: Set<String>
    }

    let rules: [Rule]
    let ignoredFields: Set<String>

    var hooks: PluginHooks { .keyRules }

    static let defaultFields: Set<String> = ["messages", "system", "prompt", "input", "instructions"]

    var runsInline: Bool { true }

    static let factory = PluginFactory(name: "key_rules") { settings in
        var rules: [Rule] = []
        for (path, node) in settings.list("rules") {
            let rule = settings.section(for: node, path: path)
            let fields = rule.contains("fields") ? Set(rule.strings("fields")) : defaultFields
            if let text = rule.string("pattern"),
                let pattern = rule.regex(text, path: rule.childPath("pattern"), origin: node.origin)
            {
                rules.append(Rule(pattern: pattern, replacement: rule.string("replace", default: ""), fields: fields))
            } else if rule.string("pattern") == nil {
                rule.report(nil, "needs a pattern")
            }
            rule.finish(known: ["pattern", "replace", "fields"])
        }
        let ignored = Set(settings.strings("ignore_fields"))
        if rules.isEmpty, ignored.isEmpty, settings.issues.isEmpty {
            settings.report(nil, "key_rules needs rules or ignore_fields")
        }
        return KeyRulesPlugin(rules: rules, ignoredFields: ignored)
    }

    func rewriteKey(_ body: inout JSONValue, request: KeyRuleRequest) throws {
        guard case .object(var members) = body else { return }
        if !ignoredFields.isEmpty { members.removeAll { ignoredFields.contains($0.key) } }
        for index in members.indices {
            for rule in rules where rule.fields.contains(members[index].key) {
                members[index].value = Self.replace(rule, in: members[index].value)
            }
        }
        body = .object(members)
    }

    static func replace(_ rule: Rule, in value: JSONValue) -> JSONValue {
        switch value {
        case .string(let text): .string(rule.pattern.replacing(in: text, with: rule.replacement))
        case .array(let items): .array(items.map { replace(rule, in: $0) })
        case .object(let members): .object(members.map { JSONMember(key: $0.key, value: replace(rule, in: $0.value)) })
        default: value
        }
    }
}
