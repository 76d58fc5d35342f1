import ArgumentParser
import LLMCacheCore
import LLMCacheStore
import LLMCacheToolkit

/// Options that name entries of a store (export, purge).
struct EntryFilterOptions: ParsableArguments {
    @Option(help: "Only entries of this namespace.")
    var namespace: String?

    @Option(help: "Only entries whose request names this model.")
    var model: String?

    @Option(help: "Only entries stored at or after this time (YYYY-MM-DD, RFC 3339, or Unix seconds).")
    var since: String?

    func validate() throws { _ = try filter() }

    func filter() throws -> EntryFilter {
        var since: Timestamp?
        if let text = self.since {
            guard let time = Timestamp(iso8601: text) else {
                throw ValidationError("--since must be YYYY-MM-DD, an RFC 3339 time or Unix seconds, got '\(text)'")
            }
            since = time
        }
        return EntryFilter(namespace: namespace, model: model, since: since)
    }
}

/// How keys are computed from requests, as `serve` computes them (replay-check, inspect).
struct KeyOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp("Extra route as serve takes it, PREFIX=URL[,anthropic] (repeatable).", valueName: "route"))
    var route: [String] = []

    @Flag(help: "Keys without tenant scope, as serve --share-across-credentials.")
    var shareAcrossCredentials = false

    func validate() throws { _ = try runTool { try StoreAccess.routes(extra: route) } }
}

/// Runs a toolkit operation: its errors are printed as one line and exit 1.
func runTool<T>(_ body: () throws -> T) throws -> T {
    do { return try body() } catch let error as ToolkitError {
        printError(error.message)
        throw ExitCode(1)
    }
}

func printError(_ message: String) {
    var standardError = StandardError()
    print("llmcache: \(message)", to: &standardError)
}

struct StandardError: TextOutputStream {
    mutating func write(_ string: String) {
        let bytes = Array(string.utf8)
        _ = bytes.withUnsafeBytes { Glibc.write(2, $0.baseAddress, $0.count) }
    }
}

#if canImport(Glibc)
    import Glibc
#endif

struct ExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a store's entries to a portable file (zstd-compressed JSON lines, or reviewable text).",
        discussion: """
            Each entry keeps its request (route, model, answer-changing headers, canonical body, \
            tenant scope — a keyed hash, never a credential) and its response (status, headers, body, \
            stream chunk table), with a CRC-32 per record. `zstdcat FILE` shows the lines. \
            --form recording (the default for a FILE ending in .jsonl) writes the reviewable form \
            instead: plain JSON lines in key order, bodies as readable JSON or server-sent events, \
            no timestamps — for committing and code review; import and replay-check read both. \
            --shared-postgres exports the tier several instances share instead of a store.
            """)

    @OptionGroup var target: StoreTargetOptions

    @Option(help: "The file to write.")
    var out: String

    @Option(help: "compact (zstd, the default) or recording (reviewable text; the default for .jsonl).")
    var form: String?

    @OptionGroup var filter: EntryFilterOptions

    func validate() throws {
        guard target.isGiven else { throw ValidationError("give --store DIR or --shared-postgres URL") }
        if let form, ExportForm(rawValue: form) == nil {
            throw ValidationError("--form must be compact or recording, got \(form)")
        }
    }

    func run() async throws {
        let entryFilter = try filter.filter()
        let chosen = form.flatMap(ExportForm.init(rawValue:)) ?? .forPath(out)
        let summary = try await target.with { store in
            try await StoreExport.run(
                store: store, to: out, filter: entryFilter, now: SystemClock().now(), form: chosen)
        }
        print("exported \(summary.exported) entries to \(out)")
        for (key, reason) in summary.unreadable { printError("skipped unreadable record \(key): \(reason)") }
        if !summary.unreadable.isEmpty { throw ExitCode(1) }
    }
}

