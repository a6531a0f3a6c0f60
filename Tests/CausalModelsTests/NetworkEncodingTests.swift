import CausalModels
import Testing

@Suite("Encoding for networks")
struct NetworkEncodingTests {
    @Test func booleansAreOneFeatureEach() throws {
        let encoding = try CausalTask.booleanAnd().encoding
        #expect(encoding.featureCount == 2)
        #expect(try encoding.encode(input: ["A": true, "B": false]) == [1, 0])
        #expect(encoding.outputClasses == [["C": false], ["C": true]])
        #expect(try encoding.classIndex(of: ["C": true]) == 1)
        #expect(try encoding.classIndex(of: ["A": true, "B": true, "C": false]) == 0)
    }

    @Test func digitsAreOneHotAndSumsAreTheirOwnClass() throws {
        let encoding = try CausalTask.sumOfThree().encoding
        #expect(encoding.featureCount == 30)
        #expect(encoding.featureRanges == ["X": 0..<10, "Y": 10..<20, "Z": 20..<30])
        let features = try encoding.encode(input: ["X": 1, "Y": 0, "Z": 9])
        #expect(features.indices.filter { features[$0] == 1 } == [1, 10, 29])
        #expect(features.reduce(0, +) == 3)
        #expect(encoding.classCount == 28)
        for sum in 0...27 {
            #expect(try encoding.classIndex(of: ["O": .int(sum)]) == sum)
        }
    }

    @Test func integersCanBeScalars() throws {
        let sum = try CausalTask.sumOfThree().model
        let encoding = try NetworkEncoding(model: sum, featureEncodings: ["X": .scalar, "Y": .scalar, "Z": .scalar])
        #expect(try encoding.encode(input: ["X": 4, "Y": 0, "Z": 7]) == [4, 0, 7])
    }

    @Test func objectsAreTheirSeededEmbeddings() throws {
        let task = try CausalTask.hierarchicalEquality()
        let encoding = task.encoding
        #expect(encoding.featureCount == 16)
        let features = try encoding.encode(input: ["W": "o3", "X": "o3", "Y": "o4", "Z": "o5"])
        #expect(features[0..<4] == features[4..<8])
        #expect(features[8..<12] != features[12..<16])
        #expect(features.allSatisfy { $0 >= -1 && $0 < 1 })
        let again = try CausalTask.hierarchicalEquality().encoding
        #expect(try again.encode(input: ["W": "o3", "X": "o3", "Y": "o4", "Z": "o5"]) == features)
        let reseeded = try CausalTask.hierarchicalEquality(embeddingSeed: 1).encoding
        #expect(try reseeded.encode(input: ["W": "o3", "X": "o3", "Y": "o4", "Z": "o5"]) != features)
        let wide = try CausalTask.hierarchicalEquality(vocabularySize: 10, embeddingDimension: 8).encoding
        #expect(wide.featureCount == 32)
        #expect(try encoding.classIndex(of: ["O": true]) == 1)
    }

    @Test func vectorsAreEncodedComponentByComponent() throws {
        let model = try CausalModel(name: "parity", variables: [
            Variable("V", domain: .vectors(length: 3, of: .booleans)),
            Variable("P", domain: .booleans, parents: ["V"]) { parents in
                .bool(try parents.vector("V").count { $0 == true } % 2 == 1)
            },
        ])
        let encoding = try NetworkEncoding(model: model)
        #expect(try encoding.encode(input: ["V": [true, false, true]]) == [1, 0, 1])
        let oneHot = try NetworkEncoding(model: model, featureEncodings: ["V": .oneHot])
        #expect(try oneHot.encode(input: ["V": [true, false, true]]) == [0, 1, 1, 0, 0, 1])
        #expect(try model.run(inputs: ["V": [true, true, true]])["P"] == true)
    }

    @Test func encodingsThatDoNotFitAreNamed() throws {
        let sum = try CausalTask.sumOfThree().model
        expectError(CausalModelError.self, mentioning: ["'X'", "binary", "integers 0...9"]) {
            try NetworkEncoding(model: sum, featureEncodings: ["X": .binary])
        }
        expectError(CausalModelError.self, mentioning: ["'S1'", "not an input"]) {
            try NetworkEncoding(model: sum, featureEncodings: ["S1": .oneHot])
        }
        let equality = try CausalTask.hierarchicalEquality(vocabularySize: 3).model
        expectError(CausalModelError.self, mentioning: ["'W'", "no vector for symbol 'o2'"]) {
            try NetworkEncoding(model: equality, featureEncodings: ["W": .embedding(["o0": [1], "o1": [2]])])
        }
        expectError(CausalModelError.self, mentioning: ["'W'", "same", "[1, 2]"]) {
            try NetworkEncoding(model: equality, featureEncodings: ["W": .embedding(["o0": [1], "o1": [2], "o2": [3, 4]])])
        }
        expectError(CausalModelError.self, mentioning: ["'W'", "scalar", "symbols"]) {
            try NetworkEncoding(model: equality, featureEncodings: ["W": .scalar])
        }
        expectError(CausalModelError.self, mentioning: ["embedding dimension", "0"]) {
            try FeatureEncoding.randomEmbedding(of: ["a"], dimension: 0, seed: 1)
        }
    }

    @Test func badInputsAndOutputsAreNamed() throws {
        let encoding = try CausalTask.sumOfThree().encoding
        expectError(CausalModelError.self, mentioning: ["'Z'"]) { try encoding.encode(input: ["X": 1, "Y": 2]) }
        expectError(CausalModelError.self, mentioning: ["value 12", "'Y'"]) { try encoding.encode(input: ["X": 1, "Y": 12, "Z": 0]) }
        expectError(CausalModelError.self, mentioning: ["value 28", "'O'"]) { try encoding.classIndex(of: ["O": 28]) }
        expectError(CausalModelError.self, mentioning: ["'O'"]) { try encoding.classIndex(of: ["S1": 3]) }
    }
}
