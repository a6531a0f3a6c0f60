#!/usr/bin/env python3
"""Check the pyvene reference against the file formats before trusting its numbers.

    .venv-reference/bin/python bench/reference/check_reference.py --model DIR --data FILE

1. The torch model pyvene intervenes on computes the format's forward (float64 NumPy), at the
   logits and at every site `layer.<i>`, read through the very hook pyvene attaches there.
2. pyvene's intervened logits equal the DII by hand, h' = h + sum_j R^T M_j (R s_j - R h), with R
   taken from pyvene's (randomly initialized) rotation, on the first examples of the data.
3. With every source equal to its base the intervention changes nothing.
4. One training step changes the rotation and leaves it orthogonal.
Prints one JSON line with the largest errors; exits 1 on a failure.
"""

from __future__ import annotations

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True)
    parser.add_argument("--data", required=True)
    parser.add_argument("--examples", type=int, default=256, help="examples to check (default 256)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    return parser.parse_args()


ARGS = parse_arguments()
import common  # noqa: E402

torch, _ = common.import_torch_and_pyvene(ARGS.threads)


def main():
    torch.manual_seed(ARGS.seed)
    network = common.load_network(ARGS.model)
    data = common.load_das_data(ARGS.data, network)
    n = min(ARGS.examples, data.count)
    base, sources, labels = data.base[:n], data.sources[:, :n], data.labels[:n]
    forward_errors = common.verify_network(network, base)

    das = common.DAS(network, data.site_layer, data.subspace_sizes)
    with torch.no_grad():
        pyvene_logits = das.intervened_logits(base, sources)
        manual = common.manual_dii_logits(das, base, sources)
        scale = max(1.0, float(manual.abs().max()))
        dii_error = float((pyvene_logits - manual).abs().max())
        same = das.intervened_logits(base, base.unsqueeze(0).expand(das.variable_count, -1, -1).contiguous())
        noop_error = float((same - network.logits(base)).abs().max())
    if dii_error > 1e-4 * scale:
        raise common.ReferenceError(f"pyvene's intervened logits differ from the DII by hand by {dii_error:.3g}")
    if noop_error > 1e-4 * scale:
        raise common.ReferenceError(f"swapping every source equal to its base changed the logits by {noop_error:.3g}")

    before = das.rotation().detach().clone()
    optimizer = torch.optim.Adam(das.parameters, lr=1e-3)
    loss = torch.nn.functional.cross_entropy(das.intervened_logits(base, sources), labels)
    loss.backward()
    optimizer.step()
    after = das.rotation().detach()
    moved = float((after - before).abs().max())
    orthogonality = float((after.double() @ after.double().T - torch.eye(after.shape[0], dtype=torch.float64)).abs().max())
    if moved == 0.0:
        raise common.ReferenceError("a training step did not change the rotation")
    if orthogonality > 1e-4:
        raise common.ReferenceError(f"the rotation is not orthogonal after a step (error {orthogonality:.3g})")

    payload = {
        "ok": True,
        "network": network.kind,
        "site": f"layer.{data.site_layer}",
        "pyvene_component": network.component(data.site_layer),
        "examples": n,
        "forward_max_error": forward_errors,
        "dii_max_error": dii_error,
        "noop_max_error": noop_error,
        "rotation_step_change": moved,
        "rotation_orthogonality_error": orthogonality,
    }
    payload.update(common.versions())
    common.print_json(payload)


if __name__ == "__main__":
    common.run(main)
