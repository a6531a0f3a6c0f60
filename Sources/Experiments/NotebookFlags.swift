/// The `--name value` flags of the notebook scripts in `notebooks-as-scripts/`, which take a few
/// options each and so do without an argument parser.
public struct NotebookFlags {
    private let arguments: [String]

    /// The flags of this process.
    public init(_ arguments: [String] = CommandLine.arguments) {
        self.arguments = arguments
    }

    /// The value after `flag`, if the flag is given with one.
    public func value(of flag: String) -> String? {
        arguments.firstIndex(of: flag).flatMap { arguments.indices.contains($0 + 1) ? arguments[$0 + 1] : nil }
    }

    /// Whether `flag` is present.
    public func contains(_ flag: String) -> Bool { arguments.contains(flag) }
}
