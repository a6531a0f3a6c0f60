#!/usr/bin/env python3
"""Time one boundless-DAS training step of pyvene 0.1.8 on a GPT-2-small-shaped model, beside `bench das-transformer`.

    .venv-reference/bin/python bench/reference/pyvene_boundless_step.py --steps 3 --warmup 1 --threads 2
    .venv-reference/bin/python bench/reference/pyvene_boundless_step.py --serve --threads 2   (how the bench runs it)

The workload of issue 10, point 7: GPT2LMHeadModel(GPT2Config()) with transformers' own initialisation
under torch.manual_seed(--seed) (12 layers, width 768, 12 heads, vocabulary 50257, tied head; dropout
off, eval mode), frozen; one BoundlessRotatedSpaceIntervention (a full 768 x 768 rotation and the
boundary) at block_output of --layer, acting at token --position of the base with the source's
representation at the same position; a batch of --batch base prompts and --batch source prompts of
--seq random ids each, and a random answer id per row. One step is the loop of pyvene's Boundless DAS
tutorial (BoundlessDAS.step in pyvene_transformer_das.py): the intervened forward (pyvene runs the
source batch through the model to collect the site, then the base batch with the swap hooked in),
cross-entropy of the last position's logits over the whole vocabulary, backward (to the rotation and
the boundary only: the model's gradients are disabled), Adam (rotation lr 1e-3, boundary lr 1e-3),
the linear schedule's step, the temperature's update, zero grad.

--logits all (default) is what the tutorial computes: `model(input_ids)` gives logits at every position,
for the source run too. --logits last passes `logits_to_keep=1` to both runs, so only the last
position's logits are computed (the loss reads nothing else): a faster pyvene than the tutorial's.

With --serve, after the warm-ups it prints {"ready": true, ...} and answers one timed step per stdin
line `step` with {"seconds": s, "loss": l}; `done` prints a summary (peak RSS in MB, versions). The Swift
side alternates its own runs with these. Without --serve it prints one JSON line with the best step.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402  (no torch at import time)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=1, help="torch intra-op threads, also OMP/MKL (default 1)")
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--seq", type=int, default=64)
    parser.add_argument("--layer", type=int, default=6, help="block_output of this layer (default 6)")
    parser.add_argument("--position", type=int, default=63, help="intervened token position (default 63, the last)")
    parser.add_argument("--logits", choices=["all", "last"], default="all",
                        help="logits at every position as the tutorial computes them (all), or only the last (last)")
    parser.add_argument("--planned-steps", type=int, default=1000, help="length of the schedule and annealing (default 1000)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--steps", type=int, default=3, help="timed steps without --serve (default 3)")
    parser.add_argument("--warmup", type=int, default=1, help="untimed steps first (default 1)")
    parser.add_argument("--serve", action="store_true", help="answer timed steps on stdin (see above)")
    parser.add_argument("--profile", action="store_true",
                        help="after the warm-ups, print torch's profiler table of one step (by self CPU time) to stderr")
    args = parser.parse_args()
    if min(args.threads, args.batch, args.seq, args.steps, args.planned_steps) < 1 or args.warmup < 0:
        parser.error("counts must be at least 1 (--warmup at least 0)")
    if args.seq > 1024 or not 0 <= args.position < args.seq or not 0 <= args.layer < 12:
        parser.error("--seq at most 1024, --position in 0..<seq, --layer in 0..11")

    torch, pyvene = common.import_torch_and_pyvene(args.threads)
    import transformers
    from transformers import GPT2Config, GPT2LMHeadModel
    from pyvene_transformer_das import BoundlessDAS

    transformers.logging.set_verbosity_error()
    torch.manual_seed(args.seed)
    config = GPT2Config(resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0)
    model = GPT2LMHeadModel(config).float().eval()
    if (config.n_layer, config.n_embd, config.n_head, config.vocab_size) != (12, 768, 12, 50257):
        raise common.ReferenceError("GPT2Config() is no longer GPT-2 small")

    class Recipe:  # the tutorial's loop with Interchange's recipe (see pyvene_transformer_das.py)
        batch_size, learning_rate, boundary_learning_rate = args.batch, 1e-3, 1e-3
        warmup_fraction, schedule, temperature_start, temperature_end = 0.0, "linear", 50.0, 0.1
        boundary_loss, answers_only = 0.0, False

    das = BoundlessDAS(model, args.layer, Recipe(), args.planned_steps, args.seed, torch, pyvene,
                       last_logits_only=args.logits == "last")
    trainable = sum(p.numel() for p in das.intervention.parameters() if p.requires_grad)
    generator = torch.Generator().manual_seed(args.seed + 1)
    base = torch.randint(0, config.vocab_size, (args.batch, args.seq), generator=generator)
    source = torch.randint(0, config.vocab_size, (args.batch, args.seq), generator=generator)
    labels = torch.randint(0, config.vocab_size, (args.batch,), generator=generator)
    positions = [args.position] * args.batch

    def step():
        return das.step(base, source, positions, positions, labels)

    def summary(extra):
        usage = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return {"schema": "interchange.bench.pyvene-boundless-step", "version": 1, "threads": args.threads,
                "trainable_parameters": trainable, "peak_rss_mb": usage / 1024.0, "torch": torch.__version__,
                "transformers": transformers.__version__, "pyvene": common.versions()["pyvene_version"],
                "logits": args.logits, **extra}

    loss = 0.0
    for _ in range(args.warmup):
        loss = step()
    if args.profile:
        from torch.profiler import ProfilerActivity, profile
        with profile(activities=[ProfilerActivity.CPU]) as profiler:
            start = time.perf_counter()
            loss = step()
            print(f"profiled step: {time.perf_counter() - start:.3f} s", file=sys.stderr)
        print(profiler.key_averages().table(sort_by="self_cpu_time_total", row_limit=15), file=sys.stderr)
    if args.serve:
        common.print_json({"ready": True, "threads": args.threads, "trainable_parameters": trainable})
        for line in sys.stdin:
            command = line.strip()
            if command == "done":
                break
            if command != "step":
                raise common.ReferenceError(f"unknown command {command!r}: expected step or done")
            start = time.perf_counter()
            loss = step()
            common.print_json({"seconds": time.perf_counter() - start, "loss": loss})
        common.print_json(summary({"last_loss": loss}))
        return
    times = []
    for _ in range(args.steps):
        start = time.perf_counter()
        loss = step()
        times.append(time.perf_counter() - start)
    common.print_json(summary({"steps": args.steps, "best_step_seconds": min(times), "steps_per_second": 1 / min(times),
                               "step_seconds": times, "last_loss": loss}))


if __name__ == "__main__":
    common.run(main)
