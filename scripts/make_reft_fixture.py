#!/usr/bin/env python3
"""Write Tests/Fixtures/reft/pyreft-interventions.safetensors: pyreft 0.1.0's interventions on fixed rows.

    .venv-reference/bin/python scripts/make_reft_fixture.py

pyreft is installed without its dependencies (`pip install --no-deps pyreft==0.1.0`): only its
`interventions` module is used, which needs torch, transformers' ACT2FN and pyvene (all pinned).

For each case below, a pyreft intervention with embed_dim d = 8, low_rank_dimension k = 3, float32, no dropout
(seeded), is run in eval mode on rows h [4, 8]. The file holds, per case `<case>`:

  <case>.h                         [4, 8]  the input rows
  <case>.output                    [4, 8]  pyreft's forward(h)
  <case>.rotate_layer              [8, 3]  the evaluated orthogonal weight (rotate_layer.weight), pyreft's [d, k] layout
  <case>.learned_source.weight     [3, 8]  nn.Linear(d, k) weight (LoReFT, DiReFT, NoReFT, NodiReFT)
  <case>.learned_source.bias       [3]
  <case>.learned_source            [3]     the constant target (ConsReFT, LobiReFT)
  <case>.proj_layer.weight         [3, 8]  NoReFT, NodiReFT

Cases: loreft, loreft_tanh (act_fn "tanh"), direft, nodireft, noreft (add_bias False), consreft, lobireft.
The Swift test maps them onto Interchange's tensors as docs/adapter-format.md says and compares the outputs.
"""

from __future__ import annotations

from pathlib import Path

import torch
from safetensors.torch import save_file

import pyreft
from pyreft import interventions as I

PINNED = "0.1.0"
D, K, ROWS = 8, 3, 4


def main() -> None:
    version = getattr(pyreft, "__version__", None)
    if version not in (None, PINNED):
        raise SystemExit(f"pyreft {version} is not the pinned {PINNED}")
    torch.set_num_threads(1)
    cases = {
        "loreft": (I.LoreftIntervention, {}),
        "loreft_tanh": (I.LoreftIntervention, {"act_fn": "tanh"}),
        "direft": (I.DireftIntervention, {}),
        "nodireft": (I.NodireftIntervention, {"add_bias": False}),
        "noreft": (I.NoreftIntervention, {"add_bias": False}),
        "consreft": (I.ConsreftIntervention, {}),
        "lobireft": (I.LobireftIntervention, {}),
    }
    tensors: dict[str, torch.Tensor] = {}
    for index, (name, (cls, extra)) in enumerate(cases.items()):
        torch.manual_seed(100 + index)
        intervention = cls(embed_dim=D, low_rank_dimension=K, dtype=torch.float32, dropout=0.0, **extra)
        intervention.eval()
        with torch.no_grad():
            # Move the learned parts off their initial values, so nothing passes by a zero or an identity.
            # The orthogonal rotate_layer is left as initialized (a random orthogonal matrix): its
            # parametrization's stored tensor is not the weight, and noise there breaks the map.
            for parameter_name, parameter in intervention.named_parameters():
                if not parameter_name.startswith("rotate_layer"):
                    parameter.add_(0.3 * torch.randn_like(parameter))
            h = torch.randn(ROWS, D)
            output = intervention(h)
            tensors[f"{name}.h"] = h
            tensors[f"{name}.output"] = output
            if hasattr(intervention, "rotate_layer"):
                tensors[f"{name}.rotate_layer"] = intervention.rotate_layer.weight.detach().clone()
            if isinstance(intervention.learned_source, torch.nn.Linear):
                tensors[f"{name}.learned_source.weight"] = intervention.learned_source.weight.detach().clone()
                tensors[f"{name}.learned_source.bias"] = intervention.learned_source.bias.detach().clone()
            else:
                tensors[f"{name}.learned_source"] = intervention.learned_source.detach().clone()
            if hasattr(intervention, "proj_layer"):
                tensors[f"{name}.proj_layer.weight"] = intervention.proj_layer.weight.detach().clone()
    out = Path(__file__).resolve().parent.parent / "Tests/Fixtures/reft/pyreft-interventions.safetensors"
    out.parent.mkdir(parents=True, exist_ok=True)
    save_file({k: v.contiguous() for k, v in sorted(tensors.items())}, str(out), metadata={"writer": f"pyreft {PINNED}"})
    print(f"wrote {out} ({out.stat().st_size} bytes, {len(tensors)} tensors)")


if __name__ == "__main__":
    main()
