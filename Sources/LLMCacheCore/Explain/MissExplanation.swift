/// Why a request missed: the nearest stored request of the same route, model, namespace and
/// tenant scope, with the field-level differences between the two.
public struct MissExplanation: Sendable, Equatable {
    /// The key the request had.
    public var key: CacheKey
    public var namespace: String
    public var method: String
    public var path: String
    public var model: String
    /// Stored requests of the same route, model, namespace and tenant that were compared.
    public var compared: Int
    /// Stored requests of the same route, model and namespace under other credentials (never
    /// compared or shown: they belong to someone else).
    public var otherTenants: Int
    /// Other models with stored requests on the same route and namespace (when none has this one).
    public var otherModels: [String]
    public var nearest: Nearest?

    public struct Nearest: Sendable, Equatable {
        public var key: CacheKey
        public var createdAt: Timestamp
        /// Differences in the request body (JSON paths under `$`) and in answer-changing
        /// headers (paths `header:NAME`).
        public var differences: [JSONDifference]
        /// The stored response has expired (it would have answered otherwise).
        public var expired: Bool

        public init(key: CacheKey, createdAt: Timestamp, differences: [JSONDifference], expired: Bool = false) {
            self.key = key
            self.createdAt = createdAt
            self.differences = differences
            self.expired = expired
        }
    }

    public init(
        key: CacheKey, namespace: String, method: String, path: String, model: String, compared: Int = 0,
        otherTenants: Int = 0, otherModels: [String] = [], nearest: Nearest? = nil
    ) {
        self.key = key
        self.namespace = namespace
        self.method = method
        self.path = path
        self.model = model
        self.compared = compared
        self.otherTenants = otherTenants
        self.otherModels = otherModels
        self.nearest = nearest
    }

    /// One readable sentence (logs, the CLI, the error message).
    public var summary: String {
        let route = "\(method) \(path) model '\(model)'" + (namespace.isEmpty ? "" : " in namespace '\(namespace)'")
        if let nearest {
            if nearest.differences.isEmpty {
                return nearest.expired
                    ? "the stored response for \(route) (\(nearest.key.hex)) has expired"
                    : "no stored response for \(route); stored request \(nearest.key.hex) has the same body and headers but another key (key recipe or upstream changed)"
            }
            let fields = nearest.differences.prefix(8).map(\.path).joined(separator: ", ")
            let more = nearest.differences.count > 8 ? " and \(nearest.differences.count - 8) more" : ""
            return
                "no stored response for \(route); nearest stored request \(nearest.key.hex) differs in \(fields)\(more)"
        }
        var text = "no stored response for \(route), and no stored request of that route and model to compare"
        if otherTenants > 0 {
            text +=
                "; \(otherTenants) stored under other credentials (replay with --share-across-credentials, or import with --tenant)"
        }
        if !otherModels.isEmpty { text += "; stored models on this route: \(otherModels.joined(separator: ", "))" }
        return text
    }

    /// The explanation as a JSON object (the `explanation` member of a 504 body, replay-check's
    /// reports). Long strings are abbreviated.
    public var json: JSONValue {
        var members: [JSONMember] = [
            JSONMember(key: "key", value: .string(key.hex)),
            JSONMember(key: "method", value: .string(method)),
            JSONMember(key: "path", value: .string(path)),
            JSONMember(key: "model", value: .string(model)),
            JSONMember(key: "namespace", value: .string(namespace)),
            JSONMember(key: "compared", value: .number(String(compared))),
            JSONMember(key: "other_credentials", value: .number(String(otherTenants))),
            JSONMember(key: "other_models", value: .array(otherModels.map { .string($0) })),
            JSONMember(key: "summary", value: .string(summary)),
        ]
        if let nearest {
            let differences: [JSONValue] = nearest.differences.map { difference in
                var fields = [JSONMember(key: "path", value: .string(difference.path))]
                if let stored = difference.stored {
                    fields.append(JSONMember(key: "stored", value: stored.abbreviated()))
                }
                if let request = difference.request {
                    fields.append(JSONMember(key: "request", value: request.abbreviated()))
                }
                return .object(fields)
            }
            members.append(
                JSONMember(
                    key: "nearest",
                    value: .object([
                        JSONMember(key: "key", value: .string(nearest.key.hex)),
                        JSONMember(key: "stored_at", value: .string(nearest.createdAt.iso8601)),
                        JSONMember(key: "expired", value: .bool(nearest.expired)),
                        JSONMember(key: "differences", value: .array(differences)),
                    ])))
        }
        return .object(members)
    }
}
