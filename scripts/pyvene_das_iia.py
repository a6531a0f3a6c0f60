#!/usr/bin/env python3
"""Train DAS with pyvene 0.1.8 for a fixed number of steps and report IIA on test files.

    .venv-reference/bin/python scripts/pyvene_das_iia.py --model DIR --train FILE \
        --test FILE [--test FILE2 ...] --steps S --batch-size B --lr LR [--schedule constant|linear] --seed SEED --threads T

Pass the validation file as one more --test: the caller chooses on it and reads test IIA only for its choice.

Training follows pyvene's DAS_Main_Introduction: one RotatedSpaceIntervention shared by one
representation per variable (intervention_link_key), Adam on the rotation's parameters, cross-entropy
of the intervened logits against the counterfactual labels, exactly --steps optimizer steps. Batches
come from a seeded shuffle of the training file, reshuffled each pass (a batch larger than the file
takes the file more than once). IIA on a test file is the fraction of its examples whose intervened
argmax equals the label. Prints one JSON line on stdout:

    {"library": "pyvene", "steps": S, "iia": {"<test file name>": value, ...}, "seconds": ...}

"seconds" is the wall time of training plus evaluation (not imports or loading); "train_seconds" and
"eval_seconds" split it.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bench", "reference"))


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, help="network directory (config.json + model.safetensors)")
    parser.add_argument("--train", required=True, help="DAS data file to train on")
    parser.add_argument("--test", required=True, action="append", help="DAS data file to score (repeatable)")
    parser.add_argument("--steps", type=int, required=True, help="optimizer steps")
    parser.add_argument("--batch-size", type=int, required=True)
    parser.add_argument("--lr", type=float, default=1e-3, help="Adam learning rate (default 0.001)")
    parser.add_argument("--schedule", choices=("constant", "linear"), default="constant",
                        help="constant (pyvene's tutorial) or linear: step t (from 0) uses lr * (steps - t) / steps, "
                             "Interchange's default decay with no warm-up (default constant)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1, help="torch intra-op threads, also OMP/MKL (default 1)")
    parser.add_argument("--eval-batch-size", type=int, default=8192, help="examples per evaluation forward (default 8192)")
    args = parser.parse_args()
    for name in ("steps", "batch_size", "threads", "eval_batch_size"):
        if getattr(args, name) < 1 and not (name == "steps" and getattr(args, name) == 0):
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    return args


ARGS = parse_arguments()
import common  # noqa: E402

torch, _ = common.import_torch_and_pyvene(ARGS.threads)
import numpy as np  # noqa: E402


def seed_everything(seed):
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def shuffled_batches(count, batch_size, steps, generator):
    """Index tensors of `steps` batches from seeded permutations of range(count), one after another."""
    order = torch.empty(0, dtype=torch.long)
    position = 0
    for _ in range(steps):
        while order.numel() - position < batch_size:
            order = torch.cat([order[position:], torch.randperm(count, generator=generator)])
            position = 0
        yield order[position : position + batch_size]
        position += batch_size


def test_names(paths):
    names = [os.path.basename(p) for p in paths]
    if len(set(names)) == len(names):
        return names
    return list(paths)


def main():
    seed_everything(ARGS.seed)
    network = common.load_network(ARGS.model)
    train = common.load_das_data(ARGS.train, network)
    tests = [common.load_das_data(path, network) for path in ARGS.test]
    for test in tests:
        if (test.site_layer, test.subspace_sizes) != (train.site_layer, train.subspace_sizes):
            raise common.ReferenceError(
                f"{test.path}: site layer.{test.site_layer} sizes {test.subspace_sizes} differ from the training "
                f"file's layer.{train.site_layer} sizes {train.subspace_sizes}"
            )
    common.verify_network(network, train.base[:64])
    das = common.DAS(network, train.site_layer, train.subspace_sizes)  # rotation drawn from the seeded torch RNG
    optimizer = torch.optim.Adam(das.parameters, lr=ARGS.lr)
    # LambdaLR's factor for step t is applied before that step, as in Interchange's schedule.
    scheduler = (torch.optim.lr_scheduler.LambdaLR(optimizer, lambda t: max(0.0, (ARGS.steps - t) / ARGS.steps))
                 if ARGS.schedule == "linear" else None)
    generator = torch.Generator().manual_seed(ARGS.seed)

    start = time.perf_counter()
    loss = None
    for index in shuffled_batches(train.count, ARGS.batch_size, ARGS.steps, generator):
        logits = das.intervened_logits(train.base[index], train.sources[:, index])
        loss = torch.nn.functional.cross_entropy(logits, train.labels[index])
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        if scheduler is not None:
            scheduler.step()
    train_seconds = time.perf_counter() - start

    start = time.perf_counter()
    iia = {}
    with torch.no_grad():
        for name, test in zip(test_names(ARGS.test), tests):
            correct = 0
            for begin in range(0, test.count, ARGS.eval_batch_size):
                end = min(begin + ARGS.eval_batch_size, test.count)
                logits = das.intervened_logits(test.base[begin:end], test.sources[:, begin:end])
                correct += int((logits.argmax(dim=1) == test.labels[begin:end]).sum())
            iia[name] = correct / test.count
    eval_seconds = time.perf_counter() - start

    rotation = das.rotation().detach().double()
    orthogonality = float((rotation @ rotation.T - torch.eye(rotation.shape[0], dtype=torch.float64)).abs().max())
    payload = {
        "library": "pyvene",
        "steps": ARGS.steps,
        "iia": iia,
        "seconds": train_seconds + eval_seconds,
        "train_seconds": train_seconds,
        "eval_seconds": eval_seconds,
        "batch_size": ARGS.batch_size,
        "lr": ARGS.lr,
        "schedule": ARGS.schedule,
        "seed": ARGS.seed,
        "threads": ARGS.threads,
        "final_train_loss": None if loss is None else float(loss.item()),
        "rotation_orthogonality_error": orthogonality,
    }
    payload.update(common.versions())
    common.print_json(payload)


if __name__ == "__main__":
    common.run(main)
