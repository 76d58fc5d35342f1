import LLMCacheCore
import NIOCore

/// The reviewable form of an export, meant to be committed and code-reviewed: plain JSON lines,
/// one entry per line, in key order (a re-record that changes nothing changes no line), bodies
/// as readable JSON when they are JSON, streams as their server-sent events, no timestamps.
///
/// ```
/// {"format":"llmcache-recording","key_recipe":2,"store":"<store id>","version":1}
/// {"key":"…","namespace":"…","request":{"method":"POST","path":"/v1/chat/completions","upstream":"openai",
///  "model":"gpt-4o-mini","headers":[],"tenant":"","body":{…canonical request…}},
///  "response":{"status":200,"headers":[["content-type","application/json"]],"json":{…}}}
/// ```
///
/// The answer's body is exactly one of: `json` (a complete body whose compact spelling is its
/// bytes), `sse` (a stream: its events, each a list of lines — a line as text, or
/// `[field, JSON value]` for `field: <compact JSON>`), `text` (any other UTF-8 body) or `base64`;
/// `"stream":true` marks a stream kept as `text` or `base64`. Whatever form is written, the
/// bytes read back are the bytes stored: a form is chosen only when it spells the body exactly.
/// The `key` is written to cross-reference manifests and `x-llmcache-key`, but reading computes
/// it from the request, so a request edited by hand is stored under its new key (only an entry
/// that does not record its request is stored under the written key). Chunk timing is not kept: an imported stream is chunked at its events, with no
/// delays. Tenant scopes are keyed hashes, never credentials.
public enum RecordingFormat {
    public static let name = "llmcache-recording"
    public static let version = 1

    static func headerLine(store: String) -> [UInt8] {
        let value = JSONValue.object([
            JSONMember(key: "format", value: .string(name)),
            JSONMember(key: "version", value: .number(String(version))),
            JSONMember(key: "key_recipe", value: .number(String(CacheKeyRecipe.version))),
            JSONMember(key: "store", value: .string(store)),
        ])
        return CanonicalJSON.serialize(value) + [0x0A]
    }

    static func line(_ record: ExportRecord) -> [UInt8] {
        let entry = record.entry
        var members = [JSONMember(key: "key", value: .string(record.key.hex))]
        if entry.request == nil || entry.recipeVersion != CacheKeyRecipe.version {
            members.append(JSONMember(key: "recipe_version", value: .number(String(entry.recipeVersion))))
        }
        members.append(JSONMember(key: "namespace", value: .string(entry.namespace)))
        members.append(JSONMember(key: "request", value: .object(ExportRecord.requestMembers(entry))))
        var response = [
            JSONMember(key: "status", value: .number(String(entry.status))),
            JSONMember(key: "headers", value: ExportRecord.pairs(entry.headers)),
        ]
        response += bodyMembers(Array(entry.body.readableBytesView), isStream: entry.bodyKind != .complete)
        members.append(JSONMember(key: "response", value: .object(response)))
        return CanonicalJSON.serializeInOrder(.object(members)) + [0x0A]
    }

    /// Parses an entry line; `created` becomes its store time (the file keeps none).
    static func parse(_ line: ArraySlice<UInt8>, created: Timestamp) throws -> ExportRecord {
        let value: JSONValue
        do { value = try JSONParser.parse(line, maximumDepth: ExportFormat.maximumDepth) } catch {
            throw ToolkitError("not a recording line: \(error)")
        }
        guard case .object = value else { throw ToolkitError("a recording line is a JSON object") }
        guard let request = value["request"], case .object = request else {
            throw ToolkitError("entry has no request object")
        }
        guard let response = value["response"], case .object = response else {
            throw ToolkitError("entry has no response object")
        }
        guard let namespace = value["namespace"]?.stringValue else { throw ToolkitError("namespace is not a string") }
        guard let status = response["status"]?.intValue, (100...599).contains(status) else {
            throw ToolkitError("response status is not an HTTP status")
        }
        guard let requestBody = request["body"] else { throw ToolkitError("request has no body") }
        let canonical = CanonicalJSON.serialize(requestBody)
        let stored = try ExportRecord.storedRequest(request)
        var recipeVersion = CacheKeyRecipe.version
        if let version = value["recipe_version"] {
            guard let number = version.intValue.flatMap(UInt16.init(exactly:)) else {
                throw ToolkitError("recipe_version is out of range")
            }
            recipeVersion = number
        }
        // The request is the truth: its key is computed (a request edited by hand gets its new
        // key); the written key is used only by entries that cannot compute theirs.
        let key: CacheKey
        if let stored, recipeVersion == CacheKeyRecipe.version {
            key = stored.recipe(namespace: namespace, canonicalBody: canonical).key
        } else if let hex = value["key"] {
            guard let text = hex.stringValue, let parsed = CacheKey(hex: text) else {
                throw ToolkitError("key is not 64 hex digits")
            }
            key = parsed
        } else {
            throw ToolkitError("entry has neither a request to compute its key from nor a key")
        }
        let (body, kind) = try self.body(response)
        let entry = CacheEntry(
            namespace: namespace, status: status, headers: try ExportRecord.headers("headers", in: response),
            body: ByteBuffer(bytes: body), bodyKind: kind, canonicalRequest: ByteBuffer(bytes: canonical),
            recipeVersion: recipeVersion, request: stored, createdAt: created)
        return ExportRecord(key: key, entry: entry)
    }

