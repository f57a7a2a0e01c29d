#!/usr/bin/python3
"""Export the model zoo of bench/zoo.sh: torchvision classification, segmentation and detection
networks with random seeded weights, plus variants with weights as Constant nodes and with
symbolic input dims.

Run it with Debian's python3 (python3-torch 1.13, python3-torchvision 0.14, python3-onnx):

    /usr/bin/python3 tools/export_zoo.py --out out/zoo/models
    /usr/bin/python3 tools/export_zoo.py --out out/zoo/models --models resnet18 lraspp_mobilenet_v3_large
    /usr/bin/python3 tools/export_zoo.py --list

Weights come from tools/export_torchvision.py's recipe (imported, not copied): torch.manual_seed
just before each model is built, then the BatchNorm running statistics are set from
--calibrate-bn seeded random batches (default 2), so two runs write identical files. No
pretrained weights are downloaded (weights=None and weights_backbone=None everywhere).

What is exported:
  * classification: the whole network, input "input" 1x3x224x224, output "output" (logits);
  * segmentation (LR-ASPP, DeepLabV3, FCN): the network's "out" head (no auxiliary head),
    input 1x3x256x256 (224 for FCN-ResNet50, to keep its dilated backbone affordable);
  * detection: the trainable part without pre- and postprocessing (no resizing/normalizing
    transform, no anchor decoding, no NMS): SSDlite320-MobileNetV3 backbone + head (box
    regression and class logits), Faster R-CNN MobileNetV3 backbone + FPN + RPN head
    (objectness and box deltas per level), RetinaNet ResNet-50 backbone + FPN (five levels);
  * "_const" variants: the same file with every initializer moved into a Constant node (as some
    exporters write weights);
  * "_dyn" variants: exported with symbolic input dims N, H, W (torch's dynamic_axes), as
    detection and OCR exporters write them; the manifest gives the concrete shape to run them at.

The manifest, OUT/manifest.tsv, has one line per model: name, file, kind (classification,
segmentation, detection), variant (plain, const, dyn), opset, input name, concrete input shape
(NxCxHxW), the input's symbolic dims ("-" when none), parameter count, sha256. bench/zoo.sh and
tools/quantize_ort.py read it. A model that fails to export is reported and left out of the
manifest (exit 1 at the end); the others are still written.
"""

import argparse
import hashlib
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import export_torchvision  # noqa: E402  (seeded building and BatchNorm calibration)

CLS = "classification"
SEG = "segmentation"
DET = "detection"

# name -> (builder key, kind, input size, opset, variant). Builder keys are torchvision
# constructors, or one of the wrappers below for segmentation and detection.
ZOO = {
    "resnet18": ("resnet18", CLS, 224, 13, "plain"),
    "resnet50": ("resnet50", CLS, 224, 13, "plain"),
    "mobilenet_v2": ("mobilenet_v2", CLS, 224, 13, "plain"),
    "mobilenet_v3_small": ("mobilenet_v3_small", CLS, 224, 13, "plain"),
    "mobilenet_v3_large": ("mobilenet_v3_large", CLS, 224, 13, "plain"),
    "efficientnet_b0": ("efficientnet_b0", CLS, 224, 13, "plain"),
    "regnet_y_400mf": ("regnet_y_400mf", CLS, 224, 13, "plain"),
    "shufflenet_v2_x1_0": ("shufflenet_v2_x1_0", CLS, 224, 13, "plain"),
    "squeezenet1_1": ("squeezenet1_1", CLS, 224, 13, "plain"),
    "densenet121": ("densenet121", CLS, 224, 13, "plain"),
    "googlenet": ("googlenet", CLS, 224, 13, "plain"),
    "mnasnet1_0": ("mnasnet1_0", CLS, 224, 13, "plain"),
    "alexnet": ("alexnet", CLS, 224, 13, "plain"),
    "convnext_tiny": ("convnext_tiny", CLS, 224, 17, "plain"),
    "lraspp_mobilenet_v3_large": ("lraspp_mobilenet_v3_large", SEG, 256, 13, "plain"),
    "deeplabv3_mobilenet_v3_large": ("deeplabv3_mobilenet_v3_large", SEG, 256, 13, "plain"),
    "fcn_resnet50": ("fcn_resnet50", SEG, 224, 13, "plain"),
    "ssdlite320_mobilenet_v3_large": ("ssdlite", DET, 320, 13, "plain"),
    "fasterrcnn_mobilenet_v3_large_fpn_rpn": ("fasterrcnn_rpn", DET, 320, 13, "plain"),
    "retinanet_resnet50_fpn_backbone": ("retinanet_fpn", DET, 256, 13, "plain"),
    "resnet50_const": ("resnet50", CLS, 224, 13, "const"),
    "mobilenet_v3_large_const": ("mobilenet_v3_large", CLS, 224, 13, "const"),
    "resnet18_dyn": ("resnet18", CLS, 224, 13, "dyn"),
    "mobilenet_v3_large_dyn": ("mobilenet_v3_large", CLS, 224, 13, "dyn"),
    "ssdlite320_mobilenet_v3_large_dyn": ("ssdlite", DET, 320, 13, "dyn"),
}


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", help="output folder (created if missing)")
    parser.add_argument("--models", nargs="+", choices=list(ZOO), default=list(ZOO),
                        metavar="NAME", help="which models (default: all; --list shows them)")
    parser.add_argument("--seed", type=int, default=0, help="seed for the weights (default 0)")
    parser.add_argument("--calibrate-bn", type=int, default=2, metavar="N",
                        help="BatchNorm statistics from N seeded random batches (default 2)")
    parser.add_argument("--force", action="store_true",
                        help="export again even when the file exists")
    parser.add_argument("--list", action="store_true", help="print the zoo and exit")
    args = parser.parse_args(argv)
    if not args.list and not args.out:
        parser.error("--out is required")
    if args.calibrate_bn < 0:
        parser.error("--calibrate-bn must not be negative")
    return args


