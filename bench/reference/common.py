"""Shared pieces of the pyvene reference: load an Interchange network and DAS data, wrap with pyvene.

The Swift side writes the files (formats in README.md); this module reads them into a torch model
that pyvene 0.1.8 can intervene on, and builds the DAS setup of pyvene's DAS_Main_Introduction
tutorial: one RotatedSpaceIntervention (a full d x d orthogonal rotation) shared, through
`intervention_link_key`, by one representation per causal variable, each variable owning a block
of rotated coordinates.

Thread counts must be fixed before torch is imported: call `set_thread_environment(n)` first, then
import this module's torch-using parts (the scripts do this by importing torch lazily, below).
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from dataclasses import dataclass
from importlib import metadata
from typing import Dict, List, Optional, Sequence

FORMAT = "interchange.mlp"
FORMAT_VERSION = 1

# Our activation names -> transformers' ACT2FN names (what pyvene's MLPBlock uses).
# The Swift tensor library's GELU is the tanh approximation, hence gelu_pytorch_tanh.
ACTIVATIONS = {
    "relu": "relu",
    "gelu": "gelu_pytorch_tanh",
    "tanh": "tanh",
    "sigmoid": "sigmoid",
    "identity": "linear",
}


class ReferenceError(Exception):
    """A file that does not match the Interchange formats, or a failed self-check."""


def set_thread_environment(threads: int) -> None:
    """OpenMP/MKL thread counts; must run before torch is imported to take full effect."""
    if threads < 1:
        raise ReferenceError(f"--threads must be at least 1, got {threads}")
    for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[name] = str(threads)


def import_torch_and_pyvene(threads: int):
    """Import torch and pyvene with the thread count set; returns (torch, pyvene).

    pyvene prints a notice about the optional nnsight backend on stdout when it is imported; that
    line is sent to stderr so that our scripts' stdout stays one JSON line.
    """
    set_thread_environment(threads)
    import torch

    torch.set_num_threads(threads)
    with contextlib.redirect_stdout(sys.stderr):
        import pyvene
    return torch, pyvene


def versions() -> Dict[str, str]:
    import torch

    return {"pyvene_version": metadata.version("pyvene"), "torch_version": torch.__version__}


# --------------------------------------------------------------------------------------------
# Network directory


@dataclass
class NetworkSpec:
    input_dimension: int
    hidden_dimensions: List[int]
    output_dimension: int
    activation: str
    weights: Dict[str, "object"]  # name -> torch.Tensor (float32)

    @property
    def uniform(self) -> bool:
        """True when pyvene's own MLPForClassification can hold the network (all widths equal)."""
        return all(h == self.input_dimension for h in self.hidden_dimensions)


def load_network_spec(directory: str) -> NetworkSpec:
    from safetensors.torch import load_file

    config_path = os.path.join(directory, "config.json")
    weights_path = os.path.join(directory, "model.safetensors")
    try:
        with open(config_path) as handle:
            config = json.load(handle)
    except OSError as error:
        raise ReferenceError(f"cannot read {config_path}: {error}") from error
    if config.get("format") != FORMAT or config.get("version") != FORMAT_VERSION:
        raise ReferenceError(
            f"{config_path}: expected format {FORMAT!r} version {FORMAT_VERSION}, "
            f"got {config.get('format')!r} version {config.get('version')!r}"
        )
    activation = config.get("activation")
    if activation not in ACTIVATIONS:
        raise ReferenceError(f"{config_path}: activation {activation!r} is not one of {sorted(ACTIVATIONS)}")
    hidden = [int(h) for h in config["hidden_dimensions"]]
    if not hidden:
        raise ReferenceError(f"{config_path}: hidden_dimensions is empty")
    spec = NetworkSpec(
        input_dimension=int(config["input_dimension"]),
        hidden_dimensions=hidden,
        output_dimension=int(config["output_dimension"]),
        activation=activation,
        weights=load_file(weights_path),
    )
    expected = {}
    width = spec.input_dimension
    for i, h in enumerate(hidden):
        expected[f"layers.{i}.weight"] = (h, width)
        expected[f"layers.{i}.bias"] = (h,)
        width = h
    expected["output.weight"] = (spec.output_dimension, width)
    expected["output.bias"] = (spec.output_dimension,)
    for name, shape in expected.items():
        if name not in spec.weights:
            raise ReferenceError(f"{weights_path}: missing tensor {name!r}")
        tensor = spec.weights[name]
        if tuple(tensor.shape) != shape:
            raise ReferenceError(f"{weights_path}: {name} has shape {list(tensor.shape)}, expected {list(shape)}")
        spec.weights[name] = tensor.float().contiguous()
    extra = sorted(set(spec.weights) - set(expected))
    if extra:
        raise ReferenceError(f"{weights_path}: unexpected tensors {extra}")
    return spec


