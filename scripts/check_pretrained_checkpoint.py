#!/usr/bin/env python3
"""Checks that a checkpoint written by `reft pretrain` loads in Hugging Face transformers and computes
what Interchange computes.

Usage:
    reft logits --model DIR --text "some prompt" --json logits.json
    scripts/check_pretrained_checkpoint.py DIR logits.json

Loads DIR with AutoModelForCausalLM and PreTrainedTokenizerFast (tokenizer.json), re-encodes nothing:
runs the ids recorded in logits.json and compares every position's logits with Interchange's.
Prints the largest difference; exits 1 when it exceeds 1e-4 (or the files do not load).
"""
import json
import sys

import torch
from transformers import AutoModelForCausalLM, PreTrainedTokenizerFast


def main() -> int:
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    directory, logits_path = sys.argv[1], sys.argv[2]
    model = AutoModelForCausalLM.from_pretrained(directory, dtype=torch.float32)
    model.eval()
    tokenizer = PreTrainedTokenizerFast(tokenizer_file=f"{directory}/tokenizer.json")
    with open(logits_path) as handle:
        report = json.load(handle)
    assert report["schema"] == "interchange.reft.logits", report["schema"]
    ids = report["ids"]
    with torch.no_grad():
        logits = model(torch.tensor([ids])).logits[0]
    ours = torch.tensor(report["logits"], dtype=torch.float32)
    difference = (logits - ours).abs().max().item()
    print(f"loaded {type(model).__name__} ({sum(p.numel() for p in model.parameters())} parameters) "
          f"and a tokenizer of {len(tokenizer)} tokens from {directory}")
    print(f"prompt {tokenizer.decode(ids)!r}: {len(ids)} positions x {ours.shape[1]} logits, "
          f"max |transformers - Interchange| = {difference:.3g}")
    return 0 if difference <= 1e-4 else 1


if __name__ == "__main__":
    sys.exit(main())
