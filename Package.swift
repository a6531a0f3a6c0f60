// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "Interchange",
    products: [
        // Everything a researcher uses, in one import: `import Interchange`.
        .library(name: "Interchange", targets: ["Interchange"]),
        // Each module on its own, for packages that want only part of it.
        .library(name: "Randomness", targets: ["Randomness"]),
        .library(name: "Tensors", targets: ["Tensors"]),
        .library(name: "Interventions", targets: ["Interventions"]),
        .library(name: "JSONParsing", targets: ["JSONParsing"]),
        .library(name: "Networks", targets: ["Networks"]),
        .library(name: "Tokenizers", targets: ["Tokenizers"]),
        .library(name: "Transformers", targets: ["Transformers"]),
        .library(name: "ReFT", targets: ["ReFT"]),
        .library(name: "CausalModels", targets: ["CausalModels"]),
        .library(name: "Alignment", targets: ["Alignment"]),
        .library(name: "Reports", targets: ["Reports"]),
        .library(name: "Experiments", targets: ["Experiments"]),
        .library(name: "TokenTasks", targets: ["TokenTasks"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CLinearAlgebra",
            path: "Sources/CLinearAlgebra",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev", "liblapacke-dev"])]
        ),
        // The processor's float32 FMA peak, for the benchmarks' ceiling lines (C: the AVX2 + FMA loop
        // must be compiled for those instructions whatever the package's flags).
        .target(name: "CMachineProbe", path: "Sources/CMachineProbe"),
        .target(name: "Randomness"),
        .target(name: "Tensors", dependencies: ["CLinearAlgebra", "Randomness"]),
        .target(name: "Interventions", dependencies: ["Tensors"]),
        .target(name: "JSONParsing"),
        .target(name: "Networks", dependencies: ["Tensors", "Interventions", "JSONParsing"]),
        .target(name: "Tokenizers", dependencies: ["JSONParsing"]),
        .target(name: "Transformers", dependencies: ["Tensors", "Interventions", "Networks", "Randomness"]),
        .target(name: "ReFT", dependencies: ["Transformers", "Tokenizers", "Interventions", "Networks", "Tensors", "Randomness"]),
        .target(name: "CausalModels", dependencies: ["Randomness"]),
        .target(name: "Alignment", dependencies: ["Tensors", "Interventions", "Networks", "CausalModels", "Transformers", "TokenTasks"]),
        .target(name: "Reports"),
        .target(name: "TokenTasks", dependencies: ["CausalModels", "Transformers", "Tokenizers", "Networks", "Tensors", "Randomness"]),
        .target(name: "Experiments", dependencies: ["Alignment", "Networks", "Interventions", "CausalModels", "Tensors",
                                               "ReFT", "Transformers", "Tokenizers", "TokenTasks", "Randomness", "Reports"]),
        .target(
            name: "Interchange",
            dependencies: ["Tensors", "Randomness", "CausalModels", "Interventions", "Networks", "Tokenizers", "Transformers", "ReFT",
                           "Alignment", "Experiments", "Reports", "TokenTasks"]
        ),
        .executableTarget(
            name: "causal-models-tour",
            dependencies: ["CausalModels"],
            path: "notebooks-as-scripts/causal-models-tour"
        ),
        .executableTarget(
            name: "boolean-and-rotation",
            dependencies: ["Experiments", "Reports", "Tensors"],
            path: "notebooks-as-scripts/boolean-and-rotation"
        ),
        .executableTarget(
            name: "hierarchical-equality",
            dependencies: ["Experiments", "Reports", "Alignment", "Networks", "Interventions", "CausalModels", "Tensors"],
            path: "notebooks-as-scripts/hierarchical-equality"
        ),
        .executableTarget(
            name: "sum-of-three",
            dependencies: ["Experiments", "Reports", "Alignment", "Tensors"],
            path: "notebooks-as-scripts/sum-of-three"
        ),
        .executableTarget(name: "reft-new-style", dependencies: ["Experiments", "Reports", "ReFT", "Tensors"], path: "notebooks-as-scripts/reft-new-style"),
        .executableTarget(name: "reft-memorisation", dependencies: ["Experiments", "Reports", "ReFT", "Tensors"], path: "notebooks-as-scripts/reft-memorisation"),
        .executableTarget(name: "reft-vs-lora", dependencies: ["Experiments", "Reports", "ReFT", "Tensors"], path: "notebooks-as-scripts/reft-vs-lora"),
        .executableTarget(name: "reft-composition", dependencies: ["Experiments", "Reports", "ReFT", "Tensors"], path: "notebooks-as-scripts/reft-composition"),
        .target(name: "CommandLineSupport", dependencies: [.product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .executableTarget(
            name: "das-search",
            dependencies: ["CommandLineSupport", "Alignment", "Experiments", "Networks", "Interventions", "CausalModels", "Reports", "Tensors",
                           "Transformers", "TokenTasks", "Tokenizers", "Randomness",
                           .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .executableTarget(
            name: "bench",
            dependencies: ["Tensors", "CLinearAlgebra", "CMachineProbe", "Alignment", "Experiments", "Networks", "Interventions", "CausalModels", "Transformers", "Tokenizers", "ReFT", "TokenTasks",
                           .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .executableTarget(
            name: "reft",
            dependencies: ["CommandLineSupport", "Transformers", "Tokenizers", "Networks", "Interventions", "Tensors", "ReFT", "Reports",
                           .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .target(name: "TestSupport", dependencies: ["Tensors"], path: "Tests/TestSupport"),
        .target(name: "FuzzSupport", dependencies: ["Randomness"], path: "Tests/FuzzSupport"),
        .testTarget(name: "RandomnessTests", dependencies: ["Randomness"]),
        .testTarget(name: "JSONParsingTests", dependencies: ["JSONParsing", "FuzzSupport"]),
        .testTarget(name: "InterchangeTests", dependencies: ["Interchange"]),
        .testTarget(name: "ReportsTests", dependencies: ["Reports"]),
        .testTarget(name: "TensorsTests", dependencies: ["Tensors", "CLinearAlgebra", "TestSupport"]),
        .testTarget(name: "InterventionsTests", dependencies: ["Interventions", "Tensors", "TestSupport"]),
        .testTarget(name: "NetworksTests", dependencies: ["Networks", "Interventions", "Tensors", "TestSupport", "FuzzSupport"]),
        .testTarget(name: "CausalModelsTests", dependencies: ["CausalModels", "FuzzSupport"]),
        .testTarget(name: "TokenizersTests", dependencies: ["Tokenizers"]),
        .testTarget(name: "TransformersTests", dependencies: ["Transformers", "Networks", "Interventions", "Tensors", "TestSupport", "FuzzSupport"]),
        .testTarget(name: "ReftCommandTests", dependencies: ["reft", "Networks", "TestSupport"]),
        .testTarget(name: "ReFTTests", dependencies: ["ReFT", "Transformers", "Tokenizers", "Interventions", "Networks", "Tensors", "TestSupport"]),
        .testTarget(name: "DASSearchTests", dependencies: ["das-search", "FuzzSupport", "TestSupport"]),
        .testTarget(name: "ExperimentsTests", dependencies: ["Experiments", "Alignment", "Interventions", "CausalModels", "ReFT", "Transformers"]),
        .testTarget(name: "TokenTasksTests", dependencies: ["TokenTasks", "CausalModels", "Tokenizers", "Transformers", "Randomness"]),
        .testTarget(name: "AlignmentTests", dependencies: ["Alignment", "Networks", "Interventions", "CausalModels", "Tensors", "TestSupport",
                                                   "Transformers", "Randomness"]),
    ]
)
