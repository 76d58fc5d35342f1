/// A failure of a toolkit command (bad file, bad argument, unreadable store), with a message
/// that names the file and line where there is one.
public struct ToolkitError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
