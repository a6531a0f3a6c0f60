import Foundation

/// A dataset that is stored as JSON Lines: a header line describing the dataset, then one
/// example per line.
public protocol JSONLinesRepresentable {
    /// The dataset as JSON Lines; the same dataset always gives the same bytes.
    func jsonLines() throws -> Data
    /// Reads a dataset from JSON Lines.
    ///
    /// - Throws: `DatasetError` naming the first line that cannot be read.
    init(jsonLines: Data) throws
}

extension JSONLinesRepresentable {
    /// Writes the dataset to `url` atomically (a temporary file in the same directory, then a rename).
    public func write(to url: URL) throws {
        try jsonLines().write(to: url, options: .atomic)
    }

    /// Reads a dataset from the JSON Lines file at `url`.
    public init(contentsOf url: URL) throws {
        try self.init(jsonLines: Data(contentsOf: url))
    }
}

/// The first line of a dataset file: what the file holds and how it was made.
///
/// Optional fields are left out of the JSON when absent.
struct DatasetHeader: Codable, Equatable {
    static let formatName = "interchange-dataset"
    static let formatVersion = 1

    var format = formatName
    var version = formatVersion
    /// `factual` or `counterfactual`.
    var kind: String
    var model: String
    var seed: UInt64
    var count: Int
    var intervenedVariables: [String]?
    var options: CounterfactualOptions?
    /// Written for people reading the file; readers recompute it from the examples.
    var changedFraction: Double?
}

/// Reading and writing a header line followed by one JSON object per line.
enum JSONLines {
    /// The header, then each row, each as one line of compact JSON with sorted keys.
    static func encode(header: DatasetHeader, rows: [some Encodable]) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var data = try encoder.encode(header)
        data.append(newline)
        for row in rows {
            data.append(try encoder.encode(row))
            data.append(newline)
        }
        return data
    }

    /// The header and the rows; blank lines are skipped, line numbers count every line from 1.
    ///
    /// - Throws: `DatasetError.missingHeader`, `.malformedLine` naming the line and what is wrong
    ///   with it (including a header of another kind than `kind`), or `.countMismatch`.
    static func decode<Row: Decodable>(_ rowType: Row.Type, kind: String, from data: Data) throws -> (DatasetHeader, [Row]) {
        let decoder = JSONDecoder()
        let lines = data.split(separator: newline, omittingEmptySubsequences: false)
            .enumerated()
            .map { (number: $0.offset + 1, text: $0.element) }
            .filter { line in !line.text.allSatisfy { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") || $0 == UInt8(ascii: "\r") } }
        guard let headerLine = lines.first else { throw DatasetError.missingHeader }
        let header: DatasetHeader
        do {
            header = try decoder.decode(DatasetHeader.self, from: Data(headerLine.text))
        } catch {
            throw DatasetError.malformedLine(number: headerLine.number, reason: "not a dataset header: \(reason(for: error))")
        }
        guard header.format == DatasetHeader.formatName else {
            throw DatasetError.malformedLine(number: headerLine.number, reason: "format is '\(header.format)', expected '\(DatasetHeader.formatName)'")
        }
        guard header.version <= DatasetHeader.formatVersion else {
            throw DatasetError.malformedLine(
                number: headerLine.number,
                reason: "format version \(header.version) is newer than this reader's \(DatasetHeader.formatVersion)"
            )
        }
        guard header.kind == kind else {
            throw DatasetError.malformedLine(number: headerLine.number, reason: "the file holds a \(header.kind) dataset, expected a \(kind) dataset")
        }
        let rows = try lines.dropFirst().map { line in
            do {
                return try decoder.decode(Row.self, from: Data(line.text))
            } catch {
                throw DatasetError.malformedLine(number: line.number, reason: reason(for: error))
            }
        }
        guard rows.count == header.count else {
            throw DatasetError.countMismatch(announced: header.count, found: rows.count)
        }
        return (header, rows)
    }

    private static let newline = UInt8(ascii: "\n")

    /// A short explanation of a decoding failure, naming the key path at fault.
    private static func reason(for error: any Error) -> String {
        guard let error = error as? DecodingError else { return "\(error)" }
        func path(_ codingPath: [any CodingKey]) -> String {
            codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case .keyNotFound(let key, let context):
            return "missing key '\(path(context.codingPath + [key]))'"
        case .typeMismatch(let type, let context):
            return "'\(path(context.codingPath))' is not of type \(type)"
        case .valueNotFound(let type, let context):
            return "'\(path(context.codingPath))' has no value; expected \(type)"
        case .dataCorrupted(let context) where context.codingPath.isEmpty:
            return "not valid JSON"
        case .dataCorrupted(let context):
            return "'\(path(context.codingPath))' is invalid: \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }
}
