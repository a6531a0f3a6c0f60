import CausalModels
import Foundation

extension TokenTask {
    /// The names `builtIn(named:)` accepts.
    public static let builtInNames = ["hierarchical-equality", "sum-of-three", "price-tagging"]

    /// A built-in task by name.
    /// - Throws: `TokenTaskError.invalidArgument` naming the known tasks for any other name.
    public static func builtIn(named name: String) throws -> TokenTask {
        switch name {
        case "hierarchical-equality": return try hierarchicalEquality()
        case "sum-of-three": return try sumOfThree()
        case "price-tagging": return try priceTagging()
        default: throw TokenTaskError.invalidArgument(name: "the token task", value: name, expected: "one of \(builtInNames.joined(separator: ", "))")
        }
    }

    /// Hierarchical equality with objects as words: `"{W} {X} {Y} {Z} same?"`, answer `yes` when
    /// `(W == X) == (Y == Z)`, else `no`. Its auxiliary tasks (`"… first?"` → `W == X`, `"… second?"` →
    /// `Y == Z`) are mixed into training. Object `oK` is the letter word `objectWord(K)` (`zaa`, `zab`, …),
    /// letters only so that the GPT-2 pre-tokenizer keeps it whole.
    /// - Parameter objects: how many objects, 2...676 (default 40).
    public static func hierarchicalEquality(objects: Int = 40) throws -> TokenTask {
        guard (2...676).contains(objects) else {
            throw TokenTaskError.invalidArgument(name: "the object count", value: "\(objects)", expected: "2...676")
        }
        let causalTask = try CausalTask.hierarchicalEquality(vocabularySize: objects)
        let verbalizer: [Value: String] = [.bool(true): "yes", .bool(false): "no"]
        let word: @Sendable (String, Value) -> String = { _, value in objectWord(Int(value.symbolValue?.dropFirst() ?? "") ?? 0) }
        var task = try TokenTask(name: "hierarchical-equality", causalTask: causalTask, template: "{W} {X} {Y} {Z} same?",
                                 verbalizer: verbalizer, word: word)
        // Training also asks for each pair's equality ("first?" is W == X, "second?" is Y == Z).
        let auxiliary: [(question: String, variable: String)] = [("first", "WX"), ("second", "YZ")]
        task.auxiliaryTasks = try auxiliary.map { question, variable in
            try TokenTask(name: "hierarchical-equality-\(variable)", causalTask: causalTask, template: "{W} {X} {Y} {Z} \(question)?",
                          output: variable, verbalizer: verbalizer, word: word)
        }
        return task
    }

    /// The word of object `index`: `z` and two letters (`zaa` for 0, `zab` for 1, …).
    public static func objectWord(_ index: Int) -> String {
        let letters = Array("abcdefghijklmnopqrstuvwxyz")
        return "z" + String(letters[(index / 26) % 26]) + String(letters[index % 26])
    }

    /// Sum of three digits: `"{X} plus {Y} plus {Z} equals"`, answer the sum as a number (0...27).
    public static func sumOfThree() throws -> TokenTask {
        let task = try CausalTask.sumOfThree()
        let sums = try task.model.variable("O").domain.values()
        return try TokenTask(
            name: "sum-of-three", causalTask: task, template: "{X} plus {Y} plus {Z} equals",
            verbalizer: Dictionary(uniqueKeysWithValues: sums.map { ($0, "\($0.intValue ?? 0)") }),
            word: { _, value in "\(value.intValue ?? 0)" })
    }

    /// Price tagging (Boundless DAS): "Please say yes only if it costs between {X} and {Y} dollars,
    /// otherwise no. It costs {Z} dollars." with whole-dollar amounts as number tokens; answer `yes`/`no`.
    /// The causal model is `CausalTask.priceTagging(amounts:)` (`LB`, `UB`, `O`).
    public static func priceTagging(amounts: ClosedRange<Int> = 1...30) throws -> TokenTask {
        try TokenTask(
            name: "price-tagging", causalTask: try .priceTagging(amounts: amounts),
            template: "Please say yes only if it costs between {X} and {Y} dollars, otherwise no. It costs {Z} dollars.",
            verbalizer: [.bool(true): "yes", .bool(false): "no"],
            word: { _, value in "\(value.intValue ?? 0)" })
    }
}
