import LLMCacheCore
import Synchronization

/// The most recent cache misses and the misses per route and per model, for the dashboard and
/// `/stats`. A miss is explained (which fields differ from the nearest stored request of the
/// same route, model, namespace and credential) when it is shown, not when it happens: the
/// request path never pays for it. An explanation names fields, never their values, so a page
/// that lists misses shows nobody's prompt.
package final class MissLog: Sendable {
    package struct Miss: Sendable {
        package var time: Timestamp
        package var key: CacheKey
        package var method: String
        package var path: String
        package var model: String
        package var namespace: String
        /// Refused because the mode forbids the upstream (504), rather than fetched.
        package var offline: Bool
        /// One line; nil until explained.
        package var explanation: String?
        /// What the explanation compares, kept until it is written (nil for a body too large
        /// to keep: ``maximumKeptBody``).
        var recipe: CacheKeyRecipe?
    }

    /// Misses kept, newest last.
    package static let capacity = 20
    /// Routes and models counted apart (request values: bounded; the rest count as `(other)`).
    package static let maximumNames = 100
    /// Request bodies larger than this are not kept for a later explanation.
    static let maximumKeptBody = 256 << 10
    static let other = "(other)"

    private struct State {
        var recent: [Miss] = []
        var byRoute: [String: Int] = [:]
        var byModel: [String: Int] = [:]
    }

    private let state = Mutex(State())

    package init() {}

    /// A request missed; `explanation` when one was already computed for it.
    func record(_ lookup: CacheLookup, offline: Bool, explanation: String?, at time: Timestamp) {
        let recipe =
            explanation == nil && lookup.recipe.canonicalBody.count <= Self.maximumKeptBody ? lookup.recipe : nil
        let miss = Miss(
            time: time, key: lookup.key, method: lookup.recipe.method, path: lookup.recipe.path, model: lookup.model,
            namespace: lookup.namespace, offline: offline,
            explanation: explanation ?? (recipe == nil ? "the request is too large to keep for a comparison" : nil),
            recipe: recipe)
        let route = "\(miss.method) \(miss.path)"
        state.withLock {
            $0.recent.append(miss)
            if $0.recent.count > Self.capacity { $0.recent.removeFirst($0.recent.count - Self.capacity) }
            Self.count(route, in: &$0.byRoute)
            Self.count(miss.model, in: &$0.byModel)
        }
    }

    private static func count(_ name: String, in counts: inout [String: Int]) {
        let counted = counts[name] != nil || counts.count < maximumNames ? name : other
        counts[counted, default: 0] += 1
    }

    /// The kept misses, oldest first.
    package var recent: [Miss] { state.withLock { $0.recent } }

    /// The `limit` routes and models with the most misses, most first (ties by name).
    package func top(_ limit: Int) -> (routes: [(String, Int)], models: [(String, Int)]) {
        func sorted(_ counts: [String: Int]) -> [(String, Int)] {
            Array(counts.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.prefix(limit))
        }
        return state.withLock { (sorted($0.byRoute), sorted($0.byModel)) }
    }

    /// Writes the explanation of every kept miss that has none, asking `explain` with the
    /// miss's own key and time: its answer, and whatever was stored after it, are not "the
    /// nearest stored request" it missed.
    package func explainPending(
        _ explain:
            @Sendable (_ recipe: CacheKeyRecipe, _ model: String, _ excluding: CacheKey, _ before: Timestamp)
            async -> String
    ) async {
        let pending = state.withLock { state in
            state.recent.compactMap { miss in miss.recipe.map { (miss.key, miss.time, $0, miss.model) } }
        }
        for (key, time, recipe, model) in pending {
            let line = await explain(recipe, model, key, time)
            state.withLock { state in
                guard let index = state.recent.firstIndex(where: { $0.key == key && $0.time == time }) else { return }
                state.recent[index].explanation = line
                state.recent[index].recipe = nil
            }
        }
    }

    package func reset() { state.withLock { $0 = State() } }
}
