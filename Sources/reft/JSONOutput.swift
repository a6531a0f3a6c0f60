import CommandLineSupport
import Foundation

/// Writes a command's JSON report: pretty-printed, sorted keys, non-finite numbers as strings
/// (`"NaN"`, `"Infinity"`, `"-Infinity"`), the file written atomically (a failed write leaves the old one).
///
/// Every report starts with `schema` (`interchange.reft.<command>`) and `version`, so scripts can
/// check what they read.
func writeJSON<Report: Encodable>(_ report: Report, to path: String) throws {
    let url = URL(fileURLWithPath: path)
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
    let data = try encoder.encode(report)
    do {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try data.write(to: url, options: .atomic)
    } catch {
        throw RuntimeError("cannot write \(url.path): \((error as NSError).localizedFailureReason ?? error.localizedDescription)")
    }
}

/// Checks before any work that a `--json` path can be written: its folder exists or can be made, and
/// the path is not a directory.
func checkWritable(_ path: String?, flag: String = "--json") throws {
    guard let path else { return }
    var isDirectory: ObjCBool = false
    if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
        throw UsageError("\(flag) '\(path)' is a directory; give a file path")
    }
    let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
    do { try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true) } catch {
        throw UsageError("\(flag) '\(path)': cannot create its folder \(folder.path)")
    }
    guard FileManager.default.isWritableFile(atPath: folder.path) else {
        throw UsageError("\(flag) '\(path)': the folder \(folder.path) is not writable")
    }
}

/// A token's text for a table: control characters, spaces at the ends and quotes made visible.
func printable(_ token: String) -> String {
    var result = ""
    for scalar in token.unicodeScalars {
        switch scalar {
        case "\n": result += "\\n"
        case "\t": result += "\\t"
        case "\r": result += "\\r"
        case "\"": result += "\\\""
        case "\\": result += "\\\\"
        default:
            if scalar.properties.generalCategory == .control || scalar.properties.generalCategory == .format {
                result += "\\u{\(String(scalar.value, radix: 16))}"
            } else {
                result.unicodeScalars.append(scalar)
            }
        }
    }
    return "\"\(result)\""
}
