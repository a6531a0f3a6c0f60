#!/usr/bin/env python3
"""Time HF transformers' GPT-2 small on CPU torch: a batched forward pass and greedy decoding with the KV cache.

    .venv-reference/bin/python bench/reference/transformers_bench.py --threads 1 --batch 8 --seq 128 \
        --prompt 32 --new-tokens 64 [--repetitions 3]

The model is GPT2LMHeadModel(GPT2Config()): the GPT-2 small shape (12 layers, width 768, 12 heads, vocabulary 50257,
1024 positions, tied head), with transformers' own initialization under torch.manual_seed(--seed) (random weights:
speed does not depend on their values). float32, eval mode, under torch.inference_mode(), the default attention
implementation of this transformers version (sdpa; --attention eager to compare), torch.set_num_threads(--threads)
with OMP/MKL set to the same count before torch is imported.

  forward  model(ids) on --batch x --seq seeded random ids, full logits [batch, seq, vocab] as model(ids) computes
           them (no cache). forward_tokens_per_second = batch * seq / seconds.
  decode   model.generate(prompt, do_sample=False, use_cache=True, min_new_tokens=N, max_new_tokens=N) at batch 1
           after a --prompt-token seeded random prompt. decode_tokens_per_second = N / seconds, where the seconds
           include the prompt's prefill (one forward of --prompt tokens) and the N - 1 cached decoding steps.

One untimed warm-up of each comes first; then --repetitions timed runs of each; the figures are the MEDIAN over the
repetitions (every run's seconds are printed too). peak_rss_mb is the process's peak resident set
(getrusage ru_maxrss, whole run, interpreter and torch included). foreign_cpu is the share of the machine other
processes used during the timed runs (0 = idle neighbours, 0.5 = one of two cores busy): figures taken beside a busy
neighbour are not comparable (--wait-idle waits for a quiet machine first). With --serve the script instead
answers one timed run per stdin line (how `bench transformer` interleaves the two sides). Otherwise it prints one
JSON line on stdout:

    {"forward_tokens_per_second": ..., "decode_tokens_per_second": ..., "peak_rss_mb": ..., "threads": ...,
     "torch": ..., "transformers": ..., ...}
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=1, help="torch intra-op threads, also OMP/MKL (default 1)")
    parser.add_argument("--batch", type=int, default=8, help="forward batch (default 8)")
    parser.add_argument("--seq", type=int, default=128, help="forward sequence length (default 128)")
    parser.add_argument("--prompt", type=int, default=32, help="decode prompt length (default 32)")
    parser.add_argument("--new-tokens", type=int, default=64, help="tokens to decode (default 64)")
    parser.add_argument("--repetitions", type=int, default=3, help="timed runs of each; the median is reported (default 3)")
    parser.add_argument("--seed", type=int, default=0, help="seed for the weights, ids and prompt (default 0)")
    parser.add_argument("--attention", choices=["sdpa", "eager"], default="sdpa",
                        help="transformers attention implementation (default sdpa, the library's default)")
    parser.add_argument("--serve", action="store_true",
                        help="after the warm-ups print {\"ready\": ...} and then time one run per stdin line "
                             "(`forward` or `decode`, answered with {\"seconds\": ...}) until `done`, which prints "
                             "the summary line: lets `bench transformer` interleave its runs with ours")
    parser.add_argument("--wait-idle", type=float, default=0.0, metavar="SECONDS",
                        help="before timing, wait up to SECONDS for other processes to leave the machine idle "
                             "(under 10%% busy over 2 s; default: do not wait)")
    args = parser.parse_args()
    for name in ("threads", "batch", "seq", "prompt", "new_tokens", "repetitions"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if args.prompt + args.new_tokens > 1024 or args.seq > 1024:
        parser.error("GPT-2 has 1024 positions: --seq and --prompt + --new-tokens must be at most 1024")
    return args


ARGS = parse_arguments()
import common  # noqa: E402  (no torch at import time)

common.set_thread_environment(ARGS.threads)
import torch  # noqa: E402

torch.set_num_threads(ARGS.threads)


def machine_times():
    """(all CPU ticks, idle ticks) of the machine, from /proc/stat."""
    with open("/proc/stat") as handle:
        fields = [int(x) for x in handle.readline().split()[1:]]
    return sum(fields[:8]), fields[3] + fields[4]


def wait_idle(limit_seconds: float, threshold: float = 0.1) -> bool:
    """True once the machine was under `threshold` busy for 2 s, False if that did not happen within the limit."""
    deadline = time.time() + limit_seconds
    while time.time() < deadline:
        total0, idle0 = machine_times()
        time.sleep(2.0)
        total1, idle1 = machine_times()
        if 1.0 - (idle1 - idle0) / max(1, total1 - total0) < threshold:
            return True
    return False


def own_cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def build_model():
    import transformers
    from transformers import GPT2Config, GPT2LMHeadModel

    transformers.logging.set_verbosity_error()
    torch.manual_seed(ARGS.seed)
    config = GPT2Config()
    config._attn_implementation = ARGS.attention
    model = GPT2LMHeadModel(config).float().eval()
    shape = (config.n_layer, config.n_embd, config.n_head, config.vocab_size)
    if shape != (12, 768, 12, 50257):
        raise common.ReferenceError(f"GPT2Config() is no longer GPT-2 small: layers, width, heads, vocab = {shape}")
    return model, config


def serve(runs):
    """One timed run per command read from stdin; `done` prints the summary (peak RSS, versions)."""
    import transformers

    common.print_json({"ready": True, "threads": ARGS.threads})
    sys.stdout.flush()
    for line in sys.stdin:
        command = line.strip()
        if command == "done":
            break
        if command not in runs:
            raise common.ReferenceError(f"unknown command {command!r}: expected forward, decode or done")
        start = time.perf_counter()
        runs[command]()
        common.print_json({"seconds": time.perf_counter() - start})
        sys.stdout.flush()
    common.print_json({
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
        "threads": ARGS.threads, "torch": torch.__version__, "transformers": transformers.__version__,
        "attention": ARGS.attention,
    })
    sys.stdout.flush()


def main():
    import transformers

    model, config = build_model()
    generator = torch.Generator().manual_seed(ARGS.seed + 1)
    ids = torch.randint(0, config.vocab_size, (ARGS.batch, ARGS.seq), generator=generator)
    prompt = torch.randint(0, config.vocab_size, (1, ARGS.prompt), generator=generator)
    prompt_mask = torch.ones_like(prompt)

    def forward():
        logits = model(ids).logits
        if logits.shape != (ARGS.batch, ARGS.seq, config.vocab_size):
            raise common.ReferenceError(f"forward gave logits {list(logits.shape)}")
        return logits

    def decode():
        out = model.generate(prompt, attention_mask=prompt_mask, do_sample=False, use_cache=True,
                             min_new_tokens=ARGS.new_tokens, max_new_tokens=ARGS.new_tokens,
                             pad_token_id=config.eos_token_id)
        if out.shape != (1, ARGS.prompt + ARGS.new_tokens):
            raise common.ReferenceError(f"generate gave {list(out.shape)}, expected [1, {ARGS.prompt + ARGS.new_tokens}]")
        return out

    def timed(function):
        seconds = []
        for _ in range(ARGS.repetitions):
            start = time.perf_counter()
            function()
            seconds.append(time.perf_counter() - start)
        return seconds

    with torch.inference_mode():
        forward()  # warm-up
        decode()
        if ARGS.serve:
            serve({"forward": forward, "decode": decode})
            return
        if ARGS.wait_idle > 0 and not wait_idle(ARGS.wait_idle):
            print(f"[transformers_bench] machine still busy after {ARGS.wait_idle:.0f} s; measuring anyway", file=sys.stderr)
        ticks = os.sysconf("SC_CLK_TCK")
        total0, idle0 = machine_times()
        cpu0 = own_cpu_seconds()
        forward_seconds = timed(forward)
        decode_seconds = timed(decode)
        cpu1 = own_cpu_seconds()
        total1, idle1 = machine_times()

    busy = ((total1 - total0) - (idle1 - idle0)) / ticks
    capacity = (total1 - total0) / ticks
    forward_median = statistics.median(forward_seconds)
    decode_median = statistics.median(decode_seconds)
    common.print_json({
        "forward_tokens_per_second": ARGS.batch * ARGS.seq / forward_median,
        "decode_tokens_per_second": ARGS.new_tokens / decode_median,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
        "threads": ARGS.threads,
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "library": "transformers",
        "statistic": "median",
        "repetitions": ARGS.repetitions,
        "forward_seconds": forward_seconds,
        "decode_seconds": decode_seconds,
        "batch": ARGS.batch,
        "seq": ARGS.seq,
        "prompt": ARGS.prompt,
        "new_tokens": ARGS.new_tokens,
        "attention": ARGS.attention,
        "model": "GPT2LMHeadModel(GPT2Config()): 12 layers, width 768, 12 heads, vocabulary 50257",
        "parameters": sum(p.numel() for p in model.parameters()),
        "foreign_cpu": round(max(0.0, busy - (cpu1 - cpu0)) / max(capacity, 1e-9), 3),
    })


if __name__ == "__main__":
    common.run(main)
