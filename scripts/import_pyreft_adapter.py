#!/usr/bin/env python3
"""Convert an adapter saved by pyreft 0.1.0 (`reft_model.save(DIR)`) into Interchange's adapter format.

    .venv-reference/bin/python scripts/import_pyreft_adapter.py PYREFT_DIR OUT_DIR --positions f1+l1 \\
        --model BASE_MODEL_DIR [--activation identity] [--dropout 0]

PYREFT_DIR holds what pyvene's `IntervenableModel.save` writes: `config.json` (the representations:
layer, component, low_rank_dimension; the intervention classes; `sorted_keys`) and one
`intkey_<key>.bin` torch state dict per intervention. OUT_DIR receives `adapter.json` and
`adapter.safetensors` as docs/adapter-format.md describes them, loadable with `reft ... --adapter OUT_DIR`.

What pyreft does not save is asked for by flag:
  --positions   pyreft keeps positions with the data (`f<n>`, `l<m>` or `f<n>+l<m>`);
  --model       the base model's folder (its `config.json` gives the architecture hash the adapter records);
  --activation  the interventions' `act_fn` (pyreft names: linear/none, relu, tanh, sigmoid, gelu_new,
                gelu_pytorch_tanh; transformers' exact "gelu" has no counterpart here and is refused);
  --dropout     the interventions' dropout probability (off at evaluation either way).

Layers and site come from pyreft's config. Weight sharing is read from the layer list: with
`f<n>+l<m>`, a list that is the same layers twice (pyreft's `layers + layers`) means a prefix and a
suffix intervention per layer (first half prefix, second half suffix, as `get_intervention_locations`
assigns them); a list with each layer once means shared weights. Classes map as in
docs/adapter-format.md, "Mapping from pyreft 0.1.0": Loreft -> loreft, Direft and Nodireft -> direft,
Noreft -> noreft (a `proj_layer` bias folded into `bias`, exact with the identity activation only),
Consreft -> consreft, Lobireft -> lobireft. Orthogonal parametrizations are evaluated with torch, BF16
widened to float32 exactly. Needs only torch (not pyreft, pyvene or safetensors).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import struct
import sys
from pathlib import Path

import torch

FORMAT = "interchange.reft-adapter"
SITES = ("block_output", "block_input", "attention_output", "mlp_output")
ACTIVATIONS = {None: "identity", "none": "identity", "linear": "identity", "identity": "identity", "relu": "relu",
               "tanh": "tanh", "sigmoid": "sigmoid", "gelu_new": "gelu", "gelu_pytorch_tanh": "gelu"}
CLASSES = {"LoreftIntervention": "loreft", "DireftIntervention": "direft", "NodireftIntervention": "direft",
           "NoreftIntervention": "noreft", "ConsreftIntervention": "consreft", "LobireftIntervention": "lobireft"}
POSITIONS = re.compile(r"^(?:f([1-9][0-9]*)\+l([1-9][0-9]*)|f([1-9][0-9]*)|l([1-9][0-9]*))$")


class ImportError_(Exception):
    """A refusal with the file and what was expected; printed as one line, exit code 2."""


# ---------------------------------------------------------------------------------------------------------------------
# The base model's architecture hash (Sources/ReFT/BaseModelFingerprint.swift, parsing as ConfigurationParsing.swift)

def _float32_text(value: float) -> str:
    """Swift's `Float.description`: the shortest decimal that reads back as the same float32."""
    rounded = struct.unpack("<f", struct.pack("<f", value))[0]
    for digits in range(1, 10):
        text = f"{rounded:.{digits}g}"
        if struct.unpack("<f", struct.pack("<f", float(text)))[0] == rounded:
            break
    return _swift_style(text)


def _swift_style(text: str) -> str:
    if "e" not in text and "." not in text and "inf" not in text and "nan" not in text:
        text += ".0"
    return text


def _double_text(value: float) -> str:
    """Swift's `Double.description` (shortest round trip; Python's repr agrees at these magnitudes)."""
    return _swift_style(repr(float(value)))


