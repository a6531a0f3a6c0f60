import Foundation

/// Progress of long work on standard error: a bar with the count, percentage, elapsed time and
/// ETA redrawn in place on a terminal, and one plain line every `plainInterval` seconds (and at
/// the end) when standard error is a file or a pipe.
public final class ProgressBar {
    private let label: String
    private let total: Int
    private let isTerminal: Bool
    private let plainInterval: Double
    private let start = Date()
    private var lastPlainLine = Date.distantPast
    private var lastDraw = Date.distantPast

    /// A bar for `total` units of work, `label` in front.
    public init(label: String, total: Int, plainInterval: Double = 5) {
        self.label = label
        self.total = max(total, 1)
        self.plainInterval = plainInterval
        isTerminal = isatty(STDERR_FILENO) == 1
    }

    /// Reports `completed` units done, with a short note of what is being done.
    public func update(completed: Int, note: String = "") {
        let now = Date()
        let finished = completed >= total
        let elapsed = now.timeIntervalSince(start)
        // Clamped to 0...1, so the bar's widths are never negative whatever `completed` is.
        let fraction = Double(min(max(completed, 0), total)) / Double(total)
        let remaining = completed > 0 ? elapsed / Double(completed) * (Double(total) - Double(completed)) : .nan
        let timing = "\(ProgressBar.duration(elapsed)) elapsed" + (finished ? "" : ", ETA \(remaining.isFinite ? ProgressBar.duration(remaining) : "?")")
        if isTerminal {
            guard finished || now.timeIntervalSince(lastDraw) >= 0.1 else { return }
            lastDraw = now
            let width = 28
            let filled = Int(fraction * Double(width))
            let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
            let line = "\(label) \(bar) \(completed)/\(total) \(Int(fraction * 100))%  \(timing)  \(note)"
            FileHandle.standardError.write(Data(("\r\u{1B}[K" + line + (finished ? "\n" : "")).utf8))
        } else if finished || now.timeIntervalSince(lastPlainLine) >= plainInterval {
            lastPlainLine = now
            FileHandle.standardError.write(Data("\(label): \(completed)/\(total) (\(Int(fraction * 100))%), \(timing)\(note.isEmpty ? "" : "; \(note)")\n".utf8))
        }
    }

    /// `75 s`, `3 min 5 s`, or `1 h 2 min`.
    static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds < 1e12 else { return seconds.isNaN ? "? s" : "a very long time" }
        let whole = Int(seconds.rounded())
        if whole < 60 { return "\(whole) s" }
        if whole < 3600 { return "\(whole / 60) min \(whole % 60) s" }
        return "\(whole / 3600) h \((whole % 3600) / 60) min"
    }
}
