import CLMDB
import Testing

@testable import LMDB

#if canImport(Glibc)
    import Glibc
#endif

func temporaryDirectory() -> String {
    var template = Array("/tmp/llmcache-lmdb-XXXXXX".utf8CString)
    let created = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
    precondition(created != nil)
    return template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
}

func removeDirectory(_ path: String) { _ = system("rm -rf '\(path)'") }

@Suite struct LMDBEnvironmentTests {
    @Test func everyFlagMapsToItsLMDBConstant() {
        let pairs: [(LMDBEnvironmentFlags, Int32)] = [
            (.noSubdirectory, MDB_NOSUBDIR), (.readOnly, MDB_RDONLY), (.noSync, MDB_NOSYNC),
            (.noMetaSync, MDB_NOMETASYNC), (.writeMap, MDB_WRITEMAP), (.mapAsync, MDB_MAPASYNC),
            (.noReadahead, MDB_NORDAHEAD), (.noMemoryInit, MDB_NOMEMINIT), (.noLock, MDB_NOLOCK),
        ]
        for (flag, constant) in pairs { #expect(flag.rawValue == UInt32(constant)) }
        #expect(Set(pairs.map(\.0.rawValue)).count == pairs.count)
    }

    @Test func putGetDeleteAndIterate() throws {
        let path = temporaryDirectory()
        defer { removeDirectory(path) }
        let environment = try LMDBEnvironment(path: path)
        let database = try environment.openDatabase("items")
        try environment.write { transaction in
            for i in (0..<100).reversed() {
                try transaction.put(database, key: [UInt8(i)], value: [UInt8](repeating: UInt8(i), count: i))
            }
        }
        try environment.read { transaction in
            #expect(try transaction.get(database, key: [7]) == [UInt8](repeating: 7, count: 7))
            #expect(try transaction.get(database, key: [200]) == nil)
            #expect(try transaction.count(database) == 100)
            var seen: [UInt8] = []
            try transaction.forEach(database, from: [90]) { key, _ in
                seen.append(key[0])
                return key[0] < 95
            }
            #expect(seen == [90, 91, 92, 93, 94, 95])
        }
        let (first, second) = try environment.write { transaction in
            (try transaction.delete(database, key: [7]), try transaction.delete(database, key: [7]))
        }
        #expect(first && !second)
        #expect(try environment.read { try $0.get(database, key: [7]) } == nil)
    }

    @Test func aThrowingWriteIsRolledBack() throws {
        let path = temporaryDirectory()
        defer { removeDirectory(path) }
        let environment = try LMDBEnvironment(path: path)
        let database = try environment.openDatabase("items")
        struct Boom: Error {}
        #expect(throws: Boom.self) {
            try environment.write { transaction in
                try transaction.put(database, key: [1], value: [1])
                throw Boom()
            }
        }
        #expect(try environment.read { try $0.get(database, key: [1]) } == nil)
    }

    @Test func reopenKeepsData() throws {
        let path = temporaryDirectory()
        defer { removeDirectory(path) }
        do {
            let environment = try LMDBEnvironment(path: path)
            let database = try environment.openDatabase("items")
            try environment.write { try $0.put(database, key: Array("k".utf8), value: Array("v".utf8)) }
        }
        let reopened = try LMDBEnvironment(path: path)
        let database = try reopened.openDatabase("items", create: false)
        #expect(try reopened.read { try $0.get(database, key: Array("k".utf8)) } == Array("v".utf8))
    }

    @Test func mapFullGrowsTheMap() throws {
        let path = temporaryDirectory()
        defer { removeDirectory(path) }
        let environment = try LMDBEnvironment(path: path, options: .init(mapSize: 256 * 1024))
        let database = try environment.openDatabase("items")
        let before = environment.mapSize
        let value = [UInt8](repeating: 0xab, count: 4096)
        for batch in 0..<40 {
            try environment.write { transaction in
                for i in 0..<25 { try transaction.put(database, key: [UInt8(batch), UInt8(i)], value: value) }
            }
        }
        #expect(environment.mapSize > before)
        #expect(try environment.read { try $0.count(database) } == 1_000)
        #expect(try environment.read { try $0.get(database, key: [39, 24]) } == value)
    }

    @Test func mapFullBeyondTheMaximumIsAnError() throws {
        let path = temporaryDirectory()
        defer { removeDirectory(path) }
        let environment = try LMDBEnvironment(
            path: path, options: .init(mapSize: 128 * 1024, maximumMapSize: 256 * 1024))
        let database = try environment.openDatabase("items")
        let value = [UInt8](repeating: 1, count: 8192)
        #expect {
            for i in 0..<200 { try environment.write { try $0.put(database, key: [UInt8(i)], value: value) } }
        } throws: { error in
            (error as? LMDBError)?.isMapFull == true
        }
    }

    @Test func openingAFileAsADirectoryFailsClearly() throws {
        let path = temporaryDirectory()
        defer { removeDirectory(path) }
        #expect(system("touch '\(path)/file'") == 0)
        #expect {
            _ = try LMDBEnvironment(path: "\(path)/file")
        } throws: { error in
            (error as? LMDBError)?.operation.contains("mdb_env_open") == true
        }
    }

    @Test func compactCopyHoldsTheSameData() throws {
        let path = temporaryDirectory()
        let copy = temporaryDirectory()
        defer {
            removeDirectory(path)
            removeDirectory(copy)
        }
        let environment = try LMDBEnvironment(path: path)
        let database = try environment.openDatabase("items")
        try environment.write { transaction in
            for i in 0..<200 {
                try transaction.put(database, key: [UInt8(i)], value: [UInt8](repeating: 1, count: 2000))
            }
        }
        try environment.write { transaction in
            for i in 0..<190 { try transaction.delete(database, key: [UInt8(i)]) }
        }
        try environment.copy(to: copy, compact: true)
        let copied = try LMDBEnvironment(path: copy)
        let copiedDatabase = try copied.openDatabase("items", create: false)
        #expect(try copied.read { try $0.count(copiedDatabase) } == 10)
        #expect(copied.usedBytes < environment.usedBytes)
    }

    @Test func concurrentReadersSeeCommittedData() async throws {
        let path = temporaryDirectory()
        defer { removeDirectory(path) }
        let environment = try LMDBEnvironment(path: path, options: .init(mapSize: 128 * 1024))
        let database = try environment.openDatabase("items")
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                // Grows the map several times while readers run.
                for batch in 0..<50 {
                    try environment.write { transaction in
                        for i in 0..<20 {
                            try transaction.put(
                                database, key: [UInt8(batch), UInt8(i)],
                                value: [UInt8](repeating: UInt8(batch), count: 1000))
                        }
                    }
                }
            }
            for _ in 0..<2 {
                group.addTask {
                    for _ in 0..<500 {
                        try environment.read { transaction in
                            try transaction.forEach(database) { key, value in
                                #expect(value.count == 1000 && value.allSatisfy { $0 == key[0] })
                                return true
                            }
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(try environment.read { try $0.count(database) } == 1_000)
    }
}
