#!/usr/bin/python3
"""Float64 reference outputs for a zoo model: the same seeded torchvision network that
tools/export_zoo.py exported, run by PyTorch in float64 and in float32 on one input.

Run it with Debian's python3 (python3-torch, python3-torchvision), as tools/export_zoo.py:

    /usr/bin/python3 tools/float64_reference.py NAME INPUT.npy OUT_DIR [--seed S] [--calibrate-bn N]

NAME is a plain zoo model (tools/export_zoo.py --list); --seed and --calibrate-bn must be the
values the model was exported with (the defaults are export_zoo.py's). Writes OUT_DIR/f64/ and
OUT_DIR/torch_f32/, one <output name>.npy per output each (the names of the exported model), so
that bench/float64_reference.sh can say how far each float32 engine, PyTorch's own included, is
from the exact answer. Exit 0 on success, 2 on bad usage.
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import export_torchvision  # noqa: E402  (BatchNorm calibration, as at export)
import export_zoo  # noqa: E402  (the zoo's table and builders)


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("name", help="a plain zoo model, as tools/export_zoo.py --list names it")
    parser.add_argument("input", help=".npy with the model's float32 input")
    parser.add_argument("out", help="folder for f64/ and torch_f32/")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--calibrate-bn", type=int, default=2, metavar="N")
    args = parser.parse_args(argv)
    entry = export_zoo.ZOO.get(args.name)
    if entry is None or entry[4] != "plain":
        parser.error(f"{args.name}: not a plain zoo model (tools/export_zoo.py --list)")
    import numpy as np
    import torch
    import torchvision

    try:
        x = np.load(args.input, allow_pickle=False)
    except (OSError, ValueError) as e:
        parser.error(f"{args.input}: {e}")
    if x.dtype != np.float32:
        parser.error(f"{args.input}: dtype {x.dtype}, expected float32")
    torch.manual_seed(args.seed)
    model, names = export_zoo.build(torch, torchvision, entry[0])
    if args.calibrate_bn:
        export_torchvision.calibrate_batchnorm(torch, model, args.calibrate_bn, args.seed + 2)
    model.eval()
    with torch.no_grad():
        outputs = {"torch_f32": model(torch.from_numpy(x))}
        outputs["f64"] = model.double()(torch.from_numpy(x).double())
    for folder, ys in outputs.items():
        ys = ys if isinstance(ys, tuple) else (ys,)
        os.makedirs(os.path.join(args.out, folder), exist_ok=True)
        for name, y in zip(names, ys):
            np.save(os.path.join(args.out, folder, f"{name}.npy"), y.numpy())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
