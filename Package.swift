// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "Interchange",
    products: [
        .library(name: "Tensors", targets: ["Tensors"]),
        // CAUSAL-PENDING .library(name: "CausalModels", targets: ["CausalModels"]),
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
        // CAUSAL-PENDING .target(name: "CausalModels", dependencies: ["Randomness"]),
        .executableTarget(
            name: "bench",
            dependencies: ["Tensors", "CLinearAlgebra", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .testTarget(name: "RandomnessTests", dependencies: ["Randomness"]),
        .testTarget(name: "TensorsTests", dependencies: ["Tensors", "CLinearAlgebra"]),
        // CAUSAL-PENDING .testTarget(name: "CausalModelsTests", dependencies: ["CausalModels"]),
    ]
)
