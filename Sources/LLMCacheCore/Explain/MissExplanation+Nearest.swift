import NIOCore

/// Finding the nearest stored request, wherever the candidates come from (the disk tier's
/// request index, the shared tier's rows of a namespace).
extension MissExplanation {
    /// The entry among `entries` whose request differs least from `recipe`'s (fewest differing
    /// JSON leaves and answer-changing headers; the newest on a tie), with the differences.
    /// The caller chose candidates of the same route, model, namespace and tenant scope.
    public static func nearest(
        to recipe: CacheKeyRecipe, among entries: [(CacheKey, CacheEntry)], now: Timestamp
    ) -> MissExplanation.Nearest? {
        let body = (try? JSONParser.parse(recipe.canonicalBody)) ?? .null
        var best: (score: Int, key: CacheKey, entry: CacheEntry, body: JSONValue)?
        for (key, entry) in entries {
            guard let stored = try? JSONParser.parse(entry.canonicalRequest.readableBytesView) else { continue }
            let limit = best.map { $0.score + 1 } ?? .max
            let score =
                JSONDifference.count(stored: stored, request: body, limit: limit)
                + headerDifferences(entry.request?.headers ?? [], recipe.headers).count
            if best == nil || score < best!.score || (score == best!.score && entry.createdAt > best!.entry.createdAt) {
                best = (score, key, entry, stored)
            }
        }
        guard let best else { return nil }
        let differences =
            JSONDifference.between(stored: best.body, request: body)
            + headerDifferences(best.entry.request?.headers ?? [], recipe.headers)
        return MissExplanation.Nearest(
            key: best.key, createdAt: best.entry.createdAt, differences: differences,
            expired: best.entry.isExpired(at: now))
    }

    /// Answer-changing headers that differ, as paths `header:NAME`.
    public static func headerDifferences(_ stored: [HeaderField], _ request: [HeaderField]) -> [JSONDifference] {
        func values(_ headers: [HeaderField]) -> [String: String] {
            Dictionary(headers.map { ($0.name.lowercased(), $0.value) }) { first, second in first + ", " + second }
        }
        let old = values(stored)
        let new = values(request)
        return Set(old.keys).union(new.keys).sorted().compactMap { name in
            old[name] == new[name]
                ? nil
                : JSONDifference(
                    path: "header:\(name)", stored: old[name].map { .string($0) },
                    request: new[name].map { .string($0) })
        }
    }
}
