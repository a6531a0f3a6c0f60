#!/usr/bin/env python3
"""Boundless DAS with pyvene 0.1.8 on a token-task transformer checkpoint, beside Interchange's `das-search`.

    .venv-reference/bin/python bench/reference/pyvene_transformer_das.py --model DIR \
        --train train.jsonl --test test.jsonl --layers 0,1 --position X --seeds 0,1,2 \
        --epochs 3 --batch-size 16 --lr 1e-3 [--steps N] [--threads 1]

The model directory is a Hugging Face GPT-2 checkpoint as Interchange writes it for a token task
(config.json, model.safetensors, tokenizer.json, token-task.json); it is loaded with
`transformers.GPT2LMHeadModel.from_pretrained` and first checked against the last-position logits
that Interchange stored in token-task.json (the same network on both sides, or a clear error).

The data are the counterfactual files Interchange exports (JSON Lines, format below), so both sides
train and score on the same examples. For each layer and seed this runs pyvene's boundless DAS the way
its Boundless DAS tutorial does (price tagging): an `IntervenableModel` with one
`BoundlessRotatedSpaceIntervention` at `block_output` of the layer, the source's representation at the
source position swapped into the base at the base position, cross-entropy of the last position's logits
against the counterfactual answer token, backward, Adam; with the recipe given by the flags, which the
driver (compare_transformer_das.py) sets to Interchange's:

  - steps: --epochs over the training file in batches of --batch-size (the last batch of an epoch may be
    short), the order reshuffled each epoch from the seed; or exactly --steps steps (cycling epochs);
  - learning rate: Adam at --lr for the rotation and --boundary-lr for the boundary, a linear warm-up over
    --warmup-fraction of the steps, then linear decay to 0 (--schedule linear, transformers'
    get_linear_schedule_with_warmup as in the tutorial) or constant (--schedule constant);
  - temperature: from --temperature-start to --temperature-end, linearly over the steps (set after each
    step, as the tutorial does);
  - the tutorial's boundary loss (--boundary-loss times the boundary, which pulls the interval smaller)
    is added to the cross-entropy; 0 turns it off.

pyvene's boundless intervention has its own parametrization of the mask (lower edge fixed at 0, upper
edge = clamp(b, 0.001, 1) * width, b initialised to 0.5; the rotation is `orthogonal`-parametrized and
stepped by Adam through the matrix exponential). It is used as pyvene ships it: what is compared is the
library, on the same network, data and recipe.

IIA on each test file: the fraction of examples whose intervened argmax at the last position (over the
whole vocabulary, or over the answer tokens with --answers-only) is the counterfactual answer; also on the
examples whose answer the intervention changes (label != baseLabel) alone ("iia_changed"). The learned
size: the number of rotated coordinates whose mask weight is above 0.5 at the final temperature.

Prints one JSON line: {"library": "pyvene", "runs": [{"layer", "seed", "steps", "seconds", "iia": {file: value},
"iia_changed", "learned_size", "final_loss"}, ...], versions, thread count, the checkpoint check}.

Data format (interchange.token-task-counterfactuals, JSON Lines): a header line
{"schema": "interchange.token-task-counterfactuals", "version": 1, "task": ..., "variables": [...], "count": N, ...}
then one line per example:
{"base": [ids], "sources": [[ids], ...], "basePositions": {"X": 8, ..., "last": 20},
 "sourcePositions": [{"X": ...}, ...], "label": answer id, "baseLabel": base answer id}
One source per intervened variable; boundless DAS aligns one variable, so one source.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402  (no torch at import time)


# --------------------------------------------------------------------------------------------
# Files


def read_counterfactuals(path: str):
    """The header and examples of an interchange.token-task-counterfactuals file, checked line by line."""
    def fail(line: int, reason: str):
        raise common.ReferenceError(f"{path}: line {line}: {reason}")

    try:
        handle = open(path, encoding="utf-8")
    except OSError as error:
        raise common.ReferenceError(f"{path}: cannot read: {error}")
    header, examples = None, []
    with handle:
        for number, text in enumerate(handle, start=1):
            if not text.strip():
                continue
            try:
                value = json.loads(text)
            except json.JSONDecodeError as error:
                fail(number, f"not valid JSON ({error.msg})")
            if header is None:
                if not isinstance(value, dict) or value.get("schema") != "interchange.token-task-counterfactuals":
                    fail(number, "expected the header {\"schema\": \"interchange.token-task-counterfactuals\", ...}")
                if value.get("version") != 1:
                    fail(number, f"version {value.get('version')!r}: this script reads version 1")
                header = value
                continue
            for key in ("base", "sources", "basePositions", "sourcePositions", "label"):
                if key not in value:
                    fail(number, f"missing \"{key}\"")
            ids = [value["base"]] + list(value["sources"])
            if not all(isinstance(row, list) and row and all(isinstance(t, int) and t >= 0 for t in row) for row in ids):
                fail(number, "\"base\" and each of \"sources\" must be non-empty lists of token ids")
            if len(value["sourcePositions"]) != len(value["sources"]):
                fail(number, f"{len(value['sources'])} sources but {len(value['sourcePositions'])} source position maps")
            if not isinstance(value["label"], int):
                fail(number, "\"label\" must be a token id")
            value["line"] = number
            examples.append(value)
    if header is None:
        raise common.ReferenceError(f"{path}: empty file (expected a header line and examples)")
    if isinstance(header.get("count"), int) and header["count"] != len(examples):
        raise common.ReferenceError(f"{path}: the header says {header['count']} examples, the file has {len(examples)}")
    return header, examples


def load_checkpoint(directory: str, torch):
    """GPT2LMHeadModel from `directory`, checked against the last-position logits in token-task.json."""
    import transformers
    from transformers import GPT2LMHeadModel

    transformers.logging.set_verbosity_error()
    try:
        model = GPT2LMHeadModel.from_pretrained(directory, dtype=torch.float32)
    except Exception as error:  # transformers raises many kinds: name the directory
        raise common.ReferenceError(f"{directory}: transformers cannot load the checkpoint: {error}")
    model.eval()
    check = {"checked_prompts": 0, "max_abs_logit_difference": None}
    metadata_path = os.path.join(directory, "token-task.json")
    if os.path.exists(metadata_path):
        with open(metadata_path, encoding="utf-8") as handle:
            metadata = json.load(handle)
        worst = 0.0
        with torch.no_grad():
            for prompt in metadata.get("checks", []):
                logits = model(torch.tensor([prompt["ids"]])).logits[0, -1]
                expected = torch.tensor(prompt["lastLogits"], dtype=torch.float32)
                if logits.shape != expected.shape:
                    raise common.ReferenceError(f"{metadata_path}: logits of {expected.shape[0]} tokens stored, the model gives {logits.shape[0]}")
                worst = max(worst, float((logits - expected).abs().max()))
                check["checked_prompts"] += 1
        check["max_abs_logit_difference"] = worst
        if worst > 1e-3:
            raise common.ReferenceError(f"{directory}: transformers' logits differ from Interchange's by {worst:.3g} (> 1e-3)")
        check["task"] = metadata.get("task")
        check["held_out_accuracy"] = metadata.get("heldOutAccuracy")
    return model, check


# --------------------------------------------------------------------------------------------
# Boundless DAS with pyvene


class Recipe:
    """What Interchange's das-search does, in the terms of the tutorial's loop."""

    def __init__(self, args):
        self.batch_size = args.batch_size
        self.learning_rate = args.lr
        self.boundary_learning_rate = args.boundary_lr if args.boundary_lr is not None else args.lr
        self.warmup_fraction = args.warmup_fraction
        self.schedule = args.schedule
        self.temperature_start = args.temperature_start
        self.temperature_end = args.temperature_end
        self.boundary_loss = args.boundary_loss
        self.answers_only = args.answers_only

    def describe(self):
        return dict(self.__dict__)


class BoundlessDAS:
    """One pyvene IntervenableModel with a BoundlessRotatedSpaceIntervention at block_output of `layer`.

    `step(base_ids, source_ids, base_positions, source_positions, labels)` is one training step as the
    tutorial takes it: the intervened forward (pyvene runs the source through the model to collect its
    representation, then the base with the swap hooked in), the loss, backward, Adam, the schedule, the
    temperature, zero grad.
    """

    def __init__(self, model, layer: int, recipe: Recipe, total_steps: int, seed: int, torch, pyvene,
                 answer_ids=None, last_logits_only: bool = False):
        self.torch, self.recipe, self.total_steps = torch, recipe, max(total_steps, 1)
        torch.manual_seed(seed)  # the rotation's initialisation (RotateLayer: orthogonal_ of a Gaussian)
        config = pyvene.IntervenableConfig(
            model_type=type(model),
            representations=[pyvene.RepresentationConfig(layer, "block_output")],
            intervention_types=pyvene.BoundlessRotatedSpaceIntervention,
        )
        self.intervenable = pyvene.IntervenableModel(config, model)
        self.intervenable.disable_model_gradients()
        self.intervention = next(iter(self.intervenable.interventions.values()))
        if isinstance(self.intervention, (list, tuple)):
            self.intervention = self.intervention[0]
        self.width = model.config.n_embd
        groups = [{"params": list(self.intervention.rotate_layer.parameters())},
                  {"params": [self.intervention.intervention_boundaries], "lr": recipe.boundary_learning_rate}]
        self.optimizer = torch.optim.Adam(groups, lr=recipe.learning_rate)
        warmup = int(recipe.warmup_fraction * self.total_steps)
        if recipe.schedule == "linear":
            from transformers import get_linear_schedule_with_warmup
            self.scheduler = get_linear_schedule_with_warmup(self.optimizer, num_warmup_steps=warmup, num_training_steps=self.total_steps)
        else:
            from transformers import get_constant_schedule_with_warmup
            self.scheduler = get_constant_schedule_with_warmup(self.optimizer, num_warmup_steps=warmup)
        self.answer_ids = torch.tensor(sorted(answer_ids)) if answer_ids else None
        self.last_logits_only = last_logits_only
        self.steps_taken = 0
        self._set_temperature(0)

    def _set_temperature(self, step: int):
        r = self.recipe
        value = r.temperature_start + (r.temperature_end - r.temperature_start) * min(step, self.total_steps) / self.total_steps
        self.intervenable.set_temperature(self.torch.tensor(value))

    def _inputs(self, ids):
        inputs = {"input_ids": ids}
        if self.last_logits_only:
            inputs["logits_to_keep"] = 1  # only the last position's logits: the loss reads nothing else
        return inputs

    def logits(self, base_ids, source_ids, base_positions, source_positions):
        """The last position's logits [batch, vocab] (or [batch, answers]) with the intervention."""
        locations = {"sources->base": ([[[p] for p in source_positions]], [[[p] for p in base_positions]])}
        _, outputs = self.intervenable(self._inputs(base_ids), [self._inputs(source_ids)], locations)
        last = outputs.logits[:, -1, :]
        if self.recipe.answers_only and self.answer_ids is not None:
            last = last[:, self.answer_ids]
        return last

    def targets(self, labels):
        if self.recipe.answers_only and self.answer_ids is not None:
            lookup = {int(a): i for i, a in enumerate(self.answer_ids.tolist())}
            return self.torch.tensor([lookup[int(label)] for label in labels])
        return labels

    def step(self, base_ids, source_ids, base_positions, source_positions, labels) -> float:
        torch = self.torch
        logits = self.logits(base_ids, source_ids, base_positions, source_positions)
        loss = torch.nn.functional.cross_entropy(logits, self.targets(labels))
        if self.recipe.boundary_loss:
            loss = loss + self.recipe.boundary_loss * self.intervention.intervention_boundaries.sum()
        loss.backward()
        self.optimizer.step()
        self.scheduler.step()
        self.intervenable.set_zero_grad()
        self.steps_taken += 1
        self._set_temperature(self.steps_taken)
        return float(loss.detach())

    def predictions(self, base_ids, source_ids, base_positions, source_positions):
        with self.torch.no_grad():
            logits = self.logits(base_ids, source_ids, base_positions, source_positions)
        chosen = logits.argmax(dim=-1)
        if self.recipe.answers_only and self.answer_ids is not None:
            chosen = self.answer_ids[chosen]
        return chosen

    def learned_size(self) -> int:
        """Rotated coordinates whose mask weight is above 0.5 at the current temperature."""
        torch = self.torch
        with torch.no_grad():
            boundary = torch.clamp(self.intervention.intervention_boundaries, 1e-3, 1)[0] * self.width
            population = torch.arange(self.width, dtype=torch.float32)
            temperature = self.intervention.temperature
            mask = torch.sigmoid(population / temperature) * torch.sigmoid((boundary - population) / temperature)
        return int((mask > 0.5).sum())


