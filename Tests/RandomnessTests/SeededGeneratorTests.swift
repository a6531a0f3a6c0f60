import Testing
import Randomness

@Suite struct SeededGeneratorTests {
    @Test func sameSeedSameSequence() {
        var a = SeededGenerator(seed: 5), b = SeededGenerator(seed: 5), c = SeededGenerator(seed: 6)
        let first = (0..<10).map { _ in a.next() }
        #expect(first == (0..<10).map { _ in b.next() })
        #expect(first != (0..<10).map { _ in c.next() })
    }

    @Test func knownFirstOutputsPinTheAlgorithm() {
        // xoshiro256** seeded by SplitMix64 from 0: pinned so that a change of algorithm cannot pass unnoticed.
        var generator = SeededGenerator(seed: 0)
        let outputs = (0..<3).map { _ in generator.next() }
        #expect(outputs == SeededGeneratorTests.pinnedOutputsForSeedZero)
    }

    static let pinnedOutputsForSeedZero: [UInt64] = [11091344671253066420, 13793997310169335082, 1900383378846508768]

    @Test func boundedIntegersAreInRangeAndCoverIt() {
        var generator = SeededGenerator(seed: 9)
        let draws = (0..<10_000).map { _ in generator.nextInt(below: 7) }
        #expect(draws.allSatisfy { (0..<7).contains($0) })
        #expect(Set(draws).count == 7)
        let counts = (0..<7).map { value in draws.filter { $0 == value }.count }
        #expect(counts.allSatisfy { abs($0 - 10_000 / 7) < 150 })
    }

    @Test func permutationKeepsEveryElement() {
        var generator = SeededGenerator(seed: 3)
        let shuffled = generator.permutation(of: 0..<50)
        #expect(shuffled.sorted() == Array(0..<50))
        #expect(shuffled != Array(0..<50))
    }
}
