import LLMCacheCore

/// One line of a requests file or of a run manifest, as `replay-check` reads it.
///
/// A requests line is one HTTP request: `{"method":"POST","path":"/v1/chat/completions",
/// "headers":{"authorization":"Bearer …"},"body":{…the JSON that was sent…}}` (`headers` may also
/// be a list of `[name, value]` pairs; `method` defaults to POST). A manifest line (what
/// `serve --manifest` writes) names a key instead: it can be checked for presence only.
public enum ReplayRequest: Sendable, Equatable {
    case request(method: String, path: String, headers: [HeaderField], body: JSONValue)
    case manifest(key: CacheKey, method: String, path: String, model: String, namespace: String)

    public init(line: ArraySlice<UInt8>) throws {
        let value: JSONValue
        do { value = try JSONParser.parse(line, maximumDepth: JSONParser.defaultMaximumDepth + 4) } catch {
            throw ToolkitError("not valid JSON: \(error)")
        }
        guard case .object = value else { throw ToolkitError("not a JSON object") }
        let path = value["path"]?.stringValue
        if let keyText = value["key"]?.stringValue, value["body"] == nil {
            guard let key = CacheKey(hex: keyText) else { throw ToolkitError("key is not 64 hex digits") }
            self = .manifest(
                key: key, method: value["method"]?.stringValue ?? "POST", path: path ?? "",
                model: value["model"]?.stringValue ?? "", namespace: value["namespace"]?.stringValue ?? "")
            return
        }
        guard let path, path.hasPrefix("/") else { throw ToolkitError("path is missing or does not start with /") }
        guard let body = value["body"] else { throw ToolkitError("body is missing") }
        var headers: [HeaderField] = []
        switch value["headers"] {
        case nil, .null?:
            break
        case .object(let members)?:
            for member in members {
                guard let text = member.value.stringValue else {
                    throw ToolkitError("header \(member.key) is not a string")
                }
                headers.append(HeaderField(name: member.key.lowercased(), value: text))
            }
        case .array(let pairs)?:
            for pair in pairs {
                guard case .array(let parts) = pair, parts.count == 2, let name = parts[0].stringValue,
                    let text = parts[1].stringValue
                else { throw ToolkitError("headers must be an object or a list of [name, value] pairs") }
                headers.append(HeaderField(name: name.lowercased(), value: text))
            }
        default:
            throw ToolkitError("headers must be an object or a list of [name, value] pairs")
        }
        let method = value["method"]?.stringValue?.uppercased() ?? "POST"
        guard !method.isEmpty, method.utf8.allSatisfy({ $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") }) else {
            throw ToolkitError("method must be letters")
        }
        self = .request(method: method, path: path, headers: headers, body: body)
    }

    var summary: String {
        switch self {
        case .request(let method, let path, _, let body):
            let model = body["model"]?.stringValue.map { " model \($0)" } ?? ""
            return "\(method) \(path)\(model)"
        case .manifest(_, let method, let path, let model, _):
            return "\(method) \(path)" + (model.isEmpty ? "" : " model \(model)")
        }
    }
}
