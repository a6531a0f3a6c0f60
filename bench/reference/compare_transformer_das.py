#!/usr/bin/env python3
"""Boundless DAS on a token-task transformer, Interchange beside pyvene 0.1.8: same network, same data, same recipe.

    .venv-reference/bin/python bench/reference/compare_transformer_das.py [--bench .build/release/bench] \
        [--task price-tagging --variable LB --position last --layers all --seeds 0,1,2 --epochs 5 \
         --batch-size 64 --lr 0.01 --train-size 2000 --test-size 1000 --threads 1 --out DIR]

The defaults are das-search's for transformers (its data draws, 5 epochs, batch 64, lr 0.01, boundless DAS
starting on half the width).

1. `bench das-transformer-iia` (Interchange) gets the task's small GPT-2 (trained and cached in Hugging Face
   format), draws the counterfactual data and writes them to DIR/train.jsonl and DIR/test.jsonl, then trains
   boundless DAS at layer.<i>.block_output for every layer and seed and scores test IIA (DIR/interchange.json).
2. pyvene_transformer_das.py loads the same checkpoint with transformers (checked against the logits Interchange
   stored), reads the same files and runs pyvene's boundless DAS with the same recipe: epochs, batch, Adam at the
   same learning rate for the rotation and the boundary, linear decay to 0 without warm-up, temperature 50 to 0.1,
   no boundary loss (DIR/pyvene.json).
3. Equal wall-clock time, per layer: pyvene given the seconds Interchange's run took (the median over seeds): the
   same recipe compressed to the steps pyvene takes in that time (its seconds per step measured in step 2),
   schedule and annealing over those steps (DIR/pyvene-equal-time-<layer>.json); and Interchange given pyvene's
   seconds: as many epochs as fit in them at Interchange's measured rate (DIR/interchange-equal-time.json).

Both sides run on --threads threads (default 1: at width 64 a second thread only adds overhead). Prints a
Markdown table: per layer, test IIA as the median and [min, max] over the seeds, the learned sizes, seconds per
run, and the two equal-time rows; the whole summary goes to DIR/comparison.json.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
PYTHON = sys.executable


def run(arguments, what):
    print(f"$ {' '.join(arguments)}", file=sys.stderr)
    result = subprocess.run(arguments, stdout=subprocess.PIPE, text=True)
    if result.returncode != 0:
        sys.exit(f"error: {what} exited with status {result.returncode}")
    return result.stdout


def last_json(text, what):
    for line in reversed(text.splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    sys.exit(f"error: {what} printed no JSON line")


def spread(values):
    values = sorted(values)
    return f"{statistics.median(values):.3f} [{values[0]:.3f}, {values[-1]:.3f}]"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bench", default=".build/release/bench", help="the bench executable (release build)")
    parser.add_argument("--task", default="price-tagging")
    parser.add_argument("--variable", default="LB")
    parser.add_argument("--position", default="last")
    parser.add_argument("--layers", default="all")
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", default="0.01")
    parser.add_argument("--train-size", type=int, default=2000)
    parser.add_argument("--test-size", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", default="das-search-output/pyvene-comparison")
    parser.add_argument("--skip-equal-time", action="store_true")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    common = ["--threads", str(args.threads)]
    recipe = ["--epochs", str(args.epochs), "--batch-size", str(args.batch_size), "--lr", args.lr]

    # 1. Interchange: model, data files, DAS per layer and seed.
    ours_path = os.path.join(args.out, "interchange.json")
    run([args.bench, "das-transformer-iia", "--task", args.task, "--variable", args.variable, "--position", args.position,
         "--layers", args.layers, "--seeds", args.seeds, "--train-size", str(args.train_size), "--test-size", str(args.test_size),
         "--out", args.out, "--json", ours_path] + recipe + common, "bench das-transformer-iia")
    with open(ours_path) as handle:
        ours = json.load(handle)
    layers = sorted({r["layer"] for r in ours["runs"]})
    train, test = ours["data"]["train"], ours["data"]["test"]

    # 2. pyvene: the same checkpoint, files and recipe.
    reference = [PYTHON, os.path.join(HERE, "pyvene_transformer_das.py"), "--model", ours["model"], "--train", train, "--test", test,
                 "--position", args.position, "--batch-size", str(args.batch_size), "--lr", args.lr, "--boundary-lr", args.lr,
                 "--schedule", "linear", "--warmup-fraction", "0", "--temperature-start", "50", "--temperature-end", "0.1",
                 "--boundary-loss", "0"] + common
    theirs = last_json(run(reference + ["--layers", ",".join(map(str, layers)), "--seeds", args.seeds, "--epochs", str(args.epochs)],
                           "pyvene_transformer_das.py"), "pyvene_transformer_das.py")
    with open(os.path.join(args.out, "pyvene.json"), "w") as handle:
        json.dump(theirs, handle, indent=1)
    test_name = os.path.basename(test)

    def by_layer(runs, layer, key):
        return [r[key][test_name] if isinstance(r[key], dict) else r[key] for r in runs if r["layer"] == layer]

    rows = []
    for layer in layers:
        ours_seconds = statistics.median(by_layer(ours["runs"], layer, "seconds"))
        their_seconds = statistics.median(by_layer(theirs["runs"], layer, "seconds"))
        their_steps = statistics.median(by_layer(theirs["runs"], layer, "steps"))
        row = {"layer": layer, "interchange_iia": by_layer(ours["runs"], layer, "iia"), "pyvene_iia": by_layer(theirs["runs"], layer, "iia"),
               "interchange_iia_changed": by_layer(ours["runs"], layer, "iia_changed"),
               "pyvene_iia_changed": by_layer(theirs["runs"], layer, "iia_changed"),
               "interchange_sizes": by_layer(ours["runs"], layer, "learned_size"), "pyvene_sizes": by_layer(theirs["runs"], layer, "learned_size"),
               "interchange_seconds": ours_seconds, "pyvene_seconds": their_seconds}
        if not args.skip_equal_time:
            # 3a. pyvene in Interchange's time: the recipe compressed to the steps that fit.
            steps = max(1, math.floor(ours_seconds / (their_seconds / their_steps)))
            equal = last_json(run(reference + ["--layers", str(layer), "--seeds", args.seeds, "--steps", str(steps)],
                                  "pyvene (equal time)"), "pyvene (equal time)")
            with open(os.path.join(args.out, f"pyvene-equal-time-{layer}.json"), "w") as handle:
                json.dump(equal, handle, indent=1)
            row["pyvene_in_interchange_time"] = {"steps": steps, "iia": by_layer(equal["runs"], layer, "iia"),
                                                 "iia_changed": by_layer(equal["runs"], layer, "iia_changed"),
                                                 "seconds": by_layer(equal["runs"], layer, "seconds")}
            # 3b. Interchange in pyvene's time: as many epochs as fit at its measured rate.
            epochs = max(args.epochs, math.floor(args.epochs * their_seconds / ours_seconds))
            path = os.path.join(args.out, f"interchange-equal-time-{layer}.json")
            run([args.bench, "das-transformer-iia", "--task", args.task, "--variable", args.variable, "--position", args.position,
                 "--layers", str(layer), "--seeds", args.seeds, "--train-size", str(args.train_size), "--test-size", str(args.test_size),
                 "--out", args.out, "--json", path, "--epochs", str(epochs), "--batch-size", str(args.batch_size), "--lr", args.lr] + common,
                "bench das-transformer-iia (equal time)")
            with open(path) as handle:
                longer = json.load(handle)
            row["interchange_in_pyvene_time"] = {"epochs": epochs, "iia": by_layer(longer["runs"], layer, "iia"),
                                                 "iia_changed": by_layer(longer["runs"], layer, "iia_changed"),
                                                 "seconds": by_layer(longer["runs"], layer, "seconds")}
        rows.append(row)

    summary = {"task": args.task, "variable": args.variable, "position": args.position, "seeds": args.seeds,
               "model": ours["model"], "heldOutAccuracy": ours["heldOutAccuracy"], "data": ours["data"],
               "recipe": ours["recipe"], "threads": args.threads, "checkpoint_check": theirs.get("checkpoint_check"),
               "versions": {"pyvene": theirs.get("pyvene_version"), "torch": theirs.get("torch_version")}, "layers": rows}
    with open(os.path.join(args.out, "comparison.json"), "w") as handle:
        json.dump(summary, handle, indent=1)

    print(f"{args.task}, variable {args.variable} at position {args.position}, block_output; {ours['data']['trainCount']} training and "
          f"{ours['data']['testCount']} test counterfactuals (answer changed on {ours['data']['testChangedFraction']:.1%} of test); "
          f"seeds {args.seeds}; {args.epochs} epochs, batch {args.batch_size}, lr {args.lr}; {args.threads} thread(s)")
    print()
    header = ("| layer | Interchange IIA, median [min, max] | pyvene IIA, same recipe | on changed answers (ours / pyvene) "
              "| learned size (ours / pyvene) | seconds per run (ours / pyvene) |")
    if not args.skip_equal_time:
        header += " pyvene in Interchange's seconds | Interchange in pyvene's seconds |"
    print(header)
    print("|" + " --- |" * (header.count("|") - 1))
    for row in rows:
        line = (f"| {row['layer']} | {spread(row['interchange_iia'])} | {spread(row['pyvene_iia'])} | "
                f"{spread(row['interchange_iia_changed'])} / {spread(row['pyvene_iia_changed'])} | "
                f"{'/'.join(map(str, row['interchange_sizes']))} / {'/'.join(map(str, row['pyvene_sizes']))} | "
                f"{row['interchange_seconds']:.1f} / {row['pyvene_seconds']:.1f} |")
        if not args.skip_equal_time:
            fast, slow = row["pyvene_in_interchange_time"], row["interchange_in_pyvene_time"]
            line += (f" {spread(fast['iia'])} ({fast['steps']} steps) | {spread(slow['iia'])} ({slow['epochs']} epochs) |")
        print(line)
    print()
    print(f"wrote {os.path.join(args.out, 'comparison.json')}")


if __name__ == "__main__":
    main()
