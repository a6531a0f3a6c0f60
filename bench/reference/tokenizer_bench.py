"""Encoding throughput of the Hugging Face `tokenizers` library on one thread, the reference for `bench tokenizer`.

    python bench/reference/tokenizer_bench.py --file datasets/multilingual-corpus.txt \
        --tokenizer Tests/Fixtures/tokenizers/llama3-large.json [--repetitions 9] [--ids-out ids.json]

Each timed run builds a fresh Tokenizer from the file (not timed), so its word cache starts empty, then times
`tokenizer.encode(text, add_special_tokens=False)` of the whole text (--mode whole), or
`tokenizer.encode_batch(lines, add_special_tokens=False)` of its lines split on "\n" (--mode lines; one thread,
so the lines are encoded one after another). Prints one JSON line: the median seconds,
MB/s (10^6 UTF-8 bytes per second), tokens per second, the token count, and the library version. With --ids-out,
writes the ids as a JSON array so the caller can check they equal its own.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time

# One thread: set before `tokenizers` is imported (its Rayon pool reads these once).
os.environ["RAYON_NUM_THREADS"] = "1"
os.environ["TOKENIZERS_PARALLELISM"] = "false"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--file", required=True, help="UTF-8 text to encode (as one string)")
    parser.add_argument("--tokenizer", required=True, help="tokenizer.json")
    parser.add_argument("--repetitions", type=int, default=9, help="timed runs; the median is reported")
    parser.add_argument("--mode", choices=["whole", "lines"], default="whole",
                        help="encode the text as one string, or each line (split on \\n) separately")
    parser.add_argument("--ids-out", help="write the ids of the text to this file as a JSON array")
    args = parser.parse_args()
    if args.repetitions < 1:
        print("--repetitions must be at least 1", file=sys.stderr)
        return 2

    import tokenizers
    from tokenizers import Tokenizer

    with open(args.file, encoding="utf-8") as f:
        text = f.read()
    size = len(text.encode("utf-8"))

    lines = text.split("\n")

    def encode(tokenizer) -> list[int]:
        if args.mode == "whole":
            return tokenizer.encode(text, add_special_tokens=False).ids
        return [i for encoding in tokenizer.encode_batch(lines, add_special_tokens=False) for i in encoding.ids]

    encode(Tokenizer.from_file(args.tokenizer))  # warm-up (page cache, allocator)
    times = []
    ids = []
    for _ in range(args.repetitions):
        tokenizer = Tokenizer.from_file(args.tokenizer)
        start = time.perf_counter()
        ids = encode(tokenizer)
        times.append(time.perf_counter() - start)
    seconds = statistics.median(times)
    if args.ids_out:
        with open(args.ids_out, "w") as f:
            json.dump(ids, f)
    print(json.dumps({
        "library": f"tokenizers {tokenizers.__version__}",
        "threads": 1,
        "mode": args.mode,
        "bytes": size,
        "tokens": len(ids),
        "seconds": seconds,
        "megabytes_per_second": size / seconds / 1e6,
        "tokens_per_second": len(ids) / seconds,
        "repetitions": args.repetitions,
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
