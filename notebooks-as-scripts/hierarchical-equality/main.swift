import Alignment
import CausalModels
import Experiments
import Foundation
import Interventions
import Networks
import Tensors

let task = try CausalTask.hierarchicalEquality()
let a = CommandLine.arguments
let clock = ContinuousClock()
var start = clock.now
let recipe = HierarchicalEquality.NetworkRecipe(hiddenDimensions: [16, 16, 16], trainingExamples: Int(a[1])!, epochs: Int(a[2])!, batchSize: 64, learningRate: Float(a[3])!)
for seed in 0..<UInt64(a[4])! {
    let (network, accuracy) = try HierarchicalEquality.trainedNetwork(task: task, recipe: recipe, seed: seed)
    print("seed", seed, "accuracy", accuracy, clock.now - start)
    start = clock.now
    let data = try HierarchicalEquality.data(task: task, trainingCount: Int(a[5])!, testCount: 2000, seed: 3)
    for layer in 0..<3 {
        let (result, _) = try DistributedAlignmentSearch.alignWithControls(
            network: network, configuration: HierarchicalEquality.configuration(site: "layer.\(layer)", epochs: Int(a[6])!, batchSize: 64, learningRate: Float(a[7])!, seed: 0),
            training: data.training, tests: data.tests, randomNetworkSeed: 99)
        print(" layer", layer, result.iia.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }, "neurons", result.controls.identityBasis["WX+YZ"]!, "rand rot", result.controls.randomRotation["WX+YZ"]!, "rand net", result.controls.randomNetwork["WX+YZ"]!, clock.now - start)
        start = clock.now
    }
}