class _Block:
    """Namespace for the fallback network's classes (built lazily, after torch is imported)."""


def _fallback_classes():
    import torch

    if hasattr(_Block, "Model"):
        return _Block.Model

    class FallbackConfig:
        """Just enough of a config for pyvene (it reads model.config but not its fields here)."""

        def __init__(self, spec: NetworkSpec):
            self.input_dimension = spec.input_dimension
            self.hidden_dimensions = list(spec.hidden_dimensions)
            self.output_dimension = spec.output_dimension

        def to_dict(self):
            return dict(vars(self))

    class Layer(torch.nn.Module):
        def __init__(self, fan_in: int, fan_out: int, activation: str):
            super().__init__()
            self.linear = torch.nn.Linear(fan_in, fan_out)
            from transformers.activations import ACT2FN

            self.act = ACT2FN[ACTIVATIONS[activation]]

        def forward(self, x):
            return self.act(self.linear(x))

    class InterchangeMLP(torch.nn.Module):
        """An MLP whose widths differ, which pyvene's MLPForClassification cannot hold.

        pyvene intervenes on it through a raw module path (component "layers[i].output") and an
        intervention instance built with an explicit embed_dim.
        """

        def __init__(self, spec: NetworkSpec):
            super().__init__()
            self.config = FallbackConfig(spec)
            widths = [spec.input_dimension] + list(spec.hidden_dimensions)
            self.layers = torch.nn.ModuleList(
                [Layer(widths[i], widths[i + 1], spec.activation) for i in range(len(spec.hidden_dimensions))]
            )
            self.output = torch.nn.Linear(widths[-1], spec.output_dimension)

        @property
        def device(self):
            return self.output.weight.device

        def forward(self, inputs_embeds=None, **_unused):
            hidden = inputs_embeds
            for layer in self.layers:
                hidden = layer(hidden)
            return (self.output(hidden).squeeze(1),)

    _Block.Model = InterchangeMLP
    return InterchangeMLP


@dataclass
class Network:
    spec: NetworkSpec
    model: "object"  # torch.nn.Module
    kind: str  # "pyvene.MLPForClassification" or "fallback"

    def component(self, layer: int) -> str:
        """pyvene's name of our site `layer.<layer>` (the output after that layer's activation)."""
        if self.kind == "fallback":
            return f"layers[{layer}].output"
        return "block_output"

    def site_dimension(self, layer: int) -> int:
        return self.spec.hidden_dimensions[layer]

    def logits(self, inputs):
        """Plain forward: inputs [N, d] -> logits [N, classes]."""
        return self.model(inputs_embeds=inputs.unsqueeze(1))[0]


def build_network(spec: NetworkSpec) -> Network:
    """A frozen torch model computing h_i = act(h_{i-1} W_i^T + b_i), logits = h_L W_out^T + b_out."""
    import torch

    with torch.no_grad():
        if spec.uniform:
            from pyvene.models.mlp.modelings_mlp import MLPConfig, MLPForClassification

            config = MLPConfig(
                h_dim=spec.input_dimension,
                n_layer=len(spec.hidden_dimensions),
                num_classes=spec.output_dimension,
                activation_function=ACTIVATIONS[spec.activation],
                pdrop=0.0,
                include_bias=True,
                squeeze_output=True,
                include_emb=False,
            )
            model = MLPForClassification(config)
            for i, block in enumerate(model.mlp.h):
                block.ff1.weight.copy_(spec.weights[f"layers.{i}.weight"])
                block.ff1.bias.copy_(spec.weights[f"layers.{i}.bias"])
            model.score.weight.copy_(spec.weights["output.weight"])
            model.score.bias.copy_(spec.weights["output.bias"])
            kind = "pyvene.MLPForClassification"
        else:
            model = _fallback_classes()(spec)
            for i, layer in enumerate(model.layers):
                layer.linear.weight.copy_(spec.weights[f"layers.{i}.weight"])
                layer.linear.bias.copy_(spec.weights[f"layers.{i}.bias"])
            model.output.weight.copy_(spec.weights["output.weight"])
            model.output.bias.copy_(spec.weights["output.bias"])
            kind = "fallback"
    model.eval()
    for parameter in model.parameters():
        parameter.requires_grad_(False)
    return Network(spec=spec, model=model, kind=kind)


