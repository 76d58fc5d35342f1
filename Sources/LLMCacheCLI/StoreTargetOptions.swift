import ArgumentParser
import LLMCacheConfig
import LLMCacheCore
import LLMCacheShared
import LLMCacheStore
import LLMCacheToolkit
import Logging

/// Which store a tool works on: a store directory (`--store DIR`) or the tier several instances
/// share (`--shared-postgres URL`, with the same table prefix as the servers).
struct StoreTargetOptions: ParsableArguments {
    @Option(help: "The store directory.")
    var store: String?

    @Option(
        help: ArgumentHelp(
            "The shared tier's database instead of a store, as serve --shared-postgres takes it; ${VAR} is substituted "
                + "from the environment (quote it: a password stays out of the process list).",
            valueName: "url"))
    var sharedPostgres: String?

    @Option(help: "The shared tier's table prefix (shared.postgres.table_prefix).")
    var tablePrefix = "llmcache_"

    var isGiven: Bool { store != nil || sharedPostgres != nil }

    func validate() throws {
        guard store == nil || sharedPostgres == nil else {
            throw ValidationError("give either --store DIR or --shared-postgres URL, not both")
        }
        guard SharedTierConfiguration.isValidPrefix(tablePrefix) else {
            throw ValidationError(
                "--table-prefix must be letters a-z, digits and _, at most 32, not starting with a digit")
        }
        if let sharedPostgres {
            _ = try url(sharedPostgres)
        }
    }

    private func url(_ text: String) throws -> String {
        do {
            let url = try EnvironmentSubstitution.substitute(text, environment: ConfigLoader.processEnvironment())
            _ = try DatabaseURL(url)
            return url
        } catch {
            throw ValidationError("--shared-postgres: \(error)")
        }
    }

    /// Opens the store and runs `body` with it; the shared tier's connections are closed after.
    /// `creating`: a missing store or shared schema is created (import); otherwise it is an
    /// error. Errors are printed as one line and exit 1.
    func with<T>(creating: Bool = false, _ body: (EntryStore) async throws -> T) async throws -> T {
        if let store {
            let disk = try runTool { creating ? try StoreAccess.openOrCreate(store) : try StoreAccess.open(store) }
            return try await runToolAsync { try await body(.disk(disk)) }
        }
        var logger = Logger(label: "llmcache.tool")
        logger.logLevel = .critical
        let configuration = SharedTierConfiguration(
            url: try url(sharedPostgres!), poolSize: 2, tablePrefix: tablePrefix, lookupTimeout: .seconds(60),
            connectTimeout: .seconds(10))
        let shared: SharedTier
        do {
            shared = try await SharedTier.connect(configuration, creating: creating, logger: logger)
        } catch {
            printError("cannot open the shared tier: \(SharedTierError.describe(error))")
            throw ExitCode(1)
        }
        do {
            let result = try await runToolAsync { try await body(.shared(shared)) }
            await shared.close()
            return result
        } catch {
            await shared.close()
            throw error
        }
    }
}

/// ``runTool(_:)`` for async work: a toolkit error (or the database's) is one line and exit 1.
func runToolAsync<T>(_ body: () async throws -> T) async throws -> T {
    do { return try await body() } catch let error as ToolkitError {
        printError(error.message)
        throw ExitCode(1)
    } catch let error as ExitCode {
        throw error
    } catch let error as ValidationError {
        throw error
    } catch {
        printError(SharedTierError.describe(error))
        throw ExitCode(1)
    }
}
