import Interventions
import Networks

/// The search of DESIGN §1: layers x subspace sizes, one DAS run with controls per cell.
public struct AlignmentGrid: Sendable, Equatable {
    /// One cell: a site and the subspace size each variable gets there.
    public struct Cell: Codable, Sendable, Equatable, Hashable {
        public var site: String
        public var subspaceSize: Int
        public init(site: String, subspaceSize: Int) {
            self.site = site
            self.subspaceSize = subspaceSize
        }
    }

    /// The cells, site by site, sizes ascending within a site.
    public let cells: [Cell]

    /// Every pair of `sites` and `sizes` for which all `variableCount` subspaces fit the site's width.
    /// - Throws: `InterventionError.unknownSite` for a site the network lacks.
    public init(network: MultilayerPerceptron, sites: [String], sizes: [Int], variableCount: Int) throws {
        var cells: [Cell] = []
        for site in sites {
            let width = try network.width(of: Site(parsing: site))
            for size in sizes.sorted() where size * variableCount <= width {
                cells.append(Cell(site: site, subspaceSize: size))
            }
        }
        self.cells = cells
    }

    /// The `index`-th of `count` disjoint slices of the cells (cells `index`, `index + count`, …), so
    /// that shards of a sweep balance sites and sizes.
    public func shard(_ index: Int, of count: Int) -> [Cell] {
        cells.enumerated().filter { $0.offset % count == index }.map(\.element)
    }
}
