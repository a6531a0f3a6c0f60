#!/usr/bin/env python3
"""Write the committed test fixtures under Tests/Fixtures/ from seeded random weights and the reference libraries.

    bash bench/reference/setup.sh                                   # the pinned virtualenv, once
    .venv-reference/bin/python scripts/make_fixtures.py             # everything
    .venv-reference/bin/python scripts/make_fixtures.py --only models

Runs with whatever Python invokes it (use the reference virtualenv: transformers, tokenizers and torch at the versions
pinned in bench/reference/requirements.txt and constraints.txt; other versions are refused unless --any-version, since the bytes would
differ). Deterministic: fixed seeds, one torch thread, so running it twice writes the same bytes.

  models      Tests/Fixtures/models/<name>/ from scripts/fixtures/transformer_fixtures.py: gpt2, llama-gqa, qwen2-bias,
              llama-sharded, llama-bf16 (config.json, weights, tokenizer.json, reference.safetensors)
  tokenizers  Tests/Fixtures/tokenizers/ from scripts/fixtures/tokenizer_fixtures.py
  pyreft      Tests/Fixtures/reft/pyreft/ from scripts/fixtures/pyreft_fixtures.py (pyreft adapters on the models)

Each part is built in a temporary sibling directory and renamed into place only when all of it succeeded, so a failed
run leaves the previous fixtures untouched. Prints one JSON line per model with what it checked and measured.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
from importlib import metadata
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# Rayon (tokenizers' trainer) and torch on one thread: the same bytes on every machine.
os.environ.setdefault("RAYON_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
sys.path.insert(0, str(REPO / "scripts"))
PINNED = ("torch", "transformers", "tokenizers", "safetensors")


def pinned_versions() -> dict:
    pins = {}
    reference = REPO / "bench" / "reference"
    lines = (reference / "requirements.txt").read_text().splitlines() + (reference / "constraints.txt").read_text().splitlines()
    for line in lines:
        line = line.split("#", 1)[0].strip()
        match = re.fullmatch(r"([A-Za-z0-9_.-]+)==(\S+)", line)
        if match and match.group(1).lower() in PINNED:
            pins[match.group(1).lower()] = match.group(2)
    return pins


def check_versions() -> None:
    wrong = []
    for name, wanted in pinned_versions().items():
        try:
            have = metadata.version(name)
        except metadata.PackageNotFoundError:
            have = "not installed"
        if have != wanted:
            wrong.append(f"{name} {have} (pinned {wanted})")
    if wrong:
        sys.exit(f"error: {sys.executable} has {', '.join(wrong)}; run `bash bench/reference/setup.sh` and use "
                 f".venv-reference/bin/python, or pass --any-version")


def replace_directory(target: Path, build) -> None:
    """build(temporary) fills a fresh temporary sibling of target; on success it replaces target by renames."""
    temporary = target.with_name(target.name + ".tmp")
    previous = target.with_name(target.name + ".old")
    for leftover in (temporary, previous):
        if leftover.exists():
            shutil.rmtree(leftover)
    try:
        build(temporary)
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise
    if target.exists():
        target.rename(previous)
    temporary.rename(target)
    shutil.rmtree(previous, ignore_errors=True)


def make_models() -> None:
    from fixtures import transformer_fixtures

    def build(directory: Path) -> None:
        for summary in transformer_fixtures.main(REPO, directory):
            print(json.dumps(summary), flush=True)

    replace_directory(REPO / "Tests" / "Fixtures" / "models", build)


def make_tokenizers() -> None:
    from fixtures import tokenizer_fixtures

    def build(directory: Path) -> None:
        # tokenizer_fixtures.main(root) reads root/datasets/ and writes root/Tests/Fixtures/tokenizers/: give it a
        # scratch root whose datasets/ is the repository's, then move what it wrote to the temporary directory.
        scratch = directory.with_name(".tokenizers-scratch")
        if scratch.exists():
            shutil.rmtree(scratch)
        (scratch / "Tests" / "Fixtures").mkdir(parents=True)
        (scratch / "datasets").symlink_to(REPO / "datasets", target_is_directory=True)
        try:
            tokenizer_fixtures.main(scratch)
            (scratch / "Tests" / "Fixtures" / "tokenizers").rename(directory)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)

    replace_directory(REPO / "Tests" / "Fixtures" / "tokenizers", build)


def make_pyreft() -> None:
    from fixtures import pyreft_fixtures

    # Built on Tests/Fixtures/models (so after the models); swaps its own directory into place when complete.
    for summary in pyreft_fixtures.main(REPO):
        print(json.dumps(summary), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", choices=["models", "tokenizers", "pyreft"], action="append",
                        help="write only this part (repeatable; default: all)")
    parser.add_argument("--any-version", action="store_true", help="run with library versions other than the pins")
    args = parser.parse_args()
    if not args.any_version:
        check_versions()
    parts = args.only or ["tokenizers", "models", "pyreft"]
    if "tokenizers" in parts:
        make_tokenizers()
    if "models" in parts:
        make_models()
    if "pyreft" in parts:
        make_pyreft()


if __name__ == "__main__":
    main()
