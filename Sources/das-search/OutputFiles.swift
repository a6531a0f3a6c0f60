import CommandLineSupport
import Foundation

/// The files a command writes, handled as one set: every path is checked (its folder created) before any
/// work starts, and the new files replace the old ones only once all of them are written.
///
/// The choice: each file is first written to a temporary beside its destination; if any write fails the
/// temporaries are removed and the previous files are untouched. Then each temporary is renamed over its
/// destination (`rename(2)`, one atomic step per file), the report last, so a report on disk always has
/// its plots beside it from the same run.
enum OutputFiles {
    /// Makes sure each of `files` can be written: its folder exists (created with its parents, the same way
    /// for every path) and can hold a new file, and the path itself is not a folder.
    /// - Throws: `RuntimeError` naming the path, in a sentence.
    static func prepare(_ files: [URL]) throws {
        for file in files {
            let folder = file.deletingLastPathComponent()
            try prepareFolder(folder, for: file.path)
            var isFolder: ObjCBool = false
            if FileManager.default.fileExists(atPath: file.path, isDirectory: &isFolder), isFolder.boolValue {
                throw RuntimeError("cannot write \(file.path): it is a folder")
            }
        }
    }

    /// Creates `folder` (and its parents) unless it exists, and checks a file can be created in it.
    /// - Throws: `RuntimeError` naming `path` (what the folder is for) and the reason.
    static func prepareFolder(_ folder: URL, for path: String) throws {
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw RuntimeError("cannot create the folder \(folder.path) for \(path): \(FileMessages.reason(error))")
        }
        // A probe file, as permissions alone do not tell (root ignores them; a read-only file system does not).
        let probe = folder.appendingPathComponent(".das-search-probe-\(ProcessInfo.processInfo.processIdentifier)")
        guard FileManager.default.createFile(atPath: probe.path, contents: Data()) else {
            throw RuntimeError("cannot write \(path): the folder \(folder.path) does not accept new files")
        }
        try? FileManager.default.removeItem(at: probe)
    }

    /// Writes `files` in order as one set (see the type's note): all to temporaries, then each renamed into place.
    /// `writeFile` does the writing; tests pass one that fails to check that a failure leaves the old set.
    /// - Throws: `RuntimeError` naming the path that failed; no temporary is left behind.
    static func write(_ files: [(url: URL, data: Data)],
                      writeFile: (Data, URL) throws -> Void = { data, url in try data.write(to: url) }) throws {
        var temporaries: [URL] = []
        do {
            for file in files {
                let temporary = file.url.deletingLastPathComponent()
                    .appendingPathComponent(".\(file.url.lastPathComponent).\(ProcessInfo.processInfo.processIdentifier).partial")
                temporaries.append(temporary)
                do {
                    try writeFile(file.data, temporary)
                } catch {
                    throw RuntimeError("cannot write \(file.url.path): \(FileMessages.reason(error)); the previous files are left as they were")
                }
            }
        } catch {
            for temporary in temporaries { try? FileManager.default.removeItem(at: temporary) }
            throw error
        }
        for (file, temporary) in zip(files, temporaries) where rename(temporary.path, file.url.path) != 0 {
            let reason = String(cString: strerror(errno))
            for temporary in temporaries { try? FileManager.default.removeItem(at: temporary) }
            throw RuntimeError("cannot move the new \(file.url.path) into place: \(reason)")
        }
    }
}

/// Readable sentences for file errors, instead of `NSError` dumps.
enum FileMessages {
    /// Why a file operation failed, in a few words: the system's reason when there is one.
    static func reason(_ error: Error) -> String {
        if let error = error as? RuntimeError { return error.description }
        let nsError = error as NSError
        if let underlying = nsError.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(underlying.code)))
        }
        if nsError.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(nsError.code))) }
        if let cocoa = error as? CocoaError {
            switch cocoa.code {
            case .fileNoSuchFile, .fileReadNoSuchFile: return "no such file or folder"
            case .fileReadNoPermission, .fileWriteNoPermission: return "permission denied"
            case .fileWriteOutOfSpace: return "no space left on the device"
            case .fileWriteVolumeReadOnly: return "the file system is read-only"
            case .fileWriteFileExists: return "a file of that name is in the way"
            case .fileReadCorruptFile: return "the file is not in the expected format"
            case .fileReadInapplicableStringEncoding: return "the file is not UTF-8 text"
            default: break
            }
        }
        if let decoding = error as? DecodingError { return describe(decoding) }
        return "\(error)"
    }

    /// A JSON decoding error as `at cells[0].site: expected a string` or similar.
    static func describe(_ error: DecodingError) -> String {
        func path(_ keys: [CodingKey]) -> String {
            let text = keys.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return text.hasPrefix(".") ? String(text.dropFirst()) : (text.isEmpty ? "the top level" : text)
        }
        switch error {
        case let .typeMismatch(type, context): return "at \(path(context.codingPath)): expected \(type)"
        case let .valueNotFound(type, context): return "at \(path(context.codingPath)): a \(type) is missing"
        case let .keyNotFound(key, context): return "at \(path(context.codingPath + [key])): the field is missing"
        case let .dataCorrupted(context):
            return context.codingPath.isEmpty ? "not valid JSON" : "at \(path(context.codingPath)): \(context.debugDescription)"
        @unknown default: return "\(error)"
        }
    }
}