# --------------------------------------------------------------------------------------------
# Runs


def tensors(examples, position: str, torch):
    """Token ids [N, T] of bases and sources, positions and labels, for one aligned position name."""
    lengths = {len(e["base"]) for e in examples} | {len(e["sources"][0]) for e in examples}
    if len(lengths) != 1:
        raise common.ReferenceError(f"prompts of different lengths {sorted(lengths)}: this script batches equal-length prompts only")
    def where(positions, line):
        if position not in positions:
            raise common.ReferenceError(f"line {line}: no position {position!r} (the file has {sorted(positions)})")
        return positions[position]
    base = torch.tensor([e["base"] for e in examples])
    source = torch.tensor([e["sources"][0] for e in examples])
    base_positions = [where(e["basePositions"], e["line"]) for e in examples]
    source_positions = [where(e["sourcePositions"][0], e["line"]) for e in examples]
    labels = torch.tensor([e["label"] for e in examples])
    return base, source, base_positions, source_positions, labels


def iia(das: BoundlessDAS, data, batch_size: int) -> float:
    base, source, base_positions, source_positions, labels = data
    correct = 0
    for start in range(0, base.shape[0], batch_size):
        end = start + batch_size
        chosen = das.predictions(base[start:end], source[start:end], base_positions[start:end], source_positions[start:end])
        correct += int((chosen == labels[start:end]).sum())
    return correct / max(1, base.shape[0])