def build(torch, torchvision, key):
    """Returns (module, output names) for a builder key, in eval mode, with random weights."""
    nn = torch.nn
    models = torchvision.models
    seg = models.segmentation
    det = models.detection

    class SegmentationOut(nn.Module):
        def __init__(self, net):
            super().__init__()
            self.net = net

        def forward(self, x):
            return self.net(x)["out"]

    class SsdBackboneHead(nn.Module):
        def __init__(self, ssd):
            super().__init__()
            self.backbone = ssd.backbone
            self.head = ssd.head

        def forward(self, x):
            out = self.head(list(self.backbone(x).values()))
            return out["bbox_regression"], out["cls_logits"]

    class FpnRpn(nn.Module):
        def __init__(self, frcnn):
            super().__init__()
            self.backbone = frcnn.backbone
            self.rpn_head = frcnn.rpn.head

        def forward(self, x):
            objectness, deltas = self.rpn_head(list(self.backbone(x).values()))
            return tuple(objectness) + tuple(deltas)

    class Fpn(nn.Module):
        def __init__(self, retinanet):
            super().__init__()
            self.backbone = retinanet.backbone

        def forward(self, x):
            return tuple(self.backbone(x).values())

    if key in ("lraspp_mobilenet_v3_large", "deeplabv3_mobilenet_v3_large", "fcn_resnet50"):
        model = SegmentationOut(getattr(seg, key)(weights=None, weights_backbone=None))
        names = ["output"]
    elif key == "ssdlite":
        model = SsdBackboneHead(det.ssdlite320_mobilenet_v3_large(weights=None,
                                                                  weights_backbone=None))
        names = ["bbox_regression", "cls_logits"]
    elif key == "fasterrcnn_rpn":
        model = FpnRpn(det.fasterrcnn_mobilenet_v3_large_fpn(weights=None, weights_backbone=None))
        levels = 3  # two FPN levels of the MobileNetV3 backbone and the extra max-pooled one
        names = [f"objectness_{i}" for i in range(levels)] + \
                [f"bbox_deltas_{i}" for i in range(levels)]
    elif key == "retinanet_fpn":
        model = Fpn(det.retinanet_resnet50_fpn(weights=None, weights_backbone=None))
        names = ["p3", "p4", "p5", "p6", "p7"]
    else:
        model = export_torchvision.build_model(torchvision, key)
        names = ["output"]
    model.eval()
    return model, names


