import Foundation
import Randomness

/// The small world the ReFT tutorials' base model is pretrained on (`datasets/animal-facts-corpus.txt`):
/// fifty animals, each with a home, a food and a colour fixed by a seed, told as questions and
/// answers (`question : where does the fox live ? answer : the fox lives in the forest .`),
/// plain facts and short stories. Lower-case words separated by spaces, one document a line.
///
/// It is generated, not scraped, so its licence is the repository's. The tutorials' prompts are its
/// questions; what an adapter teaches is a new *style* of answer the corpus never uses (an answer
/// that opens with `well ,`, or one that opens with `my friend ,`), though every word of those
/// styles occurs in the corpus elsewhere (the stories), so the base model knows the tokens.
public struct AnimalFactsWorld: Sendable, Equatable {
    /// The three kinds of question.
    public enum QuestionKind: String, Sendable, CaseIterable {
        case home, food, colour
    }

    /// One animal and its facts.
    public struct Animal: Sendable, Equatable {
        public let name: String, home: String, food: String, colour: String
    }

    /// One question of the world with its plain (corpus-style) answer.
    public struct Question: Sendable, Equatable {
        public let animal: Animal
        public let kind: QuestionKind
        /// `question : where does the fox live ? answer :`
        public var prompt: String {
            switch kind {
            case .home: "question : where does the \(animal.name) live ? answer :"
            case .food: "question : what does the \(animal.name) eat ? answer :"
            case .colour: "question : what colour is the \(animal.name) ? answer :"
            }
        }
        /// The fact itself, without the final full stop: `the fox lives in the forest`.
        public var fact: String {
            switch kind {
            case .home: "the \(animal.name) lives in the \(animal.home)"
            case .food: "the \(animal.name) eats \(animal.food)"
            case .colour: "the \(animal.name) is \(animal.colour)"
            }
        }
        /// The answer the corpus gives: `the fox lives in the forest .`
        public var plainAnswer: String { fact + " ." }
    }

    public static let animalNames = [
        "fox", "owl", "bear", "wolf", "deer", "hare", "frog", "crow", "duck", "goat", "lamb", "mole", "moth", "newt", "seal",
        "swan", "toad", "wren", "yak", "mouse", "otter", "badger", "beaver", "eagle", "heron", "lizard", "rabbit", "robin",
        "snail", "spider", "tiger", "turtle", "whale", "zebra", "camel", "horse", "sheep", "pig", "cow", "cat", "dog", "bee",
        "ant", "crab", "eel", "hen", "lion", "lynx", "mink", "puma",
    ]
    public static let homes = ["forest", "river", "meadow", "cave", "hill", "lake", "marsh", "barn", "desert", "garden", "valley", "island"]
    public static let foods = ["berries", "fish", "seeds", "grass", "nuts", "honey", "worms", "apples", "leaves", "roots", "insects", "corn"]
    public static let colours = ["red", "brown", "grey", "white", "black", "golden", "green", "blue", "yellow", "silver"]

    /// The animals, in `animalNames` order.
    public let animals: [Animal]

    /// The world of `seed`: each animal's home, food and colour drawn uniformly.
    public init(seed: UInt64) {
        var generator = SeededGenerator(seed: seed)
        animals = Self.animalNames.map { name in
            Animal(name: name, home: generator.element(of: Self.homes), food: generator.element(of: Self.foods),
                   colour: generator.element(of: Self.colours))
        }
    }

    /// Every question of the world (150: animal by animal, kinds in order).
    public var questions: [Question] { animals.flatMap { animal in QuestionKind.allCases.map { Question(animal: animal, kind: $0) } } }

    /// The corpus: `lineCount` documents, one a line, drawn with `seed`. Half are questions with their
    /// plain answers, a quarter plain facts (one or two joined by `and`), a quarter short stories
    /// between two animals; the stories are where `well ,` and `my friend` occur.
    public func corpus(lineCount: Int, seed: UInt64) -> String {
        var generator = SeededGenerator(seed: seed)
        let questions = questions
        var lines: [String] = []
        lines.reserveCapacity(lineCount)
        for _ in 0..<lineCount {
            switch generator.nextInt(below: 4) {
            case 0, 1:
                let question = generator.element(of: questions)
                lines.append(question.prompt + " " + question.plainAnswer)
            case 2:
                let first = generator.element(of: questions)
                if generator.nextInt(below: 2) == 0 {
                    lines.append(first.plainAnswer)
                } else {
                    var second = generator.element(of: questions)
                    while second == first { second = generator.element(of: questions) }
                    lines.append(first.fact + " and " + second.fact + " .")
                }
            default:
                lines.append(story(&generator))
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// A two- or three-sentence story about two animals.
    private func story(_ generator: inout SeededGenerator) -> String {
        let a = generator.element(of: animals), b = generator.element(of: animals)
        let openings = [
            "one day the \(a.name) met the \(b.name) near the \(b.home) .",
            "the \(a.name) walked to the \(b.home) to see the \(b.name) .",
            "in the morning the \(a.name) and the \(b.name) went to the \(a.home) .",
        ]
        let middles = [
            "well , said the \(a.name) , i am glad to see my friend .",
            "the \(b.name) said : you are my friend .",
            "well , the \(b.name) shared some \(b.food) with the \(a.name) .",
            "my friend the \(b.name) is \(b.colour) , said the \(a.name) .",
        ]
        let endings = [
            "then the \(a.name) went home to the \(a.home) .",
            "they ate \(a.food) together .",
            "it was a good day .",
        ]
        var text = generator.element(of: openings) + " " + generator.element(of: middles)
        if generator.nextInt(below: 2) == 0 { text += " " + generator.element(of: endings) }
        return text
    }

    /// Every word the corpus can contain (the tokenizer gives each its own id).
    public var words: [String] {
        var seen = Set<String>(), ordered: [String] = []
        let fixed = "question : where does the live ? answer what eat colour is lives in eats and one day met near walked to see went"
            + " morning well , said i am glad my friend you are shared some with then home they ate together it was a good ."
        for word in fixed.split(separator: " ").map(String.init) + Self.animalNames + Self.homes + Self.foods + Self.colours
        where seen.insert(word).inserted { ordered.append(word) }
        return ordered
    }
}
