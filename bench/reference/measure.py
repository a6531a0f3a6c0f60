#!/usr/bin/env python3
"""pyvene's DAS step speed on the reference shapes, one JSON line per configuration.

    .venv-reference/bin/python bench/reference/measure.py [--inputs DIR] [--steps 50] [--repeats 1]

Configurations: the hierarchical equality MLP (16 wide, site layer.0, V = 2, sizes 8,8) at batch
6400 and the boolean AND MLP (2 wide, site layer.0, V = 2, sizes 1,1) at batch 96, each with 1 and
2 threads. Inputs come from scripts/make_reference_inputs.py (written to --inputs, seed 0, when
missing).

Each line is pyvene_das_step.py's JSON plus "foreign_cpu": the CPU time other processes used during
the run, as a fraction of the machine (0 = nothing else ran, 0.5 = one of two cores busy). A busy
neighbour ruins two-thread figures in particular (torch's OpenMP threads wait for each other), so
with --wait-idle each run first waits until the machine is idle.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))


def cpu_times():
    with open("/proc/stat") as handle:
        fields = [int(x) for x in handle.readline().split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields[:8]), idle


def busy_fraction(seconds=2.0):
    total0, idle0 = cpu_times()
    time.sleep(seconds)
    total1, idle1 = cpu_times()
    return 1.0 - (idle1 - idle0) / max(1, total1 - total0)


def wait_idle(limit_seconds, threshold=0.1):
    deadline = time.time() + limit_seconds
    while time.time() < deadline:
        if busy_fraction() < threshold:
            return True
    return False


def run(arguments):
    ticks = os.sysconf("SC_CLK_TCK")
    total0, idle0 = cpu_times()
    child0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = subprocess.run(arguments, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    child1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    total1, idle1 = cpu_times()
    if result.returncode != 0:
        sys.stderr.write(result.stderr)
        raise SystemExit(f"failed: {' '.join(arguments)}")
    busy_seconds = ((total1 - total0) - (idle1 - idle0)) / ticks
    child_seconds = (child1.ru_utime - child0.ru_utime) + (child1.ru_stime - child0.ru_stime)
    capacity_seconds = (total1 - total0) / ticks
    payload = json.loads(result.stdout.strip().splitlines()[-1])
    payload["foreign_cpu"] = round(max(0.0, busy_seconds - child_seconds) / max(capacity_seconds, 1e-9), 3)
    return payload


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--inputs", default="/tmp/interchange-reference-inputs")
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--wait-idle", type=float, default=0.0, metavar="SECONDS",
                        help="before each run, wait up to SECONDS for the machine to be idle (default: do not wait)")
    args = parser.parse_args()

    python = sys.executable
    inputs = args.inputs
    if not (os.path.exists(os.path.join(inputs, "heq", "das_train.safetensors"))
            and os.path.exists(os.path.join(inputs, "and", "das_v2.safetensors"))):
        print(f"[measure] writing reference inputs to {inputs}", file=sys.stderr)
        subprocess.run([python, os.path.join(REPO, "scripts", "make_reference_inputs.py"), "--out", inputs, "--seed", "0"],
                       check=True, stdout=subprocess.DEVNULL)
    configurations = [
        ("heq", os.path.join(inputs, "heq", "network"), os.path.join(inputs, "heq", "das_train.safetensors"), 6400),
        ("and", os.path.join(inputs, "and", "network"), os.path.join(inputs, "and", "das_v2.safetensors"), 96),
    ]
    results = {}
    for _ in range(args.repeats):
        for name, model, data, batch in configurations:
            for threads in (1, 2):
                if args.wait_idle > 0 and not wait_idle(args.wait_idle):
                    print(f"[measure] machine still busy after {args.wait_idle:.0f} s; measuring anyway", file=sys.stderr)
                payload = run([
                    python, os.path.join(HERE, "pyvene_das_step.py"), "--model", model, "--data", data,
                    "--batch-size", str(batch), "--steps", str(args.steps), "--warmup", str(args.warmup),
                    "--threads", str(threads), "--lr", "0.001",
                ])
                payload["task"] = name
                print(f"[measure] {name} batch {batch}, {threads} thread(s): {payload['steps_per_second']:.1f} steps/s, "
                      f"other processes used {payload['foreign_cpu']:.0%} of the machine", file=sys.stderr)
                print(json.dumps(payload), flush=True)
                results.setdefault((name, batch, threads), []).append(payload)
    if args.repeats > 1:
        for (name, batch, threads), runs in results.items():
            clean = sorted(r["steps_per_second"] for r in runs if r["foreign_cpu"] < 0.05)
            every = sorted(r["steps_per_second"] for r in runs)
            chosen = clean or every
            median = chosen[len(chosen) // 2] if len(chosen) % 2 else sum(chosen[len(chosen) // 2 - 1 : len(chosen) // 2 + 1]) / 2
            print(f"[measure] {name} batch {batch}, {threads} thread(s): median {median:.1f} steps/s over "
                  f"{len(chosen)} {'undisturbed ' if clean else ''}run(s) {['%.1f' % v for v in chosen]}", file=sys.stderr)


if __name__ == "__main__":
    main()