struct ImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Read export files (compact or reviewable) into a store.",
        discussion: """
            Entries are re-keyed when --namespace or a tenant option changes them. Tenant scopes are \
            keyed with a store's secret: entries exported from another store and scoped to a \
            credential are found again only after --tenant shared (serve with \
            --share-across-credentials) or --tenant-credential-env VAR (scoped to the credential in \
            VAR, given exactly as clients send it: 'Bearer sk-…' or an x-api-key value). Bad lines \
            are named and skipped; the rest is imported. Stop the server that uses the store first, \
            or it keeps serving what its memory tier holds. --shared-postgres imports into the tier \
            several instances share (its tables are created if missing; running instances serve the \
            entries at once).
            """)

    @OptionGroup(title: "Target (a store directory is created if missing)") var target: StoreTargetOptions

    @Argument(help: "The export files (compact or recording form), read in order.")
    var files: [String]

    @Option(help: "When the key is already stored: keep, newer or replace.")
    var onConflict: String = "keep"

    @Option(help: "Import every entry into this namespace (re-keying it).")
    var namespace: String?

    @Option(help: "keep (as exported) or shared (no tenant scope).")
    var tenant: String = "keep"

    @Option(help: "Scope entries to the credential held by this environment variable.")
    var tenantCredentialEnv: String?

    func validate() throws {
        guard target.isGiven else { throw ValidationError("give --store DIR or --shared-postgres URL") }
        guard !files.isEmpty else { throw ValidationError("give the export files to import") }
        guard StoreImport.Conflict(rawValue: onConflict) != nil else {
            throw ValidationError("--on-conflict must be keep, newer or replace")
        }
        guard ["keep", "shared"].contains(tenant) else { throw ValidationError("--tenant must be keep or shared") }
        if tenantCredentialEnv != nil && tenant != "keep" {
            throw ValidationError("--tenant-credential-env and --tenant shared exclude each other")
        }
        if let namespace {
            guard namespace.utf8.count <= 128,
                namespace.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7f })
            else {
                throw ValidationError("--namespace must be at most 128 printable ASCII characters")
            }
        }
    }

    func run() async throws {
        var tenantOption = StoreImport.Tenant.keep
        if tenant == "shared" { tenantOption = .shared }
        if let name = tenantCredentialEnv {
            guard let value = getenv(name).map({ String(cString: $0) }), !value.isEmpty else {
                throw ValidationError("environment variable \(name) is not set")
            }
            tenantOption = .credential(value)
        }
        let options = StoreImport.Options(
            conflict: StoreImport.Conflict(rawValue: onConflict)!, namespace: namespace, tenant: tenantOption)
        let files = files
        let (summaries, label) = try await target.with(creating: true) { store in
            var summaries: [StoreImport.Summary] = []
            for file in files {
                summaries.append(
                    try await StoreImport.run(file, into: store, options: options, now: SystemClock().now()))
            }
            return (summaries, store.label)
        }
        var failed = false
        for (file, summary) in zip(files, summaries) {
            print(
                "imported \(summary.imported) entries into \(label) (\(summary.replaced) replaced, \(summary.keptExisting) kept, "
                    + "\(summary.expired) expired skipped, \(summary.bad.count) bad lines)"
                    + (files.count > 1 ? " from \(file)" : ""))
            if summary.foreignScoped > 0 {
                printError(
                    "warning: \(summary.foreignScoped) entries are scoped to credentials of another store and cannot be read here; "
                        + "import again with --tenant shared or --tenant-credential-env VAR")
            }
            for (line, reason) in summary.bad { printError("\(file) line \(line): \(reason)") }
            if let fileError = summary.fileError { printError(fileError) }
            failed = failed || !summary.bad.isEmpty || summary.fileError != nil
        }
        if failed { throw ExitCode(1) }
    }
}

struct VerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check every record of a store or of an export file; name the bad ones.",
        discussion: "Exit status 1 when anything is bad. Nothing is changed.")

    @OptionGroup var target: StoreTargetOptions

    @Argument(help: "An export file to check.")
    var file: String?

    func validate() throws {
        guard target.isGiven != (file != nil) else {
            throw ValidationError("give either --store DIR, --shared-postgres URL or an export FILE")
        }
    }

    func run() async throws {
        let report: Verify.Report
        if let file {
            report = try runTool { try Verify.exportFile(file) }
        } else {
            report = try await target.with { store in
                switch store {
                case .disk(let disk): try Verify.store(disk)
                case .shared(let shared): try await Verify.shared(shared)
                }
            }
        }
        for (location, reason) in report.bad { print("BAD \(location): \(reason)") }
        if let fileError = report.fileError { print("BAD \(fileError)") }
        print(
            "checked \(report.checked) records: \(report.bad.count) bad"
                + (report.fileError == nil ? "" : ", file damaged"))
        if !report.isClean { throw ExitCode(1) }
    }
}

struct PurgeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "purge",
        abstract: "Remove entries from a store: by key, by the filters of export, or all.",
        discussion: """
            Stop the server that uses a store directory first, or it keeps serving what its memory tier \
            holds. A purge of the shared tier (--shared-postgres) reaches the running instances too: \
            each drops the same entries from its memory and disk tiers.
            """)

    @OptionGroup var target: StoreTargetOptions

    @Option(help: "Remove this key (repeatable).")
    var key: [String] = []

    @OptionGroup var filter: EntryFilterOptions

    @Flag(help: "Remove every entry.")
    var all = false

    func validate() throws {
        guard target.isGiven else { throw ValidationError("give --store DIR or --shared-postgres URL") }
        let filtered = !(try filter.filter().isEmpty)
        guard all || filtered || !key.isEmpty else {
            throw ValidationError("say what to purge: --key, --namespace, --model, --since, or --all")
        }
        guard !(all && (filtered || !key.isEmpty)) else { throw ValidationError("--all takes no other filter") }
        for text in key where CacheKey(hex: text) == nil {
            throw ValidationError("--key must be 64 hex digits, got '\(text)'")
        }
    }

    func run() async throws {
        let entryFilter = try filter.filter()
        let keys = Set(key.compactMap { CacheKey(hex: $0) })
        let (removed, label) = try await target.with { store in
            if all { return (try await store.removeAll(), store.label) }
            var removed = try await store.remove(keys)
            if let namespace = entryFilter.namespace, entryFilter == EntryFilter(namespace: namespace) {
                removed += try await store.removeAll(namespace: namespace)
            } else if !entryFilter.isEmpty {
                removed += try await store.removeAll(matching: entryFilter.matches)
            }
            return (removed, store.label)
        }
        print("purged \(removed) entries from \(label)")
    }
}
