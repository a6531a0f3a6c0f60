import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A regular file mapped read-only into memory: its bytes are paged in by the kernel as they are
/// read and are never copied into the process's heap. Unmapped when the object goes away.
///
/// A zero-length file is not mapped (`mmap` refuses a length of 0); its `bytes` are empty.
public final class MappedFile: @unchecked Sendable {
    /// The file, for error messages.
    public let url: URL
    /// The mapping's start, `nil` for an empty file. Read-only; shared by every reader.
    private let base: UnsafeRawPointer?
    /// The file's length in bytes.
    public let count: Int

    /// Maps `url` read-only.
    /// - Throws: `SafetensorsError.unreadable` naming the file when it cannot be opened, is not a
    ///   regular file, or cannot be mapped.
    public init(url: URL) throws {
        self.url = url
        let path = url.path
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw SafetensorsError.unreadable(file: path, reason: MappedFile.systemError()) }
        // The mapping keeps the file's pages alive on its own; the descriptor is needed only to create it.
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            throw SafetensorsError.unreadable(file: path, reason: MappedFile.systemError())
        }
        guard (status.st_mode & S_IFMT) == S_IFREG else {
            throw SafetensorsError.unreadable(file: path, reason: "not a regular file")
        }
        guard status.st_size >= 0, UInt64(status.st_size) <= UInt64(Int.max) else {
            throw SafetensorsError.unreadable(file: path, reason: "file size \(status.st_size) is out of range")
        }
        count = Int(status.st_size)
        if count == 0 {
            base = nil
            return
        }
        let mapping = mmap(nil, count, PROT_READ, MAP_PRIVATE, descriptor, 0)
        guard let mapping, mapping != MAP_FAILED else {
            throw SafetensorsError.unreadable(file: path, reason: "cannot map \(count) bytes: \(MappedFile.systemError())")
        }
        base = UnsafeRawPointer(mapping)
    }

    deinit {
        if let base { munmap(UnsafeMutableRawPointer(mutating: base), count) }
    }

    /// The file's bytes; valid only while this object is alive (keep a reference across the call).
    public var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }

    /// Runs `body` on the file's bytes, keeping the mapping alive for the duration.
    public func withBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        try withExtendedLifetime(self) { try body(bytes) }
    }

    /// Tells the kernel this process is done with `range` of the file for now: its pages leave the
    /// process's resident set (they stay in the page cache, and a later read maps them back), so
    /// reading a checkpoint tensor by tensor never holds the whole file resident beside the copies.
    /// Safe at any time: the mapping is read-only, so no page holds anything the file does not.
    public func release(_ range: Range<Int>) {
        guard let base, !range.isEmpty else { return }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let start = max(0, range.lowerBound) / page * page
        let end = min(count, range.upperBound)
        guard start < end else { return }
        _ = madvise(UnsafeMutableRawPointer(mutating: base + start), end - start, Int32(MADV_DONTNEED))
    }

    private static func systemError() -> String { String(cString: strerror(errno)) }
}
