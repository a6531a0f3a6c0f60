#!/usr/bin/env python3
"""Write test inputs in Interchange's network and DAS-data formats, for the pyvene reference scripts.

    .venv-reference/bin/python scripts/make_reference_inputs.py --out /tmp/reference-inputs --seed 0

Writes, under --out:
  heq/network/                 hierarchical equality MLP (input 16 = four 4-d objects, hidden
                               [16, 16, 16], output 2, relu), trained here as in pyvene's
                               DAS_Main_Introduction (Adam, lr 1e-3, batch 1024)
  heq/das_train.safetensors    counterfactual data, variables WX,YZ, sizes 8,8, site layer.0;
  heq/das_test.safetensors     each example intervenes on WX, YZ or both (a third each), fresh objects
  random16/network/            random weights, same shapes as heq (plumbing only)
  random16/das.safetensors     random inputs and labels, V = 2, sizes 8,8, site layer.0
  and/network/                 boolean AND, input 2, hidden [2], output 2, relu: the hidden layer
                               holds (a, b) rotated by 20 degrees (plus 1, so relu is inactive)
  and/das_v2.safetensors       N = 96, variables A,B, sizes 1,1, site layer.0
  and/das_v1.safetensors       N = 96, variable A, size 1, site layer.0
and prints a JSON line listing them. Formats: bench/reference/README.md.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bench", "reference"))


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True, help="output directory (created)")
    parser.add_argument("--seed", type=int, default=0, help="seed for everything written")
    parser.add_argument("--heq-train", type=int, default=64000, help="examples in heq/das_train (default 64000)")
    parser.add_argument("--heq-test", type=int, default=10000, help="examples in heq/das_test (default 10000)")
    parser.add_argument("--mlp-examples", type=int, default=1 << 20, help="factual examples per epoch for the heq MLP")
    parser.add_argument("--mlp-epochs", type=int, default=3, help="epochs for the heq MLP (the tutorial's 3)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    return parser.parse_args()


ARGS = parse_arguments()
import common  # noqa: E402

torch, _ = common.import_torch_and_pyvene(ARGS.threads)
import numpy as np  # noqa: E402
from safetensors.torch import save_file  # noqa: E402


def write_network(directory, hidden, activation, weights):
    os.makedirs(directory, exist_ok=True)
    first = weights["layers.0.weight"]
    config = {
        "format": common.FORMAT,
        "version": common.FORMAT_VERSION,
        "input_dimension": int(first.shape[1]),
        "hidden_dimensions": list(hidden),
        "output_dimension": int(weights["output.weight"].shape[0]),
        "activation": activation,
    }
    with open(os.path.join(directory, "config.json"), "w") as handle:
        json.dump(config, handle, indent=2)
        handle.write("\n")
    ordered = {}
    for i in range(len(hidden)):
        ordered[f"layers.{i}.weight"] = weights[f"layers.{i}.weight"]
        ordered[f"layers.{i}.bias"] = weights[f"layers.{i}.bias"]
    ordered["output.weight"] = weights["output.weight"]
    ordered["output.bias"] = weights["output.bias"]
    save_file({k: v.detach().float().contiguous() for k, v in ordered.items()}, os.path.join(directory, "model.safetensors"))
    return directory


def write_das(path, base, sources, labels, variables, sizes, site="layer.0"):
    tensors = {
        "base": base.float().contiguous(),
        "sources": sources.float().contiguous(),
        "labels": labels.long().contiguous(),
    }
    metadata = {"variables": ",".join(variables), "subspace_sizes": ",".join(str(s) for s in sizes), "site": site}
    save_file(tensors, path, metadata=metadata)
    return path


# --- hierarchical equality ---------------------------------------------------------------------

OBJECT = 4  # embedding dimension of one object, as in the tutorial


def heq_sample(count, generator):
    """count inputs [W X Y Z] (objects uniform in [-1, 1], rounded to 2 decimals as the tutorial's
    randvec), with W == X and Y == Z each true for half of them, independently. Returns
    (inputs [count, 16], wx [count] bool, yz [count] bool)."""
    objects = torch.round((torch.rand(count, 4, OBJECT, generator=generator) * 2 - 1) * 100) / 100
    wx = torch.rand(count, generator=generator) < 0.5
    yz = torch.rand(count, generator=generator) < 0.5
    objects[wx, 1] = objects[wx, 0]
    objects[yz, 3] = objects[yz, 2]
    # Distinct objects are distinct almost surely; make sure after rounding.
    same = (objects[:, 0] == objects[:, 1]).all(dim=1) & ~wx
    objects[same, 1] = -objects[same, 0] + 0.01
    same = (objects[:, 2] == objects[:, 3]).all(dim=1) & ~yz
    objects[same, 3] = -objects[same, 2] + 0.01
    return objects.reshape(count, 4 * OBJECT), wx, yz


def heq_train_mlp(generator):
    hidden = [16, 16, 16]
    model = torch.nn.Sequential(
        torch.nn.Linear(16, 16), torch.nn.ReLU(),
        torch.nn.Linear(16, 16), torch.nn.ReLU(),
        torch.nn.Linear(16, 16), torch.nn.ReLU(),
        torch.nn.Linear(16, 2),
    )
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    batch = 1024
    for epoch in range(ARGS.mlp_epochs):
        x, wx, yz = heq_sample(ARGS.mlp_examples, generator)
        y = (wx == yz).long()
        order = torch.randperm(ARGS.mlp_examples, generator=generator)
        for start in range(0, ARGS.mlp_examples, batch):
            index = order[start : start + batch]
            loss = torch.nn.functional.cross_entropy(model(x[index]), y[index])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        print(f"heq MLP epoch {epoch + 1}/{ARGS.mlp_epochs}: last batch loss {loss.item():.4f}", file=sys.stderr)
    x, wx, yz = heq_sample(10000, generator)
    with torch.no_grad():
        accuracy = (model(x).argmax(1) == (wx == yz).long()).float().mean().item()
    print(f"heq MLP test accuracy on 10000 fresh examples: {accuracy:.4f}", file=sys.stderr)
    linears = [m for m in model if isinstance(m, torch.nn.Linear)]
    weights = {}
    for i in range(3):
        weights[f"layers.{i}.weight"] = linears[i].weight
        weights[f"layers.{i}.bias"] = linears[i].bias
    weights["output.weight"] = linears[3].weight
    weights["output.bias"] = linears[3].bias
    return hidden, weights, accuracy


def heq_counterfactuals(count, generator):
    """Each example intervenes on WX only, YZ only or both (a third each); a variable an example
    does not intervene on has the base as its source. Label: the algorithm's output with the
    intervened variables taking their values on the sources."""
    base, base_wx, base_yz = heq_sample(count, generator)
    source_wx, wx_of_source, _ = heq_sample(count, generator)
    source_yz, _, yz_of_source = heq_sample(count, generator)
    kind = torch.randint(0, 3, (count,), generator=generator)  # 0: WX, 1: YZ, 2: both
    on_wx = kind != 1
    on_yz = kind != 0
    source_wx = torch.where(on_wx[:, None], source_wx, base)
    source_yz = torch.where(on_yz[:, None], source_yz, base)
    wx = torch.where(on_wx, wx_of_source, base_wx)
    yz = torch.where(on_yz, yz_of_source, base_yz)
    labels = (wx == yz).long()
    return base, torch.stack([source_wx, source_yz]), labels


# --- boolean AND ---------------------------------------------------------------------------------


def and_network():
    angle = math.radians(20.0)
    rotation = torch.tensor([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
    scale = 4.0
    ones = torch.ones(2)
    # h = relu(rotation x + 1) = rotation x + 1 on {0,1}^2; a + b = (rotation 1) . (h - 1)
    direction = rotation @ ones
    weights = {
        "layers.0.weight": rotation,
        "layers.0.bias": ones.clone(),
        "output.weight": torch.stack([torch.zeros(2), scale * direction]),
        "output.bias": torch.tensor([0.0, -scale * float(direction @ ones) - 1.5 * scale]),
    }
    return [2], weights


def and_counterfactuals(count, variables, generator):
    base = torch.randint(0, 2, (count, 2), generator=generator).float()
    drawn = torch.randint(0, 2, (count, 2, 2), generator=generator).float()  # [example, variable, input]
    if variables == 1:
        on = torch.ones(count, 1, dtype=torch.bool)
    else:
        kind = torch.randint(0, 3, (count,), generator=generator)  # 0: A, 1: B, 2: both
        on = torch.stack([kind != 1, kind != 0], dim=1)
    sources = torch.stack([torch.where(on[:, j, None], drawn[:, j], base) for j in range(variables)])
    a = torch.where(on[:, 0], sources[0, :, 0], base[:, 0])
    b = torch.where(on[:, 1], sources[1, :, 1], base[:, 1]) if variables == 2 else base[:, 1]
    labels = ((a > 0.5) & (b > 0.5)).long()
    return base, sources, labels


def main():
    out = os.path.abspath(ARGS.out)
    generator = torch.Generator().manual_seed(ARGS.seed)
    torch.manual_seed(ARGS.seed)
    written = {}

    hidden, weights, accuracy = heq_train_mlp(generator)
    written["heq_network"] = write_network(os.path.join(out, "heq", "network"), hidden, "relu", weights)
    for name, count in (("das_train", ARGS.heq_train), ("das_test", ARGS.heq_test)):
        base, sources, labels = heq_counterfactuals(count, generator)
        written[f"heq_{name}"] = write_das(os.path.join(out, "heq", f"{name}.safetensors"), base, sources, labels, ["WX", "YZ"], [8, 8])

    weights = {}
    for i in range(3):
        weights[f"layers.{i}.weight"] = torch.randn(16, 16, generator=generator) * math.sqrt(2.0 / 16)
        weights[f"layers.{i}.bias"] = torch.randn(16, generator=generator) * 0.1
    weights["output.weight"] = torch.randn(2, 16, generator=generator) * math.sqrt(1.0 / 16)
    weights["output.bias"] = torch.zeros(2)
    written["random16_network"] = write_network(os.path.join(out, "random16", "network"), [16, 16, 16], "relu", weights)
    count = 256
    written["random16_das"] = write_das(
        os.path.join(out, "random16", "das.safetensors"),
        torch.randn(count, 16, generator=generator),
        torch.randn(2, count, 16, generator=generator),
        torch.randint(0, 2, (count,), generator=generator),
        ["WX", "YZ"],
        [8, 8],
    )

    hidden, weights = and_network()
    written["and_network"] = write_network(os.path.join(out, "and", "network"), hidden, "relu", weights)
    base, sources, labels = and_counterfactuals(96, 2, generator)
    written["and_das_v2"] = write_das(os.path.join(out, "and", "das_v2.safetensors"), base, sources, labels, ["A", "B"], [1, 1])
    base, sources, labels = and_counterfactuals(96, 1, generator)
    written["and_das_v1"] = write_das(os.path.join(out, "and", "das_v1.safetensors"), base, sources, labels, ["A"], [1])

    # Every network must compute its format's forward formula, and the AND network must be AND.
    for key in ("heq_network", "random16_network", "and_network"):
        network = common.load_network(written[key])
        common.verify_network(network, torch.randn(32, network.spec.input_dimension, generator=generator))
    network = common.load_network(written["and_network"])
    grid = torch.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    with torch.no_grad():
        assert network.logits(grid).argmax(1).tolist() == [0, 0, 0, 1], "the AND network is not AND"

    common.print_json({"out": out, "seed": ARGS.seed, "heq_mlp_test_accuracy": round(accuracy, 4), "files": written})


if __name__ == "__main__":
    common.run(main)
