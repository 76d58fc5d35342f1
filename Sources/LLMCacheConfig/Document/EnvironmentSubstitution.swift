/// `${VAR}` and `${VAR:default}` in configuration values.
///
/// - `${VAR}`: the variable's value (an empty value counts as set); unset is an error.
/// - `${VAR:default}`: the default when the variable is unset. The default is everything after
///   the first `:` up to the closing `}` (it may contain `:`; it may be empty).
/// - `$${` is a literal `${`; a `$` not followed by `{` is itself.
/// - Names are `[A-Za-z_][A-Za-z0-9_]*`; anything else, or a `${` without `}`, is an error.
public enum EnvironmentSubstitution {
    public enum Failure: Error, Sendable, Equatable, CustomStringConvertible {
        case unset(String)
        case badName(String)
        case unterminated

        public var description: String {
            switch self {
            case .unset(let name): "environment variable \(name) is not set (write ${\(name):default} for a default)"
            case .badName(let name):
                "'\(name)' is not a variable name (letters, digits and _, not starting with a digit)"
            case .unterminated: "'${' without a closing '}' (write $${ for a literal ${)"
            }
        }
    }

    public static func substitute(_ text: String, environment: [String: String]) throws(Failure) -> String {
        guard text.utf8.contains(UInt8(ascii: "$")) else { return text }
        let bytes = Array(text.utf8)
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            guard byte == UInt8(ascii: "$") else {
                output.append(byte)
                index += 1
                continue
            }
            if index + 2 < bytes.count, bytes[index + 1] == UInt8(ascii: "$"), bytes[index + 2] == UInt8(ascii: "{") {
                output += Array("${".utf8)
                index += 3
                continue
            }
            guard index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "{") else {
                output.append(byte)
                index += 1
                continue
            }
            guard let close = bytes[(index + 2)...].firstIndex(of: UInt8(ascii: "}")) else { throw .unterminated }
            let inside = bytes[(index + 2)..<close]
            let colon = inside.firstIndex(of: UInt8(ascii: ":"))
            let name = String(decoding: inside[..<(colon ?? close)], as: UTF8.self)
            guard isName(name) else { throw .badName(name) }
            if let value = environment[name] {
                output += Array(value.utf8)
            } else if let colon {
                output += inside[(colon + 1)...]
            } else {
                throw .unset(name)
            }
            index = close + 1
        }
        return String(decoding: output, as: UTF8.self)
    }

    static func isName(_ name: String) -> Bool {
        guard let first = name.utf8.first, first == UInt8(ascii: "_") || isLetter(first) else { return false }
        return name.utf8.allSatisfy { $0 == UInt8(ascii: "_") || isLetter($0) || (0x30...0x39).contains($0) }
    }

    private static func isLetter(_ byte: UInt8) -> Bool { (0x41...0x5a).contains(byte) || (0x61...0x7a).contains(byte) }
}

extension ConfigNode {
    /// This tree with `${…}` substituted in every scalar (not in keys); failures name the key
    /// path and are collected in `issues`.
    func substituted(environment: [String: String], path: String, issues: inout [ConfigIssue]) -> ConfigNode {
        switch kind {
        case .null: return self
        case .scalar(let text, let quoted):
            do {
                return ConfigNode(
                    .scalar(try EnvironmentSubstitution.substitute(text, environment: environment), quoted: quoted),
                    origin: origin)
            } catch {
                issues.append(ConfigIssue(path: path, origin: origin, message: error.description))
                return self
            }
        case .mapping(let entries):
            return ConfigNode(
                .mapping(
                    entries.map {
                        ConfigEntry(
                            key: $0.key,
                            value: $0.value.substituted(
                                environment: environment, path: path.isEmpty ? $0.key : "\(path).\($0.key)",
                                issues: &issues))
                    }), origin: origin)
        case .sequence(let nodes):
            return ConfigNode(
                .sequence(
                    nodes.enumerated().map {
                        $1.substituted(environment: environment, path: "\(path)[\($0)]", issues: &issues)
                    }),
                origin: origin)
        }
    }
}
