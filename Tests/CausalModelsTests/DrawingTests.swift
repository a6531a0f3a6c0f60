import CausalModels
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing

/// Collects the text of every `<text>` element while checking the document parses.
private final class SVGTextCollector: NSObject, XMLParserDelegate {
    private(set) var texts: [String] = []
    private(set) var rootElement: String?
    private var current: String?

    func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
        if rootElement == nil { rootElement = elementName }
        if elementName == "text" { current = "" }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        current? += string
    }

    func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName: String?) {
        if elementName == "text", let text = current {
            texts.append(text)
            current = nil
        }
    }
}

@Suite("Drawing a causal model")
struct DrawingTests {
    static func models() throws -> [CausalModel] {
        let awkward = try CausalModel(name: "awkward <names> & \"quotes\"", variables: [
            Variable("a<b", domain: .booleans),
            Variable("x & y", domain: .symbols(["p", "q"])),
            Variable("say \"hi\"", domain: .booleans, parents: ["a<b", "x & y"]) { try $0.value("a<b") },
        ])
        return [try CausalTask.booleanAnd().model, try CausalTask.sumOfThree().model, try CausalTask.hierarchicalEquality().model, awkward]
    }

    @Test(arguments: try models())
    func theSVGIsWellFormedAndNamesEveryVariable(model: CausalModel) throws {
        let collector = SVGTextCollector()
        let parser = XMLParser(data: Data(model.svg().utf8))
        parser.delegate = collector
        #expect(parser.parse(), "\(parser.parserError.map { "\($0)" } ?? "")")
        #expect(collector.rootElement == "svg")
        for variable in model.variables {
            #expect(collector.texts.contains(variable.name), "no text names \(variable.name)")
        }
        #expect(collector.texts.contains(model.name))
        #expect(collector.texts.contains("input"))
        #expect(collector.texts.contains("output"))
    }

    @Test func theSVGMarksInputsAndOutputsAndDrawsOneArrowPerParent() throws {
        let svg = try CausalTask.sumOfThree().model.svg()
        func occurrences(_ fragment: String) -> Int { svg.components(separatedBy: fragment).count - 1 }
        #expect(occurrences(#"<g class="variable input">"#) == 3)
        #expect(occurrences(#"<g class="variable intermediate">"#) == 1)
        #expect(occurrences(#"<g class="variable output">"#) == 1)
        #expect(occurrences(#"marker-end="url(#arrow)""#) == 4)
    }

    @Test func theDOTListsEveryVariableEdgeAndRank() throws {
        let dot = try CausalTask.sumOfThree().model.dot()
        #expect(dot.hasPrefix(#"digraph "sum-of-three" {"#))
        #expect(dot.hasSuffix("}\n"))
        for edge in [#""X" -> "S1";"#, #""Y" -> "S1";"#, #""S1" -> "O";"#, #""Z" -> "O";"#] {
            #expect(dot.contains(edge))
        }
        #expect(dot.contains(##""O" [label="O\n0...27", fillcolor="#fde68a", color="#b45309", peripheries=2];"##))
        #expect(dot.contains(#"{ rank=same; "X"; "Y"; "Z"; }"#))
        #expect(dot.components(separatedBy: "->").count - 1 == 4)
    }

    @Test func theDOTEscapesQuotes() throws {
        let dot = try Self.models()[3].dot()
        #expect(dot.contains(#""say \"hi\"""#))
        #expect(dot.contains(#""a<b" -> "say \"hi\"";"#))
    }
}