def load_network(directory: str) -> Network:
    return build_network(load_network_spec(directory))


def reference_forward(spec: NetworkSpec, inputs):
    """The format's forward formula in float64 NumPy: returns ([h_0, ..., h_{L-1}], logits)."""
    import numpy as np

    def act(x):
        if spec.activation == "relu":
            return np.maximum(x, 0.0)
        if spec.activation == "gelu":
            return 0.5 * x * (1.0 + np.tanh(np.sqrt(2.0 / np.pi) * (x + 0.044715 * x**3)))
        if spec.activation == "tanh":
            return np.tanh(x)
        if spec.activation == "sigmoid":
            return 1.0 / (1.0 + np.exp(-x))
        return x

    w = {k: v.double().numpy() for k, v in spec.weights.items()}
    hidden = np.asarray(inputs, dtype=np.float64)
    states = []
    for i in range(len(spec.hidden_dimensions)):
        hidden = act(hidden @ w[f"layers.{i}.weight"].T + w[f"layers.{i}.bias"])
        states.append(hidden)
    return states, hidden @ w["output.weight"].T + w["output.bias"]


def verify_network(network: Network, inputs, tolerance: float = 1e-4) -> Dict[str, float]:
    """Check the torch model against the format's formula: logits, and every site through the very
    module hook pyvene will use. Raises ReferenceError on a mismatch; returns the max errors."""
    import numpy as np
    import torch
    from pyvene.models.configuration_intervenable_model import RepresentationConfig
    from pyvene.models.modeling_utils import get_module_hook

    states, logits = reference_forward(network.spec, inputs.numpy())
    captured = {}
    handles = []
    for i in range(len(network.spec.hidden_dimensions)):
        hook_point = get_module_hook(network.model, RepresentationConfig(i, network.component(i), "pos", 1))

        def capture(module, args, output, i=i):
            captured[i] = (output[0] if isinstance(output, tuple) else output).detach().clone()

        handles.append(hook_point(capture))
    try:
        with torch.no_grad():
            torch_logits = network.logits(inputs)
    finally:
        for handle in handles:
            handle.remove()
    errors = {"logits": float(np.max(np.abs(torch_logits.double().numpy() - logits)))}
    for i, state in enumerate(states):
        if i not in captured:
            raise ReferenceError(f"pyvene's hook for layer.{i} ({network.component(i)}) never fired")
        site = captured[i].reshape(state.shape).double().numpy()
        errors[f"layer.{i}"] = float(np.max(np.abs(site - state)))
    scale = max(1.0, float(np.max(np.abs(logits))))
    for name, error in errors.items():
        if not error <= tolerance * scale:
            raise ReferenceError(f"torch model disagrees with the format's forward at {name}: max error {error:.3g}")
    return errors


# --------------------------------------------------------------------------------------------
# DAS data file


@dataclass
class DASData:
    path: str
    base: "object"  # [N, d] float32
    sources: "object"  # [V, N, d] float32
    labels: "object"  # [N] int64
    variables: List[str]
    subspace_sizes: List[int]
    site_layer: int

    @property
    def count(self) -> int:
        return int(self.base.shape[0])

    def subspace_ranges(self) -> List[range]:
        ranges, start = [], 0
        for size in self.subspace_sizes:
            ranges.append(range(start, start + size))
            start += size
        return ranges


