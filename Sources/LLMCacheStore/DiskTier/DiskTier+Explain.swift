import LLMCacheCore
import LMDB

extension DiskTier {
    /// Explains why the request with `recipe` (whose body names `model`) found nothing: the
    /// stored request of the same route, model, namespace and tenant scope that differs from it
    /// least (fewest differing JSON leaves and answer-changing headers; the newest on a tie),
    /// with the differences. Candidates come from the request index, so the cost depends on how
    /// many requests share that route and model, not on the size of the store; at most
    /// `maximumCandidates` are compared. Requests stored under another tenant scope are counted,
    /// never compared or shown. When a miss is explained later, `excluded` (the request's own
    /// answer, stored since) and entries created at or after `storedBefore` (the miss's time)
    /// are not compared: the explanation is the one the miss would have had.
    ///
    /// Blocks (LMDB reads, decompression): call it off the event loop. Never throws: an
    /// unreadable store gives an explanation with nothing compared.
    public func explainMiss(
        _ recipe: CacheKeyRecipe, model: String, excluding excluded: CacheKey? = nil, storedBefore: Timestamp? = nil,
        maximumCandidates: Int = 2_000
    ) -> MissExplanation {
        let request = recipe.storedRequest(model: model)
        var explanation = MissExplanation(
            key: recipe.key, namespace: recipe.namespace, method: recipe.method, path: recipe.path, model: model)
        let route = request.routeDigest(namespace: recipe.namespace)
        let modelDigest = request.modelDigest
        var candidates: [(CacheKey, [UInt8])] = []
        var otherModels: [[UInt8]: String] = [:]
        do {
            try environment.read { transaction in
                try schema.forEachIndexed(route + modelDigest, transaction) { _, key in
                    try transaction.withValue(schema.records, key: key.bytes) { record in
                        guard let header = try? RecordCodec.header(of: record, verifyChecksum: false),
                            let stored = header.request
                        else { return }
                        if key == excluded {
                            return
                        } else if stored.tenant != request.tenant {
                            explanation.otherTenants += 1
                        } else if candidates.count < maximumCandidates {
                            candidates.append((key, Array(record)))
                        }
                    }
                    return true
                }
                guard candidates.isEmpty else { return }
                try schema.forEachIndexed(route, transaction) { digest, key in
                    guard digest != modelDigest, otherModels[digest] == nil else { return true }
                    otherModels[digest] =
                        try transaction.withValue(schema.records, key: key.bytes) { record in
                            (try? RecordCodec.header(of: record, verifyChecksum: false))?.request?.model
                        } ?? nil
                    return otherModels.count < 64
                }
            }
        } catch {
            logger.warning("cannot read the request index", metadata: ["error": "\(error)"])
        }
        explanation.otherModels = otherModels.values.filter { !$0.isEmpty }.sorted()
        var entries =
            candidates.compactMap { key, record in (try? decode(record)).map { (key, $0) } }
            + pendingEntries(matching: recipe, model: model).filter { $0.0 != excluded }
        if let storedBefore { entries.removeAll { $0.1.createdAt >= storedBefore } }
        explanation.compared = entries.count
        explanation.nearest = MissExplanation.nearest(to: recipe, among: entries, now: clock.now())
        return explanation
    }

    /// Queued, not yet committed puts of the same route, model, namespace and tenant.
    private func pendingEntries(matching recipe: CacheKeyRecipe, model: String) -> [(CacheKey, CacheEntry)] {
        queue.withLock { queue in
            (queue.committing.merging(queue.pending) { _, newer in newer }).compactMap { key, change in
                guard case .put(let entry) = change, let stored = entry.request, entry.namespace == recipe.namespace,
                    stored.model == model, stored.upstream == recipe.upstream, stored.path == recipe.path,
                    stored.method == recipe.method, stored.tenant == recipe.tenant
                else { return nil }
                return (key, entry)
            }
        }
    }
}
