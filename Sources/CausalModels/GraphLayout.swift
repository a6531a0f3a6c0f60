import Foundation

/// Where each variable of a model goes in a drawing: layers by depth (the longest path from an
/// input), top to bottom, each variable centred under its parents where there is room.
struct GraphLayout {
    /// One variable's box.
    struct Box {
        let name: String
        /// The second line of the box: the domain, briefly.
        let caption: String
        let isInput: Bool
        let isOutput: Bool
        let depth: Int
        let width: Double
        var x = 0.0
        var y = 0.0

        func boundaryPoint(toward target: (x: Double, y: Double)) -> (x: Double, y: Double) {
            let dx = target.x - x, dy = target.y - y
            let scale = min(dx == 0 ? .infinity : (width / 2) / abs(dx), dy == 0 ? .infinity : (GraphLayout.boxHeight / 2) / abs(dy))
            return (x + dx * scale, y + dy * scale)
        }
    }

    static let boxHeight = 46.0
    static let margin = 30.0
    static let titleHeight = 40.0
    static let legendHeight = 44.0
    static let legendWidth = 300.0
    private static let layerGap = 70.0
    private static let boxGap = 36.0

    /// The boxes, in the model's declaration order.
    private(set) var boxes: [Box]
    private(set) var width = 0.0
    private(set) var height = 0.0
    /// The arrows, as (parent index, child index) into `boxes`.
    let edges: [(from: Int, to: Int)]

    init(model: CausalModel) {
        let indexByName = Dictionary(uniqueKeysWithValues: model.variables.enumerated().map { ($0.element.name, $0.offset) })
        var depth = [String: Int]()
        for name in model.topologicalOrder {
            depth[name] = model.variables[indexByName[name]!].parents.map { depth[$0]! + 1 }.max() ?? 0
        }
        boxes = model.variables.map { variable in
            let caption = variable.domain.shortDescription
            let textWidth = max(Double(variable.name.count) * 9.5, Double(caption.count) * 6.6)
            return Box(
                name: variable.name,
                caption: caption,
                isInput: variable.isInput,
                isOutput: model.outputs.contains(variable.name),
                depth: depth[variable.name]!,
                width: max(64, textWidth + 26)
            )
        }
        edges = model.variables.enumerated().flatMap { child in
            child.element.parents.map { (from: indexByName[$0]!, to: child.offset) }
        }
        placeBoxes(parents: model.variables.map { $0.parents.map { indexByName[$0]! } })
    }

    /// Places the layers top to bottom. Inputs (depth 0) are packed in declaration order; a deeper
    /// box aims at the mean position of its parents, boxes of a layer keep the order of their aims
    /// and a minimum gap, and the layer is then shifted so that its centre is the centre of its aims.
    private mutating func placeBoxes(parents: [[Int]]) {
        let layerCount = (boxes.map(\.depth).max() ?? -1) + 1
        for layer in 0..<layerCount {
            let members = boxes.indices.filter { boxes[$0].depth == layer }
            let aims = members.map { index in
                parents[index].map { boxes[$0].x }.reduce(0, +) / Double(max(parents[index].count, 1))
            }
            let ordered = zip(members, aims).sorted { ($0.1, $0.0) < ($1.1, $1.0) }
            var previousRight: Double?
            for (index, aim) in ordered {
                let half = boxes[index].width / 2
                let leftmost = previousRight.map { $0 + Self.boxGap + half } ?? (layer == 0 ? half : aim)
                boxes[index].x = layer == 0 ? leftmost : max(aim, leftmost)
                boxes[index].y = Self.titleHeight + Self.margin + Self.boxHeight / 2 + Double(layer) * (Self.boxHeight + Self.layerGap)
                previousRight = boxes[index].x + half
            }
            if layer > 0 {
                let shift = (aims.reduce(0, +) - members.map { boxes[$0].x }.reduce(0, +)) / Double(members.count)
                for index in members { boxes[index].x += shift }
            }
        }
        let left = boxes.map { $0.x - $0.width / 2 }.min() ?? 0
        let right = boxes.map { $0.x + $0.width / 2 }.max() ?? 0
        width = max(right - left, Self.legendWidth) + 2 * Self.margin
        let shift = (width - (right - left)) / 2 - left
        for index in boxes.indices { boxes[index].x += shift }
        let bottom = boxes.map { $0.y + Self.boxHeight / 2 }.max() ?? Self.titleHeight + Self.margin
        height = bottom + Self.margin + Self.legendHeight
    }
}

/// The colours that mark a variable's role, shared by the SVG and DOT drawings.
enum RolePalette {
    static let inputFill = "#dbeafe"
    static let inputStroke = "#1d4ed8"
    static let intermediateFill = "#ffffff"
    static let intermediateStroke = "#374151"
    static let outputFill = "#fde68a"
    static let outputStroke = "#b45309"
    static let edge = "#4b5563"

    static func fill(isInput: Bool, isOutput: Bool) -> String {
        isInput ? inputFill : isOutput ? outputFill : intermediateFill
    }

    static func stroke(isInput: Bool, isOutput: Bool) -> String {
        isInput ? inputStroke : isOutput ? outputStroke : intermediateStroke
    }
}
