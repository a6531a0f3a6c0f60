import CausalModels
import Randomness
import Testing

@Suite("Price tagging")
struct PriceTaggingTests {
    @Test(arguments: [
        (3, 7, 5, true, true, true),     // inside
        (3, 7, 3, true, true, true),     // at the lower bound
        (3, 7, 7, true, true, true),     // at the upper bound
        (3, 7, 2, false, true, false),   // below
        (3, 7, 8, true, false, false),   // above
        (1, 30, 30, true, true, true),
        (10, 11, 1, false, true, false),
    ])
    func truthTable(x: Int, y: Int, z: Int, lowerBound: Bool, upperBound: Bool, answer: Bool) throws {
        let model = try CausalTask.priceTagging().model
        let run = try model.run(inputs: ["X": .int(x), "Y": .int(y), "Z": .int(z)])
        #expect(run.restricted(to: ["LB", "UB", "O"]) == ["LB": .bool(lowerBound), "UB": .bool(upperBound), "O": .bool(answer)])
    }

    @Test func everyInputOfASmallRangeAgainstTheFormula() throws {
        let model = try CausalTask.priceTagging(amounts: 1...4).model
        #expect(model.inputs == ["X", "Y", "Z"])
        #expect(model.outputs == ["O"])
        for x in 1...4 { for y in 1...4 { for z in 1...4 {
            let run = try model.run(inputs: ["X": .int(x), "Y": .int(y), "Z": .int(z)])
            #expect(try run.bool("O") == (x <= z && z <= y))
        } } }
    }

    @Test func interventionOnTheLowerBoundCheckOverridesIt() throws {
        let model = try CausalTask.priceTagging().model
        let input: Assignment = ["X": 3, "Y": 7, "Z": 2]
        #expect(try model.run(inputs: input, interventions: ["LB": true])["O"] == .bool(true))
        #expect(try model.run(inputs: input, interventions: ["UB": false])["O"] == .bool(false))
    }

    @Test func samplerDrawsOrderedBracketsAndBalancedAnswers() throws {
        let model = try CausalTask.priceTagging(amounts: 1...30).model
        var generator = SeededGenerator(seed: 7)
        var yes = 0, below = 0, above = 0
        let count = 4000
        for _ in 0..<count {
            let input = try model.sampleInput(using: &generator)
            let (x, y, z) = (try input.int("X"), try input.int("Y"), try input.int("Z"))
            #expect(x < y && (1...30).contains(x) && (1...30).contains(y) && (1...30).contains(z))
            let run = try model.run(inputs: input)
            if try run.bool("O") { yes += 1 }
            if z < x { below += 1 }
            if z > y { above += 1 }
        }
        // Half yes (binomial sd ≈ 32 at n = 4000); both kinds of no occur often.
        #expect(abs(yes - count / 2) < 200)
        #expect(below > count / 10 && above > count / 10)
        #expect(below + above == count - yes)
    }

    @Test func tooFewAmountsAreRefused() {
        let error = #expect(throws: CausalModelError.self) { try CausalTask.priceTagging(amounts: 1...2) }
        #expect(error?.description.contains("1...2") == true)
    }
}