def config_hash(config_path: Path) -> dict:
    """The `base_model` object of adapter.json for the HF `config.json` at `config_path`."""
    try:
        c = json.loads(config_path.read_text())
    except (OSError, ValueError) as error:
        raise ImportError_(f"{config_path}: cannot read the base model's config: {error}")
    if not isinstance(c, dict):
        raise ImportError_(f"{config_path}: not a JSON object")

    def get(name, default=None, required=False):
        value = c.get(name)
        if value is None:
            if required:
                raise ImportError_(f"{config_path}: field {name} is missing")
            return default
        return value

    model_type = get("model_type", required=True)
    if model_type == "gpt2":
        family, width = "gpt2", int(get("n_embd", required=True))
        heads = int(get("n_head", required=True))
        fields = dict(vocab_size=get("vocab_size", required=True), hidden_size=width, num_hidden_layers=get("n_layer", required=True),
                      num_attention_heads=heads, num_key_value_heads=heads, head_dim=width // heads,
                      intermediate_size=get("n_inner", 4 * width), max_position_embeddings=get("n_positions", required=True),
                      norm_epsilon=_float32_text(get("layer_norm_epsilon", 1e-5)),
                      tie_word_embeddings=get("tie_word_embeddings", True), qkv_bias=True, output_bias=True, mlp_bias=True,
                      rope_theta=_double_text(10000.0), rope_scaling="none", sliding_window="none")
    elif model_type in ("llama", "qwen2", "mistral"):
        family, width = "llama", int(get("hidden_size", required=True))
        heads = int(get("num_attention_heads", required=True))
        bias = bool(get("attention_bias", False))
        parameters = c.get("rope_parameters")
        scaling_fields = parameters if parameters is not None else c.get("rope_scaling")
        theta = (parameters or {}).get("rope_theta")
        theta = theta if theta is not None else get("rope_theta", 10000.0)
        scaling = "none"
        if scaling_fields is not None:
            kind = scaling_fields.get("rope_type", scaling_fields.get("type", "default"))
            if kind == "llama3":
                scaling = "llama3({},{},{},{})".format(
                    _double_text(scaling_fields["factor"]), _double_text(scaling_fields["low_freq_factor"]),
                    _double_text(scaling_fields["high_freq_factor"]), int(scaling_fields["original_max_position_embeddings"]))
            elif kind != "default":
                raise ImportError_(f"{config_path}: rope type {kind!r} is not supported (default, llama3)")
        window = "none"
        if get("use_sliding_window", model_type == "mistral") and c.get("sliding_window") is not None:
            window = str(int(c["sliding_window"]))
        fields = dict(vocab_size=get("vocab_size", required=True), hidden_size=width,
                      num_hidden_layers=get("num_hidden_layers", required=True), num_attention_heads=heads,
                      num_key_value_heads=get("num_key_value_heads", heads), head_dim=get("head_dim", width // heads),
                      intermediate_size=get("intermediate_size", required=True),
                      max_position_embeddings=get("max_position_embeddings", required=True),
                      norm_epsilon=_float32_text(get("rms_norm_eps", 1e-6)),
                      tie_word_embeddings=get("tie_word_embeddings", False),
                      qkv_bias=True if model_type == "qwen2" else bias, output_bias=False if model_type == "qwen2" else bias,
                      mlp_bias=get("mlp_bias", False), rope_theta=_double_text(theta), rope_scaling=scaling,
                      sliding_window=window)
    else:
        raise ImportError_(f"{config_path}: model_type {model_type!r} is not supported (gpt2, llama, qwen2, mistral)")

    def text(value):
        return ("true" if value else "false") if isinstance(value, bool) else str(value)

    lines = ["interchange.transformer-architecture.v1", f"family={family}", f"model_type={model_type}"]
    lines += [f"{name}={text(value)}" for name, value in fields.items()]
    canonical = "".join(line + "\n" for line in lines)
    return {"config_hash": hashlib.sha256(canonical.encode()).hexdigest(), "family": family, "model_type": model_type,
            "hidden_size": int(fields["hidden_size"]), "num_hidden_layers": int(fields["num_hidden_layers"]),
            "vocab_size": int(fields["vocab_size"])}


# ---------------------------------------------------------------------------------------------------------------------
# pyreft's interventions

class _RotateLayer(torch.nn.Module):
    """The shape of pyreft's LowRankRotateLayer, so its orthogonal parametrization's state dict loads."""

    def __init__(self, d: int, k: int):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.zeros(d, k))


