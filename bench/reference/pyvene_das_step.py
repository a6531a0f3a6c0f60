#!/usr/bin/env python3
"""Time pyvene's DAS training step on CPU torch, for the side-by-side speed comparison.

    .venv-reference/bin/python bench/reference/pyvene_das_step.py --model DIR --data FILE \
        --batch-size 6400 --steps 50 --warmup 5 --threads 1 --lr 0.001

One step is what pyvene's DAS_Main_Introduction does per batch: the intervened forward (pyvene runs
one forward of the network per source, collecting the site, then the base forward with the
rotated-space swap hooked in), cross-entropy against the counterfactual labels, backward, an Adam
step on the rotation, zero grad. The batches are sliced from the data before timing (cycling the
data when the batch is larger than it), so the time is pyvene's and torch's alone. Prints one JSON
line on stdout.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, help="network directory (config.json + model.safetensors)")
    parser.add_argument("--data", required=True, help="DAS data file (.safetensors)")
    parser.add_argument("--batch-size", type=int, required=True)
    parser.add_argument("--steps", type=int, required=True, help="timed steps")
    parser.add_argument("--warmup", type=int, default=5, help="untimed steps first (default 5)")
    parser.add_argument("--threads", type=int, default=1, help="torch intra-op threads, also OMP/MKL (default 1)")
    parser.add_argument("--lr", type=float, default=1e-3, help="Adam learning rate (default 0.001)")
    parser.add_argument("--seed", type=int, default=0, help="seed for the rotation's initialization (default 0)")
    args = parser.parse_args()
    for name in ("batch_size", "steps", "threads"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if args.warmup < 0:
        parser.error("--warmup must be at least 0")
    return args


ARGS = parse_arguments()
import common  # noqa: E402

torch, _ = common.import_torch_and_pyvene(ARGS.threads)


def main():
    torch.manual_seed(ARGS.seed)
    network = common.load_network(ARGS.model)
    data = common.load_das_data(ARGS.data, network)
    common.verify_network(network, data.base[:64])
    das = common.DAS(network, data.site_layer, data.subspace_sizes)
    optimizer = torch.optim.Adam(das.parameters, lr=ARGS.lr)

    distinct = min(ARGS.warmup + ARGS.steps, -(-data.count // ARGS.batch_size))
    prepared = []
    for index in common.batches(data.count, ARGS.batch_size, distinct):
        prepared.append((data.base[index].contiguous(), data.sources[:, index].contiguous(), data.labels[index].contiguous()))

    def step(k):
        base, sources, labels = prepared[k % len(prepared)]
        logits = das.intervened_logits(base, sources)
        loss = torch.nn.functional.cross_entropy(logits, labels)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        return loss

    for k in range(ARGS.warmup):
        step(k)
    start = time.perf_counter()
    for k in range(ARGS.warmup, ARGS.warmup + ARGS.steps):
        loss = step(k)
    elapsed = time.perf_counter() - start
    if not torch.isfinite(loss):
        raise common.ReferenceError(f"loss is {loss.item()} after {ARGS.warmup + ARGS.steps} steps")

    payload = {"library": "pyvene"}
    payload.update(common.versions())
    payload.update(
        {
            "threads": ARGS.threads,
            "batch_size": ARGS.batch_size,
            "steps": ARGS.steps,
            "seconds_per_step": elapsed / ARGS.steps,
            "steps_per_second": ARGS.steps / elapsed,
            "warmup": ARGS.warmup,
            "variables": len(data.variables),
            "subspace_sizes": data.subspace_sizes,
            "site": f"layer.{data.site_layer}",
            "site_dimension": network.site_dimension(data.site_layer),
            "network": network.kind,
            "final_loss": float(loss.item()),
        }
    )
    common.print_json(payload)


if __name__ == "__main__":
    common.run(main)
