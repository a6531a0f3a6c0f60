import CausalModels
import Foundation
import Randomness
import Testing

@Suite("Values and domains")
struct ValueAndDomainTests {
    @Test func valuesDescribeThemselvesReadably() {
        #expect(Value.bool(true).description == "true")
        #expect(Value.int(-3).description == "-3")
        #expect(Value.symbol("o12").description == "o12")
        #expect(Value.vector([1, true, "a"]).description == "[1, true, a]")
    }

    @Test func valuesAreWrittenAsPlainJSONAndReadBack() throws {
        let values: [Value] = [true, 3, "o1", [1, [false]]]
        let encoder = JSONEncoder()
        let json = try encoder.encode(values)
        #expect(String(decoding: json, as: UTF8.self) == #"[true,3,"o1",[1,[false]]]"#)
        #expect(try JSONDecoder().decode([Value].self, from: json) == values)
    }

    @Test func aValueThatIsNoneOfTheKindsDoesNotDecode() {
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([Value].self, from: Data("[1.5]".utf8)) }
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([Value].self, from: Data("[null]".utf8)) }
    }

    @Test func domainsListTheirValuesInTheirDocumentedOrder() throws {
        #expect(try Domain.booleans.values() == [false, true])
        #expect(try Domain.integers(2...4).values() == [2, 3, 4])
        #expect(try Domain.symbols(["b", "a", "b"]).values() == ["b", "a"])
        let pairs = try Domain.vectors(length: 2, of: .booleans).values()
        #expect(pairs == [[false, false], [false, true], [true, false], [true, true]])
        for (position, value) in pairs.enumerated() {
            #expect(Domain.vectors(length: 2, of: .booleans).index(of: value) == position)
        }
    }

    @Test func membershipChecksKindRangeAndLength() {
        let digits = Domain.integers(0...9)
        #expect(digits.contains(9))
        #expect(!digits.contains(10))
        #expect(!digits.contains(true))
        let triples = Domain.vectors(length: 3, of: digits)
        #expect(triples.contains([1, 2, 3]))
        #expect(!triples.contains([1, 2]))
        #expect(!triples.contains([1, 2, 30]))
        #expect(!Domain.symbols(["a"]).contains("b"))
    }

    @Test func aHugeDomainSaturatesItsCountAndRefusesToBeListed() {
        let huge = Domain.vectors(length: 40, of: .integers(0...9))
        #expect(huge.count == .max)
        #expect(huge.contains(.vector(Array(repeating: 7, count: 40))))
        expectError(CausalModelError.self, mentioning: ["vectors of length 40", "limit of 1000"]) {
            try huge.values(limit: 1000)
        }
    }

    @Test func emptyDomainsAreEmpty() {
        #expect(Domain.symbols([]).isEmpty)
        #expect(Domain.vectors(length: 0, of: .booleans).isEmpty)
        #expect(!Domain.integers(5...5).isEmpty)
    }

    @Test func randomValuesStayInTheDomainAndFollowTheSeed() {
        let domains: [Domain] = [.booleans, .integers(-3...3), .symbols(["a", "b", "c"]), .vectors(length: 3, of: .booleans), .integers(-5...Int.max)]
        for domain in domains {
            var first = SeededGenerator(seed: 7)
            var second = SeededGenerator(seed: 7)
            for _ in 0..<50 {
                let value = domain.randomValue(using: &first)
                #expect(domain.contains(value))
                #expect(value == domain.randomValue(using: &second))
            }
        }
    }
}