def load_das_data(path: str, network: Optional[Network] = None) -> DASData:
    from safetensors import safe_open

    try:
        with safe_open(path, framework="pt") as handle:
            meta = handle.metadata() or {}
            tensors = {name: handle.get_tensor(name) for name in handle.keys()}
    except Exception as error:  # safetensors raises its own error types
        raise ReferenceError(f"cannot read DAS data {path}: {error}") from error
    for name in ("base", "sources", "labels"):
        if name not in tensors:
            raise ReferenceError(f"{path}: missing tensor {name!r}")
    for key in ("variables", "subspace_sizes", "site"):
        if key not in meta:
            raise ReferenceError(f"{path}: missing metadata {key!r}")
    base, sources, labels = tensors["base"].float(), tensors["sources"].float(), tensors["labels"].long()
    variables = [v for v in meta["variables"].split(",") if v]
    sizes = [int(s) for s in meta["subspace_sizes"].split(",") if s]
    site = meta["site"]
    if not site.startswith("layer.") or not site[len("layer.") :].isdigit():
        raise ReferenceError(f"{path}: site {site!r} is not of the form layer.<i>")
    layer = int(site[len("layer.") :])
    if base.dim() != 2 or sources.dim() != 3 or labels.dim() != 1:
        raise ReferenceError(
            f"{path}: shapes base {list(base.shape)}, sources {list(sources.shape)}, labels {list(labels.shape)}; "
            "expected [N, d], [V, N, d], [N]"
        )
    n, d = base.shape
    if tuple(sources.shape[1:]) != (n, d) or labels.shape[0] != n:
        raise ReferenceError(f"{path}: sources {list(sources.shape)} and labels {list(labels.shape)} do not match base {list(base.shape)}")
    if sources.shape[0] != len(variables) or len(sizes) != len(variables):
        raise ReferenceError(
            f"{path}: {sources.shape[0]} source sets, {len(variables)} variables, {len(sizes)} subspace sizes; must agree"
        )
    if any(s < 1 for s in sizes):
        raise ReferenceError(f"{path}: subspace sizes {sizes} must be positive")
    data = DASData(path, base, sources, labels, variables, sizes, layer)
    if network is not None:
        spec = network.spec
        if d != spec.input_dimension:
            raise ReferenceError(f"{path}: inputs have {d} dimensions, the network takes {spec.input_dimension}")
        if not 0 <= layer < len(spec.hidden_dimensions):
            raise ReferenceError(f"{path}: site layer.{layer} does not exist (valid: layer.0 ... layer.{len(spec.hidden_dimensions) - 1})")
        if sum(sizes) > spec.hidden_dimensions[layer]:
            raise ReferenceError(f"{path}: subspace sizes {sizes} exceed the site's {spec.hidden_dimensions[layer]} dimensions")
        if int(labels.min()) < 0 or int(labels.max()) >= spec.output_dimension:
            raise ReferenceError(f"{path}: labels outside 0..{spec.output_dimension - 1}")
    return data


# --------------------------------------------------------------------------------------------
# pyvene DAS


