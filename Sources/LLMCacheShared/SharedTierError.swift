import PostgresNIO

/// Readable one-line descriptions of what the database answered. PostgresNIO's errors print a
/// generic text by design (their full form may hold a query's values); this names the error's
/// code, the server's message and SQLSTATE, and the underlying network error — never a query.
public enum SharedTierError {
    public static func describe(_ error: any Error) -> String {
        guard let error = error as? PSQLError else { return "\(error)" }
        var text = "PostgreSQL \(error.code)"
        if let message = error.serverInfo?[.message] { text += ": \(message)" }
        if let state = error.serverInfo?[.sqlState] { text += " (SQLSTATE \(state))" }
        if let underlying = error.underlying { text += ": \(underlying)" }
        return text
    }
}
