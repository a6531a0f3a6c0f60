import Alignment
import CausalModels
import Experiments
import Foundation
import Interventions
import Networks
import Tensors

LinearAlgebraBackend.selectKernelsForThisProcessor()
let task = try CausalTask.hierarchicalEquality()
let a = CommandLine.arguments
let network = try HierarchicalEquality.mixedNetwork(task: task, mixingSeed: 1)
let data = try HierarchicalEquality.data(task: task, trainingCount: Int(a[1])!, testCount: 500, seed: 3)
for seed in 0..<UInt64(3) {
    let search = try DistributedAlignmentSearch(network: network, configuration: HierarchicalEquality.configuration(
        site: "layer.1", epochs: Int(a[2])!, batchSize: Int(a[4])!, learningRate: Float(a[3])!, seed: seed))
    let start = ContinuousClock.now
    try search.train(on: data.training)
    print(seed, try data.tests.map { try search.interchangeInterventionAccuracy(on: $0) }, ContinuousClock.now - start)
}