def _orthogonal_weight(state: dict, file: Path, d: int, k: int) -> torch.Tensor:
    """`rotate_layer.weight` [d, k] of a saved intervention: stored directly (LoReFT's compact state dict) or as
    an orthogonal parametrization (`rotate_layer.parametrizations.weight.original`, `....0.base`), evaluated."""
    if "rotate_layer" in state:
        return _tensor(state, "rotate_layer", file, (d, k))
    prefix = "rotate_layer."
    sub = {key[len(prefix):]: value.to(torch.float32) for key, value in state.items() if key.startswith(prefix)}
    if "parametrizations.weight.original" not in sub:
        raise ImportError_(f"{file}: no rotate_layer (expected 'rotate_layer' or 'rotate_layer.parametrizations.weight.original')")
    layer = torch.nn.utils.parametrizations.orthogonal(_RotateLayer(d, k))
    try:
        layer.load_state_dict(sub, strict=True)
    except RuntimeError as error:
        raise ImportError_(f"{file}: rotate_layer does not load as a [{d}, {k}] orthogonal parametrization: {error}")
    with torch.no_grad():
        return layer.weight.detach().clone()


def _tensor(state: dict, name: str, file: Path, shape: tuple) -> torch.Tensor:
    if name not in state:
        raise ImportError_(f"{file}: tensor {name!r} is missing (has {', '.join(sorted(state))})")
    value = state[name]
    if not isinstance(value, torch.Tensor) or tuple(value.shape) != tuple(shape):
        found = tuple(value.shape) if isinstance(value, torch.Tensor) else type(value).__name__
        raise ImportError_(f"{file}: tensor {name!r} has shape {found}, expected {tuple(shape)}")
    if not value.is_floating_point():
        raise ImportError_(f"{file}: tensor {name!r} is {value.dtype}, expected a floating-point type")
    value = value.detach().to(torch.float32).contiguous()  # bf16/f16 widen exactly
    if not torch.isfinite(value).all():
        raise ImportError_(f"{file}: tensor {name!r} has a non-finite value")
    return value


def convert_intervention(class_name: str, state: dict, file: Path, d: int, k: int, activation: str) -> dict:
    """Our tensors (`rotation`/`projection` [k, d], `weight` [k, d], `bias` [k]) for one pyreft intervention."""
    if class_name == "LoreftIntervention":
        state = {("learned_source." + key if key in ("weight", "bias") else key): value for key, value in state.items()}
    if class_name in ("LoreftIntervention", "DireftIntervention", "NoreftIntervention", "NodireftIntervention"):
        out = {"weight": _tensor(state, "learned_source.weight", file, (k, d)),
               "bias": _tensor(state, "learned_source.bias", file, (k,))}
    else:
        out = {"bias": _tensor(state, "learned_source", file, (k,))}
    if class_name in ("LoreftIntervention", "ConsreftIntervention", "LobireftIntervention"):
        out["rotation"] = _orthogonal_weight(state, file, d, k).t().contiguous()
    elif class_name == "DireftIntervention":
        out["projection"] = _orthogonal_weight(state, file, d, k).t().contiguous()
    else:  # Noreft, Nodireft: an unconstrained nn.Linear(d, k)
        out["projection"] = _tensor(state, "proj_layer.weight", file, (k, d))
        if class_name == "NoreftIntervention" and "proj_layer.bias" in state:
            # h + (act(W1 h + b) − (W2 h + c)) W2 = h + W2ᵀ((W1 h + b − c) − W2 h) when act is the identity.
            if activation != "identity":
                raise ImportError_(f"{file}: a NoReFT proj_layer bias (add_bias=True) has no exact counterpart with "
                                   f"activation {activation}; only the identity folds it into the bias")
            out["bias"] = out["bias"] - _tensor(state, "proj_layer.bias", file, (k,))
    return out


def parse_positions(text: str) -> tuple[int, int]:
    match = POSITIONS.match(text)
    if not match:
        raise ImportError_(f"--positions {text!r}: expected f<n>, l<m> or f<n>+l<m> with n, m >= 1 (e.g. f1+l1)")
    a, b, f, l = match.groups()
    return (int(a), int(b)) if a else ((int(f), 0) if f else (0, int(l)))


