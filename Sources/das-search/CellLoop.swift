import Reports

/// Runs the grid's cells in order under one progress bar counting every DAS run of every cell, and
/// times each cell (the MLP and the transformer searches share it).
/// - Parameters:
///   - key: the cell's name in the report's `timings.cellSeconds`.
///   - run: runs one cell, reporting (runs finished in it, a note) as it goes.
/// - Returns: the cells' reports in order and their seconds by key.
func runCells<Cell>(
    _ cells: [Cell], runsPerCell: Int, quiet: Bool, key: (Cell) -> String,
    _ run: (Cell, _ progress: (Int, String) -> Void) throws -> SearchReport.Cell
) throws -> (reports: [SearchReport.Cell], seconds: [String: Double]) {
    let clock = ContinuousClock()
    let progress = quiet ? nil : ProgressBar(label: "das-search", total: cells.count * runsPerCell)
    var reports: [SearchReport.Cell] = []
    var seconds: [String: Double] = [:]
    for cell in cells {
        let start = clock.now
        reports.append(try run(cell) { completedRuns, note in
            progress?.update(completed: reports.count * runsPerCell + completedRuns, note: note)
        })
        seconds[key(cell)] = (clock.now - start).seconds
    }
    progress?.update(completed: cells.count * runsPerCell)
    return (reports, seconds)
}
