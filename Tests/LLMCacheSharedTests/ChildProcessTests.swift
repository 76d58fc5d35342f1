import LLMCacheTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The test processes spawn servers that outlive their spawner (`pg_ctl start`). A descriptor
/// such a server inherits from another test (the output pipe of a `ChildProcess` being read at
/// that moment) keeps that pipe open: the reader never sees its end and blocks a thread of the
/// cooperative pool for good — on two cores, two of those hang the whole suite.
@Suite struct ChildProcessTests {
    @Test func aChildInheritsNothingButItsOutput() throws {
        // A descriptor this process holds without close-on-exec, as another test's might be.
        var leaked: [Int32] = [0, 0]
        #expect(pipe(&leaked) == 0)
        defer { leaked.forEach { close($0) } }
        let process = try ChildProcess(arguments: ["/bin/ls", "/proc/self/fd"])
        let open = Set(process.readAll().split(separator: "\n").compactMap { Int32($0) })
        #expect(process.wait() == 0)
        #expect(open.isDisjoint(with: leaked), "inherited: \(open.sorted())")
        #expect(open.isSuperset(of: [0, 1, 2]))
    }

    @Test func anotherChildsPipeDoesNotReachThisOne() throws {
        // A child's output pipe must not leak into a child spawned while it is being read.
        let first = try ChildProcess(arguments: ["/bin/sh", "-c", "echo first"])
        let second = try ChildProcess(arguments: ["/bin/ls", "-l", "/proc/self/fd"])
        let listing = second.readAll()
        #expect(second.wait() == 0)
        #expect(first.readAll() == "first\n")
        #expect(first.wait() == 0)
        // 0 to 2 are the child's own; above them only ls's handle on the listing itself.
        let inherited = listing.split(separator: "\n").filter { line in
            guard let arrow = line.range(of: " -> "), line[arrow.upperBound...].hasPrefix("pipe:") else { return false }
            let number = line[..<arrow.lowerBound].split(separator: " ").last.flatMap { Int($0) }
            return (number ?? 0) > 2
        }
        #expect(inherited.isEmpty, "\(listing)")
    }
}
