#!/usr/bin/env python3
"""Time pyreft 0.1.0's LoReFT training step and adapted greedy decoding on CPU torch, beside `bench reft`.

    .venv-reference/bin/python bench/reference/pyreft_step.py --steps 5 --warmup 1 --threads 2
    .venv-reference/bin/python bench/reference/pyreft_step.py --serve --threads 2    (how `bench reft` runs it)

The workload of issue 9, point 11: a GPT-2-small-shaped model with seeded random weights (12 layers,
width 768, 12 heads, vocabulary 50257, tied head), frozen; LoReFT rank 4 at block_output of layers
2,4,6,8, positions f1+l1 with separate weights (two interventions per layer: 8 x (2*768*4 + 4) =
49,184 trainable parameters); a batch of 8 rows of 128 tokens, a 64-token prompt then a 64-token
response, labels -100 on the prompt. One step is what pyreft's ReftTrainer does per batch: the
intervened forward with `unit_locations` (first and last prompt position), HF's causal-LM loss,
backward, an AdamW step (lr 4e-3, pyreft's default weight decay 0), zero grad. Ids are random and
drawn before timing. Prints one JSON line on stdout: steps/s, the best step's seconds, the
trainable parameter count and the peak RSS.

Decoding: `reft_model.generate` (pyvene's, `intervene_on_prompt=True`: the interventions act on the prompt's first
and last positions during the prefill) of --new-tokens greedy tokens after a --decode-prompt-token random prompt at
batch 1, with the key/value cache, no early stop; timed from the call to its return.

With --serve, after the warm-ups (one step, one decode) it prints {"ready": true, "trainable_parameters": ...} and
then answers one timed run per stdin line: `step` or `decode` -> {"seconds": s, "loss": ...}; `done` -> a summary
(peak RSS in MB, versions, last loss). The Swift side alternates its own runs with these.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import sys
import time


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=5, help="timed steps (default 5)")
    parser.add_argument("--warmup", type=int, default=1, help="untimed steps first (default 1)")
    parser.add_argument("--threads", type=int, default=1, help="torch intra-op threads, also OMP/MKL (default 1)")
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--prompt", type=int, default=64)
    parser.add_argument("--response", type=int, default=64)
    parser.add_argument("--rank", type=int, default=4)
    parser.add_argument("--layers", default="2,4,6,8")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--decode-prompt", type=int, default=32, help="decoding prompt length (default 32)")
    parser.add_argument("--new-tokens", type=int, default=64, help="greedy tokens to decode (default 64)")
    parser.add_argument("--serve", action="store_true", help="answer timed runs on stdin (see above)")
    args = parser.parse_args()
    if min(args.steps, args.threads, args.batch, args.prompt, args.response, args.rank, args.decode_prompt, args.new_tokens) < 1 or args.warmup < 0:
        parser.error("counts must be at least 1 (--warmup at least 0)")
    for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[name] = str(args.threads)
    import torch

    torch.set_num_threads(args.threads)
    with contextlib.redirect_stdout(sys.stderr):
        import pyreft
        import pyvene  # noqa: F401  (pyreft's backend; its import notice goes to stderr)
    from transformers import GPT2Config, GPT2LMHeadModel

    torch.manual_seed(args.seed)
    config = GPT2Config(vocab_size=50257, n_positions=1024, n_embd=768, n_layer=12, n_head=12,
                        resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0)
    model = GPT2LMHeadModel(config)
    model.eval()  # dropout off in the base, as in pyreft's examples; the base is frozen below
    layers = [int(x) for x in args.layers.split(",")]
    representations = []
    for layer in layers:
        for _ in ("prefix", "suffix"):
            representations.append({
                "layer": layer, "component": "block_output", "low_rank_dimension": args.rank,
                "intervention": pyreft.LoreftIntervention(embed_dim=768, low_rank_dimension=args.rank, dtype=torch.float32)})
    with contextlib.redirect_stdout(sys.stderr):
        reft_model = pyreft.get_reft_model(model, pyreft.ReftConfig(representations=representations))
    trainable = sum(p.numel() for p in reft_model.parameters() if p.requires_grad)
    parameters = [p for p in reft_model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(parameters, lr=4e-3, weight_decay=0.0)

    length = args.prompt + args.response
    generator = torch.Generator().manual_seed(args.seed + 1)
    ids = torch.randint(0, 50257, (args.batch, length), generator=generator)
    mask = torch.ones_like(ids)
    labels = ids.clone()
    labels[:, :args.prompt] = -100
    # One location list per intervention, [intervention][row][position]: prefix at 0, suffix at the last prompt token.
    locations = []
    for _ in layers:
        locations.append([[0] for _ in range(args.batch)])
        locations.append([[args.prompt - 1] for _ in range(args.batch)])

    def step():
        _, outputs = reft_model({"input_ids": ids, "attention_mask": mask},
                                unit_locations={"sources->base": (None, locations)}, labels=labels)
        outputs.loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        return outputs.loss.item()

    decode_prompt = torch.randint(0, 50257, (1, args.decode_prompt), generator=generator)
    decode_locations = []
    for _ in layers:
        decode_locations.append([[0]])
        decode_locations.append([[args.decode_prompt - 1]])

    def decode():
        with torch.inference_mode():
            _, steered = reft_model.generate(
                {"input_ids": decode_prompt, "attention_mask": torch.ones_like(decode_prompt)},
                unit_locations={"sources->base": (None, decode_locations)}, intervene_on_prompt=True,
                max_new_tokens=args.new_tokens, min_new_tokens=args.new_tokens, do_sample=False, use_cache=True,
                pad_token_id=50256)
        if steered.shape != (1, args.decode_prompt + args.new_tokens):
            raise SystemExit(f"pyreft generate gave {list(steered.shape)}, expected [1, {args.decode_prompt + args.new_tokens}]")
        return steered

    def summary(extra):
        import transformers
        return {"schema": "interchange.bench.pyreft-step", "version": 2, "threads": args.threads,
                "trainable_parameters": trainable, "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
                "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0, "torch": torch.__version__,
                "transformers": transformers.__version__, "pyreft": getattr(pyreft, "__version__", "0.1.0"), **extra}

    def emit(payload):
        sys.stdout.write(json.dumps(payload) + "\n")
        sys.stdout.flush()

    loss = 0.0
    for _ in range(args.warmup):
        loss = step()
    decode()
    if args.serve:
        emit({"ready": True, "threads": args.threads, "trainable_parameters": trainable})
        for line in sys.stdin:
            command = line.strip()
            if command == "done":
                break
            start = time.perf_counter()
            if command == "step":
                loss = step()
            elif command == "decode":
                decode()
            else:
                raise SystemExit(f"unknown command {command!r}: expected step, decode or done")
            emit({"seconds": time.perf_counter() - start, "loss": loss})
        emit(summary({"last_loss": loss}))
        return 0
    times, decode_times = [], []
    for _ in range(args.steps):
        start = time.perf_counter()
        loss = step()
        times.append(time.perf_counter() - start)
        start = time.perf_counter()
        decode()
        decode_times.append(time.perf_counter() - start)
    emit(summary({"steps": args.steps, "best_step_seconds": min(times), "mean_step_seconds": sum(times) / len(times),
                  "steps_per_second": 1 / min(times), "last_loss": loss, "best_decode_seconds": min(decode_times),
                  "decode_tokens_per_second": args.new_tokens / min(decode_times)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
