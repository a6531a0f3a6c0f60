// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "Interchange",
    products: [
        .library(name: "Tensors", targets: ["Tensors"]),
        .library(name: "CausalModels", targets: ["CausalModels"]),
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
        .target(name: "Randomness"),
        .target(name: "Tensors", dependencies: ["CLinearAlgebra", "Randomness"]),
        .target(name: "Interventions", dependencies: ["Tensors"]),
        .target(name: "Networks", dependencies: ["Tensors", "Interventions"]),
        .target(name: "CausalModels", dependencies: ["Randomness"]),
        .executableTarget(
            name: "causal-models-tour",
            dependencies: ["CausalModels"],
            path: "notebooks-as-scripts/causal-models-tour"
        ),
        .executableTarget(
            name: "bench",
            dependencies: ["Tensors", "CLinearAlgebra", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .target(name: "TestSupport", dependencies: ["Tensors"], path: "Tests/TestSupport"),
        .testTarget(name: "RandomnessTests", dependencies: ["Randomness"]),
        .testTarget(name: "TensorsTests", dependencies: ["Tensors", "CLinearAlgebra", "TestSupport"]),
        .testTarget(name: "InterventionsTests", dependencies: ["Interventions", "Tensors", "TestSupport"]),
        .testTarget(name: "NetworksTests", dependencies: ["Networks", "Interventions", "Tensors", "TestSupport"]),
        .testTarget(name: "CausalModelsTests", dependencies: ["CausalModels"]),
    ]
)
