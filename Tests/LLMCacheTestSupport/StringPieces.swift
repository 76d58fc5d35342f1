extension String {
    /// The pieces between occurrences of `separator`, empty ones kept (Foundation's
    /// `components(separatedBy:)`, without Foundation).
    package func components(separatedBy separator: String) -> [String] {
        split(separator: separator, omittingEmptySubsequences: false).map(String.init)
    }
}
