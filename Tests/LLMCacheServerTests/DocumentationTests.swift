import LLMCacheTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The repository stands alone and its documentation holds together: every link in the README
/// and docs/ resolves inside the repository (files and headings), nothing points outside it, and
/// the README stays short enough to read in five minutes.
@Suite struct DocumentationTests {
    static let root = ExampleConfigurationTests.root

    static var documents: [String] {
        ["README.md"] + entries(of: "docs").filter { $0.hasSuffix(".md") }.sorted().map { "docs/" + $0 }
    }

    @Test func everyLinkResolvesInsideTheRepository() throws {
        #expect(Self.documents.count >= 9, "README.md and the pages of docs/: \(Self.documents)")
        var checked = 0
        for document in Self.documents {
            let text = try #require(readTextFile(Self.root + "/" + document))
            let directory = document.contains("/") ? String(document[..<document.lastIndex(of: "/")!]) : ""
            for link in MarkdownLinks.targets(in: text) where !link.contains("://") && !link.hasPrefix("mailto:") {
                checked += 1
                let (path, anchor) = MarkdownLinks.split(link)
                let resolved = path.isEmpty ? document : MarkdownLinks.normalize(directory, path)
                guard let resolved else {
                    Issue.record("\(document): \(link) points outside the repository")
                    continue
                }
                guard access(Self.root + "/" + resolved, F_OK) == 0 else {
                    Issue.record("\(document): \(link) — \(resolved) does not exist")
                    continue
                }
                if let anchor, resolved.hasSuffix(".md") {
                    let target = try #require(readTextFile(Self.root + "/" + resolved))
                    #expect(
                        MarkdownLinks.headingSlugs(in: target).contains(anchor),
                        "\(document): \(link) — no heading #\(anchor) in \(resolved)")
                }
            }
        }
        #expect(checked >= 20, "the README and docs link to each other (\(checked) links checked)")
    }

    @Test func theReadmeReadsInFiveMinutes() throws {
        let readme = try #require(readTextFile(Self.root + "/README.md"))
        let lines = readme.split(separator: "\n", omittingEmptySubsequences: false).count
        #expect(lines <= 250, "README.md has \(lines) lines")
        #expect(readme.contains("## Quick start"))
        for page in Self.documents where page != "README.md" {
            #expect(readme.contains("(\(page))"), "README.md does not link \(page)")
        }
    }

    @Test func nothingPointsOutsideTheRepository() throws {
        let outside = ".." + "/shared"
        var files = ["README.md", "Package.swift", ".ci/run", "llmcache.example.yaml"]
        for folder in ["Sources", "Tests", "tools", "docs", "Examples", "Benchmarks"] {
            files += Self.files(under: folder)
        }
        #expect(files.count > 100)
        for file in files {
            let text = try #require(readTextFile(Self.root + "/" + file))
            #expect(!text.contains(outside), "\(file) refers to \(outside)")
        }
    }

    /// Names in a folder of the repository (no `.` and `..`).
    static func entries(of folder: String) -> [String] {
        guard let directory = opendir(root + "/" + folder) else { return [] }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) {
                String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// Every regular file under a folder, skipping build folders and hidden ones.
    static func files(under folder: String) -> [String] {
        var found: [String] = []
        for name in entries(of: folder) where !name.hasPrefix(".") {
            let path = folder + "/" + name
            var status = stat()
            guard stat(root + "/" + path, &status) == 0 else { continue }
            if (status.st_mode & S_IFMT) == S_IFDIR {
                found += files(under: path)
            } else if (status.st_mode & S_IFMT) == S_IFREG {
                found.append(path)
            }
        }
        return found
    }
}

/// Just enough Markdown for link checking: inline links outside code, and GitHub's heading ids.
enum MarkdownLinks {
    /// Targets of `[text](target)` links, outside fenced code blocks and code spans.
    static func targets(in text: String) -> [String] {
        var targets: [String] = []
        var fenced = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("```") {
                fenced.toggle()
                continue
            }
            if fenced { continue }
            // Drop code spans: split on backticks and keep the even pieces.
            let prose = line.split(separator: "`", omittingEmptySubsequences: false).enumerated()
                .filter { $0.offset % 2 == 0 }.map(\.element).joined(separator: " ")
            var rest = Substring(prose)
            while let open = rest.range(of: "](") {
                let after = rest[open.upperBound...]
                guard let close = after.firstIndex(of: ")") else { break }
                let target = after[..<close].split(separator: " ").first.map(String.init) ?? ""
                targets.append(target)
                rest = after[after.index(after: close)...]
            }
        }
        return targets
    }

    /// `path#anchor` → (path, anchor).
    static func split(_ link: String) -> (path: String, anchor: String?) {
        guard let hash = link.firstIndex(of: "#") else { return (link, nil) }
        return (String(link[..<hash]), String(link[link.index(after: hash)...]))
    }

    /// `path` relative to `directory`, as a path from the repository's root; nil when it leaves
    /// the repository.
    static func normalize(_ directory: String, _ path: String) -> String? {
        var parts = directory.split(separator: "/").map(String.init)
        for part in path.split(separator: "/") {
            switch part {
            case ".": continue
            case "..":
                guard !parts.isEmpty else { return nil }
                parts.removeLast()
            default: parts.append(String(part))
            }
        }
        return parts.joined(separator: "/")
    }

    /// The ids GitHub gives a page's headings: lower case, punctuation dropped, spaces to `-`
    /// (a repeated heading gets `-1`, `-2`, …).
    static func headingSlugs(in text: String) -> Set<String> {
        var slugs: Set<String> = []
        var fenced = false
        for line in text.split(separator: "\n") {
            if line.hasPrefix("```") { fenced.toggle() }
            guard !fenced, line.hasPrefix("#") else { continue }
            let title = line.drop { $0 == "#" }.drop { $0 == " " }
            var slug = ""
            for character in title.lowercased() {
                if character.isLetter || character.isNumber || character == "-" || character == "_" {
                    slug.append(character)
                } else if character == " " {
                    slug.append("-")
                }
            }
            var unique = slug
            var counter = 1
            while slugs.contains(unique) {
                unique = "\(slug)-\(counter)"
                counter += 1
            }
            slugs.insert(unique)
        }
        return slugs
    }
}