def initializers_to_constants(onnx, model):
    """Moves every initializer into a Constant node at the front of the graph."""
    graph = model.graph
    constants = []
    for i, init in enumerate(graph.initializer):
        constants.append(onnx.helper.make_node("Constant", [], [init.name],
                                               name=f"weight_constant_{i}", value=init))
    initializer_names = {init.name for init in graph.initializer}
    inputs = [v for v in graph.input if v.name not in initializer_names]
    nodes = constants + list(graph.node)
    del graph.initializer[:]
    del graph.node[:]
    graph.node.extend(nodes)
    del graph.input[:]
    graph.input.extend(inputs)
    return len(constants)


def sha256_of(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_manifest(path):
    rows = {}
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                if line.startswith("#") or not line.strip():
                    continue
                fields = line.rstrip("\n").split("\t")
                rows[fields[0]] = fields
    return rows


def write_manifest(path, rows):
    header = "# name\tfile\tkind\tvariant\topset\tinput\tshape\tsymbolic\tparams\tsha256\n"
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(header)
        for name in ZOO:  # the zoo's order, whatever order they were exported in
            if name in rows:
                f.write("\t".join(rows[name]) + "\n")
    os.replace(tmp, path)


def export_one(torch, torchvision, onnx, name, args):
    key, kind, size, opset, variant = ZOO[name]
    torch.manual_seed(args.seed)
    model, output_names = build(torch, torchvision, key)
    if args.calibrate_bn:
        export_torchvision.calibrate_batchnorm(torch, model, args.calibrate_bn, args.seed + 2)
    path = os.path.join(args.out, f"{name}.onnx")
    example = torch.zeros(1, 3, size, size, dtype=torch.float32)
    dynamic_axes = None
    symbolic = "-"
    if variant == "dyn":
        dynamic_axes = {"input": {0: "N", 2: "H", 3: "W"}}
        for out in output_names:
            dynamic_axes[out] = {0: "N"}
        symbolic = "N,H,W"
    with torch.no_grad():
        torch.onnx.export(model, example, path, export_params=True, opset_version=opset,
                          do_constant_folding=True, input_names=["input"],
                          output_names=output_names, dynamic_axes=dynamic_axes,
                          training=torch.onnx.TrainingMode.EVAL, verbose=False)
    proto = onnx.load(path)
    if variant == "const":
        moved = initializers_to_constants(onnx, proto)
        onnx.save(proto, path)
        print(f"  {name}: {moved} initializers moved into Constant nodes")
    onnx.checker.check_model(proto)
    params = sum(p.numel() for p in model.parameters())
    shape = f"1x3x{size}x{size}"
    return [name, os.path.basename(path), kind, variant, str(opset), "input", shape, symbolic,
            str(params), sha256_of(path)]


def main(argv):
    args = parse_args(argv)
    if args.list:
        for name, (key, kind, size, opset, variant) in ZOO.items():
            print(f"{name:40s} {kind:15s} {variant:6s} 1x3x{size}x{size} opset {opset}")
        return 0
    try:
        import onnx
        import torch
        import torchvision
    except ImportError as e:
        print(f"export_zoo: {e}; install python3-torch, python3-torchvision and python3-onnx and "
              f"run with /usr/bin/python3", file=sys.stderr)
        return 2

    os.makedirs(args.out, exist_ok=True)
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(1)  # deterministic BatchNorm statistics (see export_torchvision.py)
    print(f"torch {torch.__version__}, torchvision {torchvision.__version__}, onnx "
          f"{onnx.__version__}, seed {args.seed}, BatchNorm calibration batches "
          f"{args.calibrate_bn}")
    manifest_path = os.path.join(args.out, "manifest.tsv")
    rows = read_manifest(manifest_path)
    failed = []
    for name in args.models:
        path = os.path.join(args.out, f"{name}.onnx")
        if not args.force and name in rows and os.path.exists(path) and \
                rows[name][9] == sha256_of(path):
            print(f"  {name}: up to date")
            continue
        try:
            rows[name] = export_one(torch, torchvision, onnx, name, args)
        except Exception as e:  # report the model and go on with the others
            print(f"export_zoo: {name}: {type(e).__name__}: {e}", file=sys.stderr)
            rows.pop(name, None)
            failed.append(name)
            continue
        write_manifest(manifest_path, rows)
        print(f"wrote {path}: {os.path.getsize(path)} bytes, {rows[name][8]} parameters, "
              f"input {rows[name][6]}")
    write_manifest(manifest_path, rows)
    print(f"manifest {manifest_path}: {len(rows)} models")
    if failed:
        print(f"export_zoo: failed: {' '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
