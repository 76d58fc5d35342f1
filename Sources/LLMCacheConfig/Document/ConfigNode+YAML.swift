import Yams

extension ConfigNode {
    /// Parses YAML text into a tree. An empty document is an empty mapping. Anchors and aliases
    /// are resolved by the parser; tags other than the standard ones are refused.
    ///
    /// - Throws: ``ConfigError`` with the line of a syntax error.
    public static func parse(yaml text: String, source: String) throws(ConfigError) -> ConfigNode {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw ConfigError([
                ConfigIssue(
                    path: "", origin: ConfigOrigin(source: source, line: error.line),
                    message: "not valid YAML: \(error.problem)")
            ])
        } catch {
            throw ConfigError([
                ConfigIssue(path: "", origin: ConfigOrigin(source: source), message: "not valid YAML: \(error)")
            ])
        }
        guard let root else { return .emptyMapping(origin: ConfigOrigin(source: source, line: 1)) }
        var issues: [ConfigIssue] = []
        var budget = maximumValues
        let node = convert(root, source: source, path: "", issues: &issues, budget: &budget)
        if budget < 0 {
            throw ConfigError(
                path: "", origin: ConfigOrigin(source: source),
                "more than \(maximumValues) values (aliases expanding?); not a configuration file")
        }
        if !issues.isEmpty { throw ConfigError(issues) }
        return node
    }

    /// Values a document may hold once aliases are expanded (a "billion laughs" file stops here).
    static let maximumValues = 100_000

    private static func convert(
        _ node: Node, source: String, path: String, issues: inout [ConfigIssue], budget: inout Int
    ) -> ConfigNode {
        let origin = ConfigOrigin(source: source, line: node.mark?.line)
        budget -= 1
        guard budget >= 0 else { return ConfigNode(.null, origin: origin) }
        switch node {
        case .scalar(let scalar):
            if scalar.style == .plain, ["", "~", "null", "Null", "NULL"].contains(scalar.string) {
                return ConfigNode(.null, origin: origin)
            }
            return ConfigNode(.scalar(scalar.string, quoted: scalar.style != .plain), origin: origin)
        case .mapping(let mapping):
            var entries: [ConfigEntry] = []
            var seen: Set<String> = []
            for (key, value) in mapping {
                guard case .scalar(let scalar) = key else {
                    issues.append(
                        ConfigIssue(
                            path: path, origin: ConfigOrigin(source: source, line: key.mark?.line),
                            message: "keys must be plain text"))
                    continue
                }
                let childPath = path.isEmpty ? scalar.string : "\(path).\(scalar.string)"
                guard seen.insert(scalar.string).inserted else {
                    issues.append(
                        ConfigIssue(
                            path: childPath, origin: ConfigOrigin(source: source, line: key.mark?.line),
                            message: "duplicate key"))
                    continue
                }
                entries.append(
                    ConfigEntry(
                        key: scalar.string,
                        value: convert(value, source: source, path: childPath, issues: &issues, budget: &budget)))
            }
            return ConfigNode(.mapping(entries), origin: origin)
        case .sequence(let sequence):
            return ConfigNode(
                .sequence(
                    sequence.enumerated().map {
                        convert($1, source: source, path: "\(path)[\($0)]", issues: &issues, budget: &budget)
                    }),
                origin: origin)
        case .alias:
            issues.append(ConfigIssue(path: path, origin: origin, message: "unresolved alias"))
            return ConfigNode(.null, origin: origin)
        }
    }
}

extension YamlError {
    var line: Int? {
        switch self {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _): mark.line
        case .duplicatedKeysInMapping(_, let context): context.mark.line
        default: nil
        }
    }

    var problem: String {
        switch self {
        case .scanner(let context, let problem, _, _), .parser(let context, let problem, _, _),
            .composer(let context, let problem, _, _):
            context.map { "\(problem) (\($0.text))" } ?? problem
        case .reader(let problem, _, _, _): problem
        case .duplicatedKeysInMapping(let duplicates, _):
            "duplicate key \(duplicates.sorted().map { "'\($0)'" }.joined(separator: ", ")) in this mapping"
        default: "\(self)"
        }
    }
}
