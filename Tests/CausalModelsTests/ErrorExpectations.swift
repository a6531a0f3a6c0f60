import Testing

/// Expects `body` to throw an `E` whose message (its `description`) contains every fragment.
func expectError<E: Error & CustomStringConvertible>(
    _ type: E.Type,
    mentioning fragments: [String],
    sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () throws -> some Any
) {
    let error = #expect(throws: type, sourceLocation: sourceLocation) { _ = try body() }
    guard let error else { return }
    for fragment in fragments {
        #expect(error.description.contains(fragment), "\"\(error.description)\" should mention \"\(fragment)\"", sourceLocation: sourceLocation)
    }
}
