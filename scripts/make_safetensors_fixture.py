#!/usr/bin/env python3
"""Write Tests/Fixtures/safetensors/python-written.safetensors with the reference `safetensors` library.

    .venv-reference/bin/python scripts/make_safetensors_fixture.py

A file the reference writer made (its header layout, padding and tensor order), so the tests check that Interchange
reads such files and not only its own. Every value is exact in its dtype, so the tests compare them exactly:

  f32    F32  [2, 3]  0.5 * i - 1 for i = 0..5
  f16    F16  [3]     1.5, -2, 65504 (the largest F16)
  bf16   BF16 [2, 2]  1, -2, 0.5, 3.140625
  ids    I64  [3]     0, -7, 2**40
  mask   U8   [2]     1, 255 (a dtype Interchange parses but does not convert)
  empty  F32  [0, 2]
  __metadata__ {"format": "pt", "writer": "safetensors <version>"}

Deterministic: the same library version writes the same bytes (refuses other versions than the pin in
bench/reference/requirements.txt unless --any-version).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import safetensors
import torch
from safetensors.torch import save_file

PINNED = "0.8.0"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--any-version", action="store_true", help="run with a safetensors other than the pinned one")
    args = parser.parse_args()
    if safetensors.__version__ != PINNED and not args.any_version:
        raise SystemExit(f"safetensors {safetensors.__version__} is not the pinned {PINNED} (use --any-version)")
    tensors = {
        "f32": (torch.arange(6, dtype=torch.float32) * 0.5 - 1).reshape(2, 3),
        "f16": torch.tensor([1.5, -2, 65504], dtype=torch.float16),
        "bf16": torch.tensor([[1, -2], [0.5, 3.140625]], dtype=torch.bfloat16),
        "ids": torch.tensor([0, -7, 2**40], dtype=torch.int64),
        "mask": torch.tensor([1, 255], dtype=torch.uint8),
        "empty": torch.zeros(0, 2, dtype=torch.float32),
    }
    out = Path(__file__).resolve().parent.parent / "Tests" / "Fixtures" / "safetensors" / "python-written.safetensors"
    out.parent.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(out), metadata={"format": "pt", "writer": f"safetensors {safetensors.__version__}"})
    print(f"{out}: {out.stat().st_size} bytes")


if __name__ == "__main__":
    main()
