#if canImport(Glibc)
    import Glibc
#endif

#if LLMCACHE_FUZZ
    /// libFuzzer's entry (built with `-sanitize=fuzzer -D LLMCACHE_FUZZ`, see tools/fuzz.sh); the
    /// target is named by `LLMCACHE_FUZZ_TARGET`.
    @_cdecl("LLVMFuzzerTestOneInput")
    public func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
        FuzzTargets.run(target, UnsafeBufferPointer(start: data, count: size))
        return 0
    }

    /// SwiftPM links an executable's entry as `main`; libFuzzer's driver is called from it
    /// (`LLVMFuzzerRunDriver`, libFuzzer's own entry for programs that keep their `main`).
    @_silgen_name("LLVMFuzzerRunDriver")
    func runDriver(
        _ argc: UnsafeMutablePointer<CInt>,
        _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
        _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt
    ) -> CInt

    @_cdecl("llmcache_fuzz_main")
    func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
        var count = argc
        var arguments = argv
        return runDriver(&count, &arguments) { data, size in fuzzOne(data, size) }
    }

    let target: String = {
        guard let name = getenv("LLMCACHE_FUZZ_TARGET") else { fatalError("set LLMCACHE_FUZZ_TARGET") }
        return String(cString: name)
    }()
#else
    /// Without the fuzzer: `llmcache-fuzz TARGET FILE...` runs each file through a target once —
    /// the seed corpora and every crash the fuzzer found, as regression inputs.
    @main
    struct Replay {
        static func main() {
            let arguments = CommandLine.arguments
            guard arguments.count >= 2, FuzzTargets.names.contains(arguments[1]) else {
                print("usage: llmcache-fuzz TARGET FILE...   (TARGET: \(FuzzTargets.names.joined(separator: ", ")))")
                exit(2)
            }
            for path in arguments.dropFirst(2) {
                guard let file = fopen(path, "rb") else {
                    print("cannot read \(path)")
                    exit(1)
                }
                var bytes: [UInt8] = []
                var buffer = [UInt8](repeating: 0, count: 65_536)
                while true {
                    let count = fread(&buffer, 1, buffer.count, file)
                    if count == 0 { break }
                    bytes += buffer[0..<count]
                }
                fclose(file)
                bytes.withUnsafeBufferPointer { FuzzTargets.run(arguments[1], $0) }
            }
            print("replayed \(arguments.count - 2) inputs through \(arguments[1])")
        }
    }
#endif