def train(das: BoundlessDAS, data, steps: int, batch_size: int, seed: int, torch, deadline=None):
    """`steps` steps over seeded per-epoch shuffles of `data`; stops early at `deadline` (perf_counter)."""
    base, source, base_positions, source_positions, labels = data
    count = base.shape[0]
    generator = torch.Generator().manual_seed(seed + 0x5EED)
    losses, step = [], 0
    while step < steps:
        order = torch.randperm(count, generator=generator).tolist()
        for start in range(0, count, batch_size):
            if step >= steps or (deadline is not None and time.perf_counter() >= deadline):
                return losses
            rows = order[start:start + batch_size]
            losses.append(das.step(base[rows], source[rows], [base_positions[i] for i in rows],
                                   [source_positions[i] for i in rows], labels[rows]))
            step += 1
    return losses


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, help="Hugging Face GPT-2 directory written by Interchange")
    parser.add_argument("--train", required=True, help="training counterfactuals (JSON Lines)")
    parser.add_argument("--test", action="append", required=True, help="test counterfactuals (repeatable)")
    parser.add_argument("--layers", required=True, help="comma-separated layer indices (site block_output)")
    parser.add_argument("--position", default="last", help="position name in the data (a slot such as X, or last)")
    parser.add_argument("--seeds", default="0,1,2", help="comma-separated rotation seeds (default 0,1,2)")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--steps", type=int, help="exactly this many steps instead of --epochs")
    parser.add_argument("--seconds", type=float, help="stop training after this many seconds (schedule still planned for the full run)")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--boundary-lr", type=float, help="the boundary's learning rate (default: --lr; the tutorial uses 1e-2)")
    parser.add_argument("--warmup-fraction", type=float, default=0.0)
    parser.add_argument("--schedule", choices=["linear", "constant"], default="linear")
    parser.add_argument("--temperature-start", type=float, default=50.0)
    parser.add_argument("--temperature-end", type=float, default=0.1)
    parser.add_argument("--boundary-loss", type=float, default=0.0, help="weight of the tutorial's boundary loss (tutorial: 1.0)")
    parser.add_argument("--answers-only", action="store_true", help="loss and argmax over the answer tokens only")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    if min(args.epochs, args.batch_size, args.threads) < 1 or (args.steps is not None and args.steps < 1):
        parser.error("--epochs, --steps, --batch-size and --threads must be at least 1")
    if not (args.lr > 0 and math.isfinite(args.lr)) or not (0 <= args.warmup_fraction < 1):
        parser.error("--lr must be positive and finite, --warmup-fraction in [0, 1)")
    try:
        layers = [int(x) for x in args.layers.split(",")]
        seeds = [int(x) for x in args.seeds.split(",")]
    except ValueError:
        parser.error("--layers and --seeds are comma-separated integers")

    torch, pyvene = common.import_torch_and_pyvene(args.threads)
    model, check = load_checkpoint(args.model, torch)
    if any(not 0 <= layer < model.config.n_layer for layer in layers):
        parser.error(f"--layers {args.layers}: the model has layers 0..{model.config.n_layer - 1}")
    header, train_examples = read_counterfactuals(args.train)
    train_data = tensors(train_examples, args.position, torch)
    tests, changed = {}, {}
    answer_ids = set(int(x) for x in train_data[4].tolist())
    for path in args.test:
        _, examples = read_counterfactuals(path)
        tests[os.path.basename(path)] = tensors(examples, args.position, torch)
        # IIA means something only where the intervention changes the answer: also scored on those alone.
        moved = [e for e in examples if e.get("baseLabel") is not None and e["baseLabel"] != e["label"]]
        if moved:
            changed[os.path.basename(path)] = tensors(moved, args.position, torch)
        answer_ids |= set(int(x) for x in tests[os.path.basename(path)][4].tolist())
    answer_ids |= set(header.get("answerIds", []))
    recipe = Recipe(args)
    per_epoch = math.ceil(train_data[0].shape[0] / args.batch_size)
    steps = args.steps if args.steps is not None else args.epochs * per_epoch

    runs = []
    for layer in layers:
        for seed in seeds:
            das = BoundlessDAS(model, layer, recipe, steps, seed, torch, pyvene, answer_ids=answer_ids)
            start = time.perf_counter()
            deadline = start + args.seconds if args.seconds is not None else None
            losses = train(das, train_data, steps, args.batch_size, seed, torch, deadline)
            trained = time.perf_counter() - start
            scores = {name: iia(das, data, 256) for name, data in tests.items()}
            scores_changed = {name: iia(das, data, 256) for name, data in changed.items()}
            runs.append({"layer": layer, "seed": seed, "steps": das.steps_taken, "planned_steps": steps,
                         "seconds": trained, "seconds_with_evaluation": time.perf_counter() - start,
                         "iia": scores, "iia_changed": scores_changed, "learned_size": das.learned_size(),
                         "final_loss": losses[-1] if losses else None})
            print(f"[pyvene] layer {layer} seed {seed}: {das.steps_taken} steps in {trained:.1f} s, IIA {scores}, "
                  f"size {runs[-1]['learned_size']}", file=sys.stderr)
    common.print_json({"library": "pyvene", **common.versions(), "threads": args.threads, "model": args.model,
                       "checkpoint_check": check, "position": args.position, "recipe": recipe.describe(),
                       "steps": steps, "train_examples": train_data[0].shape[0], "runs": runs})


if __name__ == "__main__":
    common.run(main)