class DAS:
    """pyvene's DAS on one site: a RotatedSpaceIntervention shared by one representation per variable.

    As in DAS_Main_Introduction: representations at the same layer/component, linked with
    intervention_link_key=0 so they share one rotation, subspace_partition=None, and the rotated
    coordinates of each variable passed per call in `subspaces`. Every example is intervened on
    with every variable's source; where an example does not intervene on a variable, its source is
    the base, so that block is swapped with itself.
    """

    def __init__(self, network: Network, layer: int, subspace_sizes: Sequence[int], use_fast: bool = True):
        import pyvene
        import torch

        self.network = network
        self.layer = layer
        self.variable_count = len(subspace_sizes)
        dimension = network.site_dimension(layer)
        ranges, start = [], 0
        for size in subspace_sizes:
            ranges.append(list(range(start, start + size)))
            start += size
        self.ranges = ranges
        component = network.component(layer)
        shared = None
        if network.kind == "fallback":
            # pyvene cannot look up the width of a model type it does not know: give the instance.
            shared = pyvene.RotatedSpaceIntervention(embed_dim=dimension, use_fast=use_fast)
        representations = []
        for _ in range(self.variable_count):
            fields = dict(
                layer=layer,
                component=component,
                unit="pos",
                max_number_of_units=1,
                subspace_partition=None,
                intervention_link_key=0,
            )
            if shared is not None:
                fields["intervention"] = shared
            representations.append(pyvene.RepresentationConfig(**fields))
        config = pyvene.IntervenableConfig(
            representations=representations,
            intervention_types=pyvene.RotatedSpaceIntervention,
        )
        with contextlib.redirect_stdout(sys.stderr):
            self.intervenable = pyvene.IntervenableModel(config, network.model, use_fast=use_fast)
        self.intervenable.disable_model_gradients()
        self.intervenable.model.eval()
        unique = {}
        for intervention in self.intervenable.interventions.values():
            unique[id(intervention)] = intervention
        if len(unique) != 1:
            raise ReferenceError(f"expected one shared rotation, pyvene built {len(unique)} interventions")
        self.intervention = next(iter(unique.values()))
        self.parameters = list(self.intervention.rotate_layer.parameters())
        self._call_cache: Dict[int, tuple] = {}

    def rotation(self):
        """pyvene's rotation W (rotated = h @ W); our R (rotated = R h) is W^T."""
        return self.intervention.rotate_layer.weight

    def _locations(self, batch: int):
        cached = self._call_cache.get(batch)
        if cached is None:
            zero = [[0]] * batch
            locations = {"sources->base": ([zero] * self.variable_count, [zero] * self.variable_count)}
            subspaces = [[r] * batch for r in self.ranges]
            cached = (locations, subspaces)
            self._call_cache[batch] = cached
        return cached

    def intervened_logits(self, base, sources):
        """base [B, d], sources [V, B, d] -> intervened logits [B, classes] (pyvene runs V source
        forwards and one base forward with the setter hooks)."""
        batch = base.shape[0]
        locations, subspaces = self._locations(batch)
        _, counterfactual = self.intervenable(
            {"inputs_embeds": base.unsqueeze(1)},
            [{"inputs_embeds": sources[j].unsqueeze(1)} for j in range(self.variable_count)],
            locations,
            subspaces=subspaces,
        )
        return counterfactual[0]


def manual_dii_logits(das: DAS, base, sources):
    """The intervention by hand, h' = h + R^T M (R s - R h) summed over variables, with R = W^T from
    pyvene's rotation; the rest of the network from the format's weights. For the self-check."""
    import torch

    spec = das.network.spec
    w = {k: v for k, v in spec.weights.items()}
    act = _torch_activation(spec.activation)

    def hidden_at(x, layer):
        h = x
        for i in range(layer + 1):
            h = act(h @ w[f"layers.{i}.weight"].T + w[f"layers.{i}.bias"])
        return h

    with torch.no_grad():
        r = das.rotation().detach().T  # R: rotated = R h
        h = hidden_at(base, das.layer)
        patched = h.clone()
        for j, coordinates in enumerate(das.ranges):
            s = hidden_at(sources[j], das.layer)
            mask = torch.zeros(r.shape[0])
            mask[coordinates] = 1.0
            patched = patched + ((s - h) @ r.T * mask) @ r
        x = patched
        for i in range(das.layer + 1, len(spec.hidden_dimensions)):
            x = act(x @ w[f"layers.{i}.weight"].T + w[f"layers.{i}.bias"])
        return x @ w["output.weight"].T + w["output.bias"]


def _torch_activation(name: str):
    import torch

    return {
        "relu": torch.relu,
        "gelu": lambda x: torch.nn.functional.gelu(x, approximate="tanh"),
        "tanh": torch.tanh,
        "sigmoid": torch.sigmoid,
        "identity": lambda x: x,
    }[name]


def batches(count: int, batch_size: int, limit: int):
    """Index ranges of up to `limit` consecutive batches over `count` examples, cycling the data
    (so a batch larger than the data repeats it)."""
    import torch

    out = []
    start = 0
    for _ in range(limit):
        out.append(torch.arange(start, start + batch_size) % count)
        start = (start + batch_size) % count
    return out


def run(main) -> None:
    """Runs a script's main; a ReferenceError becomes one line on stderr and exit status 1."""
    try:
        main()
    except ReferenceError as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(1)


def print_json(payload: dict) -> None:
    sys.stdout.write(json.dumps(payload) + "\n")
    sys.stdout.flush()