def convert(pyreft_dir: Path, out_dir: Path, positions: str, model_dir: Path, activation: str = "identity",
            dropout: float = 0.0) -> dict:
    """Writes OUT_DIR/adapter.safetensors and adapter.json; returns the adapter.json object."""
    first, last = parse_positions(positions)
    pyreft_activation = activation.lower()
    if pyreft_activation not in ACTIVATIONS:
        raise ImportError_(f"--activation {activation!r}: expected one of {', '.join(k for k in ACTIVATIONS if k)}"
                           + ("; transformers' 'gelu' is the exact (erf) GELU, Interchange's is the tanh one" if pyreft_activation == "gelu" else ""))
    activation = ACTIVATIONS[pyreft_activation]
    if not (0 <= dropout < 1):
        raise ImportError_(f"--dropout {dropout}: must be in [0, 1)")
    config_path = pyreft_dir / "config.json"
    try:
        config = json.loads(config_path.read_text())
    except (OSError, ValueError) as error:
        raise ImportError_(f"{config_path}: cannot read pyreft's config: {error}")
    representations = config.get("representations")
    types = config.get("intervention_types")
    keys = config.get("sorted_keys")
    if not isinstance(representations, list) or not representations:
        raise ImportError_(f"{config_path}: field representations is missing or empty")
    if not isinstance(types, list) or len(types) != len(representations):
        raise ImportError_(f"{config_path}: field intervention_types must list one class per representation")
    if not isinstance(keys, list) or len(keys) != len(representations):
        raise ImportError_(f"{config_path}: field sorted_keys must list one key per representation")

    base = config_hash(model_dir / "config.json")
    width_expected = base["hidden_size"]
    entries = []  # (layer, component, rank, class name, key)
    for index, (rep, type_text, key) in enumerate(zip(representations, types, keys)):
        where = f"{config_path}: representations[{index}]"
        if isinstance(rep, dict):
            layer, component, unit, rank = rep.get("layer"), rep.get("component"), rep.get("unit"), rep.get("low_rank_dimension")
        elif isinstance(rep, list) and len(rep) >= 5:
            layer, component, unit, rank = rep[0], rep[1], rep[2], rep[4]
        else:
            raise ImportError_(f"{where}: expected pyvene's RepresentationConfig (layer, component, unit, max_number_of_units, low_rank_dimension, ...)")
        if not isinstance(layer, int) or not 0 <= layer < base["num_hidden_layers"]:
            raise ImportError_(f"{where}: layer {layer!r} is not a layer of the base model (0..{base['num_hidden_layers'] - 1})")
        if component not in SITES:
            raise ImportError_(f"{where}: component {component!r} is not supported (supported: {', '.join(SITES)})")
        if unit != "pos":
            raise ImportError_(f"{where}: unit {unit!r} is not supported (pyreft's token positions are unit 'pos')")
        if not isinstance(rank, int) or not 1 <= rank <= width_expected:
            raise ImportError_(f"{where}: low_rank_dimension {rank!r} must be between 1 and the width {width_expected}")
        match = re.search(r"\.(\w+)'>$", str(type_text))
        class_name = match.group(1) if match else str(type_text)
        if class_name not in CLASSES:
            raise ImportError_(f"{config_path}: intervention_types[{index}] {type_text!r} is not a pyreft 0.1.0 ReFT class "
                               f"({', '.join(sorted(CLASSES))})")
        entries.append((layer, component, rank, class_name, key))

    kinds = {CLASSES[e[3]] for e in entries}
    ranks = {e[2] for e in entries}
    sites = {e[1] for e in entries}
    if len(kinds) > 1 or len(ranks) > 1 or len(sites) > 1:
        raise ImportError_(f"{config_path}: the interventions differ in type, rank or component ({sorted(kinds)}, {sorted(ranks)}, "
                           f"{sorted(sites)}); an Interchange adapter has one of each (import them as separate adapters)")
    kind, rank, site = kinds.pop(), ranks.pop(), sites.pop()
    if kind in ("consreft", "lobireft") and activation != "identity":
        raise ImportError_(f"--activation {activation}: pyreft's {kind} has no activation; leave it at identity")
    layers = [e[0] for e in entries]
    half = len(layers) // 2
    separate = first > 0 and last > 0 and len(layers) % 2 == 0 and layers[:half] == layers[half:] and len(set(layers[:half])) == half
    if separate:
        parts = ["prefix"] * half + ["suffix"] * half
        distinct = layers[:half]
    else:
        if len(set(layers)) != len(layers):
            raise ImportError_(f"{config_path}: layers {layers} repeat, which with positions {positions} is neither one intervention "
                               "per layer (shared weights) nor pyreft's layers + layers (separate prefix and suffix weights)")
        parts = ["all"] * len(layers)
        distinct = layers

    tensors: dict[str, torch.Tensor] = {}
    for (layer, _, _, class_name, key), part in zip(entries, parts):
        file = pyreft_dir / f"intkey_{key}.bin"
        if not file.is_file():
            raise ImportError_(f"{file}: missing (config.json's sorted_keys names intervention {key!r})")
        try:
            state = torch.load(file, map_location="cpu", weights_only=True)
        except Exception as error:  # torch raises many kinds for a bad file
            raise ImportError_(f"{file}: not a torch state dict: {error}")
        if not isinstance(state, dict):
            raise ImportError_(f"{file}: expected a state dict, found {type(state).__name__}")
        embed = state.get("embed_dim")
        if isinstance(embed, torch.Tensor) and int(embed) != width_expected:
            raise ImportError_(f"{file}: embed_dim {int(embed)} differs from the base model's hidden size {width_expected}")
        for name, value in convert_intervention(class_name, state, file, width_expected, rank, activation).items():
            tensors[f"layers.{layer}.{part}.{name}"] = value

    for name, value in tensors.items():
        if name.endswith(".rotation"):
            error = (value @ value.t() - torch.eye(rank)).abs().max().item()
            if not error < 1e-3:
                raise ImportError_(f"{pyreft_dir}: {name} is not orthonormal (max |R Rᵀ − I| = {error:.3g})")

    weights = safetensors_bytes(tensors, {"format": FORMAT})
    description = {
        "format": FORMAT, "format_version": 1, "type": kind, "rank": rank, "width": width_expected,
        "layers": sorted(distinct), "site": site, "positions": positions, "share_weights": not separate and first > 0 and last > 0,
        "activation": activation, "dropout": dropout, "base_model": base,
        "weights": {"file": "adapter.safetensors", "sha256": hashlib.sha256(weights).hexdigest()},
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    _atomic_write(out_dir / "adapter.safetensors", weights)
    _atomic_write(out_dir / "adapter.json", (json.dumps(description, indent=2, sort_keys=True) + "\n").encode())
    return description


def safetensors_bytes(tensors: dict[str, torch.Tensor], metadata: dict[str, str]) -> bytes:
    """A safetensors file of F32 tensors in name order (8-byte header length, JSON header, data)."""
    header: dict = {"__metadata__": metadata}
    chunks, offset = [], 0
    for name in sorted(tensors):
        values = tensors[name].to(torch.float32).flatten().tolist()  # Python floats hold float32 values exactly
        data = struct.pack(f"<{len(values)}f", *values)
        header[name] = {"dtype": "F32", "shape": list(tensors[name].shape), "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + b"".join(chunks)


def _atomic_write(path: Path, data: bytes) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("pyreft_dir", type=Path, help="the folder reft_model.save(...) wrote")
    parser.add_argument("out_dir", type=Path, help="where adapter.json and adapter.safetensors go")
    parser.add_argument("--positions", required=True, help="f<n>, l<m> or f<n>+l<m>, as trained")
    parser.add_argument("--model", required=True, type=Path, help="the base model's folder (its config.json)")
    parser.add_argument("--activation", default="identity", help="the interventions' act_fn (default identity)")
    parser.add_argument("--dropout", type=float, default=0.0, help="the interventions' dropout (default 0)")
    args = parser.parse_args(argv)
    try:
        description = convert(args.pyreft_dir, args.out_dir, args.positions, args.model, args.activation, args.dropout)
    except ImportError_ as error:
        print(f"import_pyreft_adapter: {error}", file=sys.stderr)
        return 2
    parts = "shared" if description["share_weights"] else "separate"
    print(f"wrote {args.out_dir}: {description['type']} rank {description['rank']} on layers {description['layers']} "
          f"at {description['site']}, positions {description['positions']} ({parts} weights)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