    // MARK: Bodies

    private static func bodyMembers(_ body: [UInt8], isStream: Bool) -> [JSONMember] {
        if !isStream, let value = exactJSON(body[...]) {
            return [JSONMember(key: "json", value: value)]
        }
        if isStream, let events = ServerSentEvents.events(exactlySpelling: body) {
            return [JSONMember(key: "sse", value: events)]
        }
        var members: [JSONMember]
        if let text = String(validating: body, as: UTF8.self) {
            members = [JSONMember(key: "text", value: .string(text))]
        } else {
            members = [JSONMember(key: "base64", value: .string(Base64.encode(body)))]
        }
        if isStream { members.append(JSONMember(key: "stream", value: .bool(true))) }
        return members
    }

    private static func body(_ response: JSONValue) throws -> ([UInt8], BodyKind) {
        if let value = response["json"] {
            return (CanonicalJSON.serializeInOrder(value), .complete)
        }
        let body: [UInt8]
        var isStream = response["stream"]?.boolValue ?? false
        if let events = response["sse"] {
            body = try ServerSentEvents.text(events)
            isStream = true
        } else if let text = response["text"] {
            guard let string = text.stringValue else { throw ToolkitError("response text is not a string") }
            body = Array(string.utf8)
        } else if let encoded = response["base64"] {
            guard let text = encoded.stringValue, let decoded = Base64.decode(text) else {
                throw ToolkitError("response base64 is not base64")
            }
            body = decoded
        } else {
            throw ToolkitError("response has no json, sse, text or base64 body")
        }
        return (body, isStream ? .stream(chunks: ServerSentEvents.chunks(body)) : .complete)
    }

    /// The JSON value whose compact, in-order spelling is exactly `bytes`; nil for anything else.
    static func exactJSON(_ bytes: ArraySlice<UInt8>) -> JSONValue? {
        guard let first = bytes.first, first == UInt8(ascii: "{") || first == UInt8(ascii: "["),
            let value = try? JSONParser.parse(bytes, maximumDepth: JSONParser.defaultMaximumDepth),
            CanonicalJSON.serializeInOrder(value).elementsEqual(bytes)
        else { return nil }
        return value
    }
}

/// A server-sent-events body as JSON a reviewer can read, and back — exactly.
enum ServerSentEvents {
    /// The events of `body` (each a list of lines: the text of the line, or `[field, value]` for
    /// `field: <compact JSON>`); nil unless written back they are `body` byte for byte.
    static func events(exactlySpelling body: [UInt8]) -> JSONValue? {
        guard let text = String(validating: body, as: UTF8.self), text.hasSuffix("\n\n"), !text.contains("\r") else {
            return nil
        }
        let events = text.dropLast(2).split(separator: "\n\n", omittingEmptySubsequences: false).map { event in
            JSONValue.array(
                event.split(separator: "\n", omittingEmptySubsequences: false).map { line -> JSONValue in
                    if let colon = line.firstIndex(of: ":"), colon > line.startIndex,
                        line[line.index(after: colon)...].hasPrefix(" "),
                        let value = RecordingFormat.exactJSON(
                            Array(line[line.index(colon, offsetBy: 2)...].utf8)[...])
                    {
                        return .array([.string(String(line[..<colon])), value])
                    }
                    return .string(String(line))
                })
        }
        let value = JSONValue.array(events)
        guard let spelled = try? Self.text(value), spelled == body else { return nil }
        return value
    }

    /// The body `events` spell.
    static func text(_ events: JSONValue) throws -> [UInt8] {
        guard case .array(let list) = events else { throw ToolkitError("sse is not an array of events") }
        var output: [UInt8] = []
        for event in list {
            guard case .array(let lines) = event else { throw ToolkitError("an sse event is not an array of lines") }
            for (index, line) in lines.enumerated() {
                if index > 0 { output.append(0x0A) }
                switch line {
                case .string(let text): output += text.utf8
                case .array(let parts) where parts.count == 2 && parts[0].stringValue != nil:
                    output += parts[0].stringValue!.utf8
                    output += ": ".utf8
                    output += CanonicalJSON.serializeInOrder(parts[1])
                default: throw ToolkitError("an sse line is not text or [field, value]")
                }
            }
            output += [0x0A, 0x0A]
        }
        return output
    }

    /// Chunks at event boundaries (after each blank line), no delays.
    static func chunks(_ body: [UInt8]) -> [StreamChunk] {
        var chunks: [StreamChunk] = []
        var start = 0
        var index = 0
        while index + 1 < body.count {
            if body[index] == 0x0A && body[index + 1] == 0x0A {
                chunks.append(StreamChunk(length: UInt32(index + 2 - start), delayMicroseconds: 0))
                start = index + 2
                index += 2
            } else {
                index += 1
            }
        }
        if start < body.count { chunks.append(StreamChunk(length: UInt32(body.count - start), delayMicroseconds: 0)) }
        return chunks
    }
}
