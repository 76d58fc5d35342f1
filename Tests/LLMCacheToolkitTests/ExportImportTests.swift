import LLMCacheCore
import LLMCacheStore
import NIOCore
import Testing
import Zstd

@testable import LLMCacheToolkit

@Suite struct ExportImportTests {
    let scratch = ScratchDirectory()

    @Test func exportThenImportKeepsEveryEntryByteForByte() async throws {
        let (source, keys) = try makeStore(scratch.path + "/a", count: 20)
        var stream = chatEntry(99, tenant: []).1
        let events = ["data: {\"x\":1}\n\n", "data: [DONE]\n\n"]
        stream.body = ByteBuffer(string: events.joined())
        stream.bodyKind = .stream(
            chunks: events.map { StreamChunk(length: UInt32($0.utf8.count), delayMicroseconds: 1500) })
        stream.headers = [HeaderField(name: "content-type", value: "text/event-stream")]
        let streamKey = stream.keyRecipe!.key
        source.put(streamKey, stream)
        var binary = chatEntry(98, tenant: []).1
        binary.body = ByteBuffer(bytes: [0xff, 0x00, 0xfe, 0x80])
        let binaryKey = binary.keyRecipe!.key
        source.put(binaryKey, binary)
        source.commitPending()

        let file = scratch.path + "/a.llmc"
        let exported = try await StoreExport.run(store: .disk(source), to: file, filter: EntryFilter(), now: now)
        #expect(exported.exported == 22)
        #expect(try readFile(file).starts(with: [0x28, 0xB5, 0x2F, 0xFD]), "the file is a zstd stream")
        // Tenant scopes are keyed with the source store's secret, so keep them by importing back
        // into the same store after purging it.
        try source.removeAll()
        let summary = try await StoreImport.run(file, into: .disk(source), options: .init(), now: now)
        #expect(summary.imported == 22)
        #expect(summary.bad.isEmpty && summary.fileError == nil && summary.foreignScoped == 0)
        for key in keys + [streamKey, binaryKey] { #expect(source.get(key) != nil) }
        #expect(source.get(streamKey) == stream, "streams keep their chunk table and bytes")
        #expect(source.get(binaryKey)?.body == binary.body, "non-UTF-8 bodies round-trip through base64")
        #expect(try Verify.exportFile(file).isClean)
    }

    @Test func filtersChooseWhatIsExported() async throws {
        let store = try StoreAccess.openOrCreate(scratch.path + "/f")
        let secret = try store.tenantSecret()
        let scope = TenantScope.scope(credential: "k", secret: secret)
        for (index, (namespace, model, day)) in [("a", "m1", 0), ("a", "m2", 1), ("b", "m1", 2)].enumerated() {
            let (key, entry) = chatEntry(
                index, namespace: namespace, model: model, tenant: scope,
                createdAt: Timestamp(secondsSinceEpoch: 1_700_000_000 + Int64(day) * 86_400))
            store.put(key, entry)
        }
        store.commitPending()
        func count(_ filter: EntryFilter) async throws -> Int {
            try await StoreExport.run(store: .disk(store), to: scratch.path + "/out", filter: filter, now: now).exported
        }
        #expect(try await count(EntryFilter()) == 3)
        #expect(try await count(EntryFilter(namespace: "a")) == 2)
        #expect(try await count(EntryFilter(model: "m1")) == 2)
        #expect(try await count(EntryFilter(namespace: "a", model: "m1")) == 1)
        #expect(try await count(EntryFilter(since: Timestamp(secondsSinceEpoch: 1_700_000_000 + 86_400))) == 2)
        #expect(try await count(EntryFilter(model: "none")) == 0)
        // purge takes the same filters
        #expect(try store.removeAll(matching: EntryFilter(model: "m1").matches) == 2)
        #expect(store.stats.entries == 1)
    }

    /// Portable stores (the default) share one secret: an entry exported from one is found
    /// under the same key in another, for the same credential.
    @Test func aPortableStoresEntriesAreFoundInAnotherPortableStore() async throws {
        let (source, keys) = try makeStore(scratch.path + "/src", count: 3)
        let file = scratch.path + "/src.llmc"
        _ = try await StoreExport.run(store: .disk(source), to: file, filter: EntryFilter(), now: now)
        let fresh = try StoreAccess.openOrCreate(scratch.path + "/fresh")
        let summary = try await StoreImport.run(file, into: .disk(fresh), options: .init(), now: now)
        #expect(summary.imported == 3 && summary.foreignScoped == 0)
        for key in keys { #expect(fresh.get(key) != nil) }
        let scope = TenantScope.scope(credential: "Bearer sk-test", secret: try fresh.tenantSecret())
        #expect(fresh.get(chatEntry(1, tenant: scope).0) != nil, "the same credential computes the same key here")
        #expect(try fresh.tenantSecret() == TenantScope.portableSecret)
    }

    /// A store with its own secret (`store.tenant_scope: private`, and every store written before
    /// portable scopes): its scopes mean nothing elsewhere, and an import says so.
    @Test func importIntoAnotherStoreRescopesTenants() async throws {
        let (source, keys) = try makeStore(scratch.path + "/src", count: 3, tenantScope: .storeOwn)
        let file = scratch.path + "/src.llmc"
        _ = try await StoreExport.run(store: .disk(source), to: file, filter: EntryFilter(), now: now)

        let kept = try StoreAccess.openOrCreate(scratch.path + "/kept")
        let keptSummary = try await StoreImport.run(file, into: .disk(kept), options: .init(), now: now)
        #expect(keptSummary.foreignScoped == 3, "scopes of another store's secret are reported")

        let shared = try StoreAccess.openOrCreate(scratch.path + "/shared")
        #expect(
            try await StoreImport.run(file, into: .disk(shared), options: .init(tenant: .shared), now: now).imported
                == 3)
        let sharedKey = chatEntry(0, tenant: []).0
        #expect(shared.get(sharedKey) != nil, "readable under the shared (no-tenant) key")
        #expect(shared.get(keys[0]) == nil)

        let scoped = try StoreAccess.openOrCreate(scratch.path + "/scoped")
        let summary = try await StoreImport.run(
            file, into: .disk(scoped), options: .init(tenant: .credential("Bearer ci-dummy")), now: now)
        #expect(summary.imported == 3)
        let ciScope = TenantScope.scope(credential: "Bearer ci-dummy", secret: try scoped.tenantSecret())
        #expect(scoped.get(chatEntry(0, tenant: ciScope).0) != nil, "readable under the CI credential in this store")

        let renamed = try StoreAccess.openOrCreate(scratch.path + "/renamed")
        _ = try await StoreImport.run(
            file, into: .disk(renamed), options: .init(namespace: "ci", tenant: .shared), now: now)
        let entry = renamed.get(chatEntry(0, namespace: "ci", tenant: []).0)
        #expect(entry?.namespace == "ci")
        #expect(try Verify.store(renamed).isClean, "re-keyed entries sit under the key their request gives")
    }

    @Test(arguments: [StoreImport.Conflict.keep, .newer, .replace])
    func conflicts(_ conflict: StoreImport.Conflict) async throws {
        let store = try StoreAccess.openOrCreate(scratch.path + "/c-\(conflict)")
        let (key, older) = chatEntry(1, tenant: [], createdAt: Timestamp(secondsSinceEpoch: 1_700_000_000))
        var newer = older
        newer.createdAt = Timestamp(secondsSinceEpoch: 1_700_000_100)
        newer.body = ByteBuffer(string: #"{"answer":"newer"}"#)
        store.put(key, newer)
        store.commitPending()
        let file = scratch.path + "/c-\(conflict).llmc"
        _ = try await StoreExport.run(store: .disk(store), to: file, filter: EntryFilter(), now: now)
        // The store now holds the older one; import the newer one over it.
        store.put(key, older)
        store.commitPending()
        let summary = try await StoreImport.run(file, into: .disk(store), options: .init(conflict: conflict), now: now)
        switch conflict {
        case .keep:
            #expect(summary.keptExisting == 1 && store.get(key)?.body == older.body)
        case .newer, .replace:
            #expect(summary.replaced == 1 && store.get(key)?.body == newer.body)
        }
        // And an older one never replaces a newer one under `newer`.
        if conflict == .newer {
            let olderFile = scratch.path + "/older.llmc"
            let other = try StoreAccess.openOrCreate(scratch.path + "/other")
            other.put(key, older)
            other.commitPending()
            _ = try await StoreExport.run(store: .disk(other), to: olderFile, filter: EntryFilter(), now: now)
            #expect(
                try await StoreImport.run(olderFile, into: .disk(store), options: .init(conflict: .newer), now: now)
                    .keptExisting
                    == 1)
            #expect(store.get(key)?.body == newer.body)
        }
    }
}
