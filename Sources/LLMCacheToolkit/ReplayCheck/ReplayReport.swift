import LLMCacheCore

extension ReplayCheck.Report {
    /// The report for people: totals, every miss with its explanation, unused entries.
    public func text(verbose: Bool = false) -> String {
        var out = ""
        let percent = String(Double(Int((hitRate * 1000).rounded())) / 10)
        out += "replay-check: \(requests) requests, \(hits) hits, \(requests - hits) misses — hit rate \(percent) %\n"
        for result in results where !result.hit || verbose {
            let key = result.key.map { " key \($0.hex)" } ?? ""
            out += "\(result.hit ? "HIT " : "MISS") line \(result.line): \(result.summary)\(key)\n"
            if let reason = result.reason { out += "     \(reason)\n" }
            if case .array(let differences)? = result.explanation?["nearest"]?["differences"] {
                for difference in differences {
                    let path = difference["path"]?.stringValue ?? "?"
                    let stored = difference["stored"]?.canonicalText ?? "(absent)"
                    let request = difference["request"]?.canonicalText ?? "(absent)"
                    out += "       \(path): stored \(stored), request \(request)\n"
                }
            }
        }
        if !unused.isEmpty {
            out += "unused entries (stored, never requested): \(unused.count)\n"
            for entry in unused.prefix(verbose ? .max : 50) {
                let request = entry.request.map { " \($0.method) \($0.path) model \($0.model)" } ?? ""
                let namespace = entry.namespace.isEmpty ? "" : " namespace \(entry.namespace)"
                out += "  \(entry.key.hex)\(request)\(namespace)\n"
            }
            if !verbose && unused.count > 50 { out += "  … and \(unused.count - 50) more (--verbose lists them all)\n" }
        }
        return out
    }

    /// JUnit XML: one test case per request, a failure per miss (with its explanation).
    public var junitXML: String {
        func escaped(_ text: String) -> String {
            var result = ""
            for scalar in text.unicodeScalars {
                switch scalar {
                case "&": result += "&amp;"
                case "<": result += "&lt;"
                case ">": result += "&gt;"
                case "\"": result += "&quot;"
                case "\n", "\t": result.unicodeScalars.append(scalar)
                case _ where scalar.value < 0x20 || scalar.value == 0xFFFE || scalar.value == 0xFFFF: result += "?"
                default: result.unicodeScalars.append(scalar)
                }
            }
            return result
        }
        var xml = #"<?xml version="1.0" encoding="UTF-8"?>"# + "\n"
        xml +=
            #"<testsuites><testsuite name="llmcache replay-check" tests="\#(requests)" failures="\#(requests - hits)" errors="0">"#
            + "\n"
        for result in results {
            let name = escaped("line \(result.line): \(result.summary)")
            xml += #"  <testcase classname="llmcache.replay-check" name="\#(name)""#
            if result.hit {
                xml += "/>\n"
            } else {
                let detail = result.explanation?.canonicalText ?? ""
                xml += ">\n"
                xml +=
                    #"    <failure message="\#(escaped(result.reason ?? "miss"))" type="cache_miss">\#(escaped(detail))</failure>"#
                    + "\n"
                xml += "  </testcase>\n"
            }
        }
        xml += "</testsuite></testsuites>\n"
        return xml
    }
}

extension ReplayCheck {
    public static func writeJUnit(_ report: Report, to path: String) throws {
        let output = try FileOutput(path: path)
        try output.write(report.junitXML)
        try output.close()
    }
}
