#!/usr/bin/env python3
"""Checks that a token-task model written by Interchange (TokenTaskCheckpoint) loads in Hugging Face
transformers and tokenizers and computes what Interchange computes.

Usage:
    scripts/check_token_task_model.py DIR [DIR ...]

For each DIR (config.json, model.safetensors, tokenizer.json, token-task.json): loads the model with
AutoModelForCausalLM and the tokenizer with `tokenizers`, encodes every recorded prompt and compares
the ids with Interchange's, then compares the last position's logits. Prints the largest difference and
whether the answer token is the argmax; exits 1 when ids differ, a logit differs by more than 1e-4,
or a file does not load.
"""
import json
import sys

import torch
from tokenizers import Tokenizer
from transformers import AutoModelForCausalLM


def check(directory: str) -> bool:
    model = AutoModelForCausalLM.from_pretrained(directory, dtype=torch.float32)
    model.eval()
    tokenizer = Tokenizer.from_file(f"{directory}/tokenizer.json")
    with open(f"{directory}/token-task.json") as handle:
        report = json.load(handle)
    assert report["schema"] == "interchange.token-task-model", report["schema"]
    ok = True
    worst = 0.0
    right = 0
    for entry in report["checks"]:
        ids = tokenizer.encode(entry["prompt"]).ids
        if ids != entry["ids"]:
            print(f"  ids differ for {entry['prompt']!r}: tokenizers {ids}, Interchange {entry['ids']}")
            ok = False
        with torch.no_grad():
            logits = model(torch.tensor([entry["ids"]])).logits[0, -1]
        worst = max(worst, (logits - torch.tensor(entry["lastLogits"])).abs().max().item())
        right += int(logits.argmax().item() == entry["answer"])
        for slot, position in entry["positions"].items():
            if slot != "last":
                token = tokenizer.id_to_token(entry["ids"][position])
                assert token is not None, (slot, position)
    print(f"{directory}: {type(model).__name__} ({sum(p.numel() for p in model.parameters())} parameters), "
          f"tokenizer of {tokenizer.get_vocab_size()} tokens; task {report['task']}, "
          f"held-out accuracy recorded {report['heldOutAccuracy']:.4f}; {len(report['checks'])} prompts: ids equal: {ok}, "
          f"max |transformers - Interchange| last-position logit = {worst:.3g}, transformers' argmax is the answer "
          f"on {right}/{len(report['checks'])}")
    example = report["checks"][0]
    print(f"  e.g. {example['prompt']!r} -> {[tokenizer.id_to_token(i) for i in example['ids']]}")
    return ok and worst <= 1e-4


def main() -> int:
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    results = [check(directory) for directory in sys.argv[1:]]
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
