import Foundation

/// Runs a blocking call (a socket read, a child process's output) on a thread of its own. Never
/// on the cooperative pool or NIO's thread pool: the proxy under test needs both, so test-side
/// waits parked there can starve the very server they wait for (on two cores, two such waits
/// deadlock the suite).
package func onOwnThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try body() }) }.start()
    }
}
