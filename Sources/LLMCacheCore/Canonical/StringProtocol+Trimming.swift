extension StringProtocol {
    /// The text without leading and trailing spaces and tabs (header values, list items).
    package var trimmedSpaces: String {
        var slice = self[...]
        while slice.first == " " || slice.first == "\t" { slice = slice.dropFirst() }
        while slice.last == " " || slice.last == "\t" { slice = slice.dropLast() }
        return String(slice)
    }
}
