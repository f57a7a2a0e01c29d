#!/usr/bin/python3
"""Export stand-ins for the co-compilation study's MobileNetV2 pair (random weights) to ONNX.

The study (seeds/004) co-compiled mobilenet_v2_1.0_224_inat_bird_quant (965 classes) and
mobilenet_v2_1.0_224_inat_plant_quant (2102 classes). Their parameter bytes, not their weight
values, decide placement and latency, so torchvision's mobilenet_v2 with those class counts and
seeded random weights stands in for them:

    /usr/bin/python3 tools/export_inat_mobilenets.py --out build/plan-validation

Writes mobilenet_v2_inat_bird.onnx and mobilenet_v2_inat_plant.onnx (1x3x224x224 float input,
BatchNorm folded into the convolutions by the exporter); existing files are kept.
"""

import argparse
import os

MODELS = {"mobilenet_v2_inat_bird": 965, "mobilenet_v2_inat_plant": 2102}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", required=True, help="output folder (created if missing)")
    args = parser.parse_args()
    import torch
    import torchvision

    os.makedirs(args.out, exist_ok=True)
    for name, classes in MODELS.items():
        path = os.path.join(args.out, name + ".onnx")
        if os.path.exists(path):
            continue
        torch.manual_seed(0)
        model = torchvision.models.mobilenet_v2(weights=None, num_classes=classes).eval()
        example = torch.zeros(1, 3, 224, 224)
        torch.onnx.export(model, example, path, input_names=["input"], output_names=["output"],
                          opset_version=13, do_constant_folding=True)
        print(path)


if __name__ == "__main__":
    main()
