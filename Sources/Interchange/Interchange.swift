// The umbrella module: `import Interchange` brings in every module a researcher uses, so a script or
// another package needs one import and one product. Each module is also its own library product.
@_exported import Alignment
@_exported import CausalModels
@_exported import Experiments
@_exported import Interventions
@_exported import Networks
@_exported import Randomness
@_exported import ReFT
@_exported import Reports
@_exported import Tensors
@_exported import Tokenizers
@_exported import TokenTasks
@_exported import Transformers
