"""Fine-tuning for `edgebench optimize`: gradual magnitude pruning (--finetune-epochs N) and
quantization-aware training (--qat), alone or together.

    python -m edgebench.finetune --model IN.onnx --out OUT.onnx --data DIR [--sparsity 0.5]
        [--pattern unstructured|2:4|block:RxC] [--qat] [--epochs N] [--lr X] [--batch B]
        [--seed S]

DIR holds inputs.npy (the model's single input, samples stacked on axis 0, float32) and
labels.npy (int64 class indices), as `edgebench optimize` writes them from any labelled dataset.
The model's graph is run in PyTorch by a small interpreter of its ONNX nodes (the ops that
convolutional classifiers use); its float32 initializers of rank 2 or more that feed Conv, Gemm
or MatMul weights are the trained weights, and every other tensor stays as it is. The pruned,
fine-tuned weights are written back into the same graph, so the zeros are in the exported file.

Schedule (Zhu and Gupta, "To prune, or not to prune"): the sparsity rises from 0 to the target
as s_t = s (1 - (1 - t / T)^3) over the first two thirds of the steps (mask recomputed every
1/20th of them from the current magnitudes), then the mask is fixed for the rest. 2:4 masks
(half of every 4 weights along the reduction dimension, the dimension `edgebench optimize
--prune-pattern 2:4` uses) are set from the start. Training is seeded and single-process;
PyTorch's deterministic algorithms are requested.

Needs PyTorch (Debian's python3-torch, or PyPI's torch), onnx and numpy. Exit status 2 with a
message naming what is wrong (a missing module, an op the interpreter lacks, bad data).
"""

from __future__ import annotations

import argparse
import math
import sys
import time

import numpy as np


class UsageError(Exception):
    """Bad input: reported as one line, exit status 2."""


def _need_modules():
    try:
        import onnx  # noqa: F401
        import torch  # noqa: F401
    except ImportError as e:
        raise UsageError(f"fine-tuning needs the Python module '{e.name}' (PyTorch: Debian's "
                         "python3-torch or PyPI's torch; onnx: python3-onnx or PyPI's onnx) "
                         f"in {sys.executable}") from None


# --- the ONNX graph as a PyTorch module -------------------------------------------------------

def _attrs(node):
    import onnx

    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def _excluded_weights(graph, exclude):
    """Weights read by a node named in `exclude` (by node name or op type): trained, never
    pruned, as `optimize --exclude` keeps them dense without fine-tuning."""
    wanted = set(exclude)
    return {node.input[1] for node in graph.node
            if len(node.input) > 1 and (node.name in wanted or node.op_type in wanted)}


def _weight_inputs(graph):
    """Names of initializers that are Conv / Gemm / MatMul weights, with how to view them."""
    inits = {i.name for i in graph.initializer}
    found = {}
    for node in graph.node:
        a = _attrs(node)
        if node.op_type == "Conv" and len(node.input) > 1 and node.input[1] in inits:
            found[node.input[1]] = ("conv", int(a.get("group", 1)))
        elif node.op_type == "Gemm" and len(node.input) > 1 and node.input[1] in inits:
            found[node.input[1]] = ("gemm_t" if a.get("transB", 0) else "gemm", 1)
        elif node.op_type == "MatMul" and node.input[1] in inits:
            found[node.input[1]] = ("gemm", 1)
    return found


class _FakeQuant:
    """Quantization-aware training: int8 fake quantization with a straight-through estimator
    (PyTorch's fake_quantize ops pass the gradient through inside the range). Weights: symmetric,
    per output channel, scale max|w| / 127. Activations entering a Conv, Gemm or MatMul:
    asymmetric per tensor over [-128, 127], the range an exponential moving average (momentum
    0.01) of each batch's min and max, widened to hold 0, updated while training."""

    def __init__(self, torch, kinds):
        self.torch = torch
        self.kinds = kinds
        self.ranges = {}
        self.training = True

    def weight(self, name, w):
        torch = self.torch
        kind = self.kinds[name][0]
        axis = 1 if kind == "gemm" else 0  # B [K, N]: one scale per output column
        dims = [d for d in range(w.dim()) if d != axis]
        scale = (w.detach().abs().amax(dim=dims) / 127.0).clamp(min=1e-12)
        zero = torch.zeros(scale.shape, dtype=torch.int32)
        return torch.fake_quantize_per_channel_affine(w, scale, zero, axis, -127, 127)

    def activation(self, key, x):
        torch = self.torch
        lo, hi = float(x.detach().min()), float(x.detach().max())
        if self.training:
            if key in self.ranges:
                old_lo, old_hi = self.ranges[key]
                lo, hi = old_lo + 0.01 * (lo - old_lo), old_hi + 0.01 * (hi - old_hi)
            self.ranges[key] = (lo, hi)
        elif key in self.ranges:
            lo, hi = self.ranges[key]
        lo, hi = min(lo, 0.0), max(hi, 0.0)
        scale = max((hi - lo) / 255.0, 1e-12)
        zero = int(min(127, max(-128, round(-128 - lo / scale))))
        return torch.fake_quantize_per_tensor_affine(x, scale, zero, -128, 127)


def _build_module(model, fake_quant=None):
    import onnx.numpy_helper as nh
    import torch
    import torch.nn.functional as F

    graph = model.graph
    weights = _weight_inputs(graph)

    class OnnxModule(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.params = torch.nn.ParameterDict()
            self.names = {}  # ONNX name -> ParameterDict key
            self.consts = {}
            for init in graph.initializer:
                array = nh.to_array(init)
                if init.name in weights and array.dtype == np.float32 and array.ndim >= 2:
                    key = f"p{len(self.names)}"
                    self.names[init.name] = key
                    self.params[key] = torch.nn.Parameter(torch.from_numpy(array.copy()))
                else:
                    self.consts[init.name] = torch.from_numpy(np.array(array))
            for node in graph.node:
                if node.op_type == "Constant":
                    self.consts[node.output[0]] = torch.from_numpy(
                        np.array(nh.to_array(_attrs(node)["value"])))

        def tensor(self, name, env):
            if name in env:
                return env[name]
            if name in self.names:
                return self.params[self.names[name]]
            return self.consts[name]

        def forward(self, x):
            env = {graph.input[0].name: x} if graph.input else {}
            for node in graph.node:
                if node.op_type == "Constant":
                    continue
                ins = [self.tensor(n, env) if n else None for n in node.input]
                if fake_quant is not None and node.op_type in ("Conv", "Gemm", "MatMul"):
                    ins[0] = fake_quant.activation(node.input[0], ins[0])
                    if node.input[1] in self.names:
                        ins[1] = fake_quant.weight(node.input[1], ins[1])
                out = _run_node(node, ins, F, torch)
                env[node.output[0]] = out
            return env[graph.output[0].name]

    return OnnxModule()


def _pads(a, rank):
    pads = list(a.get("pads", [0] * (2 * rank)))
    if a.get("auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET", b"VALID", "VALID"):
        raise UsageError("auto_pad SAME_* is not supported by the fine-tuning interpreter")
    begin, end = pads[:rank], pads[rank:]
    return begin, end


def _run_node(node, ins, F, torch):  # noqa: C901 (one branch per op)
    op = node.op_type
    a = _attrs(node)
    x = ins[0]
    if op == "Conv":
        rank = x.dim() - 2
        begin, end = _pads(a, rank)
        if begin != end:
            x = F.pad(x, [p for pair in zip(reversed(begin), reversed(end)) for p in pair])
            begin = [0] * rank
        conv = F.conv2d if rank == 2 else F.conv1d
        return conv(x, ins[1], ins[2] if len(ins) > 2 else None, stride=a.get("strides", 1),
                    padding=begin, dilation=a.get("dilations", 1), groups=a.get("group", 1))
    if op == "Gemm":
        A = x.t() if a.get("transA", 0) else x
        B = ins[1].t() if a.get("transB", 0) else ins[1]
        y = a.get("alpha", 1.0) * (A @ B)
        return y + a.get("beta", 1.0) * ins[2] if len(ins) > 2 and ins[2] is not None else y
    if op == "MatMul":
        return x @ ins[1]
    if op in ("Add", "Sub", "Mul", "Div"):
        return {"Add": torch.add, "Sub": torch.sub, "Mul": torch.mul, "Div": torch.div}[op](
            x, ins[1])
    if op == "Relu":
        return F.relu(x)
    if op == "LeakyRelu":
        return F.leaky_relu(x, a.get("alpha", 0.01))
    if op == "Sigmoid":
        return torch.sigmoid(x)
    if op == "Tanh":
        return torch.tanh(x)
    if op == "HardSwish":
        return F.hardswish(x)
    if op == "Clip":
        lo = ins[1] if len(ins) > 1 and ins[1] is not None else a.get("min", None)
        hi = ins[2] if len(ins) > 2 and ins[2] is not None else a.get("max", None)
        lo = float(lo) if lo is not None else None
        hi = float(hi) if hi is not None else None
        return torch.clamp(x, lo, hi)
    if op in ("MaxPool", "AveragePool"):
        begin, end = _pads(a, 2)
        if begin != end:
            raise UsageError(f"node '{node.name}': asymmetric pooling pads are not supported")
        kernel = a["kernel_shape"]
        stride = a.get("strides", kernel)
        if op == "MaxPool":
            return F.max_pool2d(x, kernel, stride, begin, ceil_mode=bool(a.get("ceil_mode", 0)))
        return F.avg_pool2d(x, kernel, stride, begin, ceil_mode=bool(a.get("ceil_mode", 0)),
                            count_include_pad=bool(a.get("count_include_pad", 0)))
    if op == "GlobalAveragePool":
        return x.mean(dim=tuple(range(2, x.dim())), keepdim=True)
    if op == "Flatten":
        axis = a.get("axis", 1)
        return x.reshape(int(np.prod(x.shape[:axis])), -1)
    if op == "Reshape":
        shape = [int(v) for v in ins[1].tolist()]
        shape = [x.shape[i] if v == 0 else v for i, v in enumerate(shape)]
        return x.reshape(shape)
    if op == "Transpose":
        return x.permute(*a["perm"]) if "perm" in a else x.permute(*reversed(range(x.dim())))
    if op == "Concat":
        return torch.cat(ins, dim=a["axis"])
    if op == "Softmax":
        return F.softmax(x, dim=a.get("axis", -1))
    if op == "BatchNormalization":
        return F.batch_norm(x, ins[3], ins[4], ins[1], ins[2], False, 0.0, a.get("epsilon", 1e-5))
    if op in ("Identity", "Dropout"):
        return x
    raise UsageError(f"node '{node.name}': op {op} is not supported by the fine-tuning "
                     "interpreter")


# --- masks -------------------------------------------------------------------------------------

def _matrix_view(w, kind, pattern):
    """The weight as [rows, reduction] for 2:4 and block masks, and how to undo the view."""
    if kind == "conv":
        o, i = w.shape[0], w.shape[1]
        if pattern == "2:4":
            # As the native pass lays it out: groups of 4 along the input channels, for each
            # output channel and kernel position.
            v = w.reshape(o, i, -1).transpose(0, 2, 1).reshape(-1, i)
            return v, lambda m: m.reshape(o, -1, i).transpose(0, 2, 1).reshape(w.shape)
        return w.reshape(o, -1), lambda m: m.reshape(w.shape)  # blocks of [O, I * kernel]
    if kind == "gemm":  # B [K, N]: reduction K
        return w.T, lambda m: m.T
    return w, lambda m: m  # gemm_t: B [N, K]


def prune_mask(w, kind, groups, pattern, sparsity):
    """1 where weight `w` (a numpy array) is kept, 0 where pruned, at `sparsity` (a fraction):
    unstructured (the smallest magnitudes of the layer), "2:4" (the two smallest of every 4
    along the reduction dimension, as `optimize --prune-pattern 2:4` does; a tail shorter than 4
    stays dense) or (R, C) blocks of the [outputs, reduction] view with the smallest L2 norms
    (edge blocks may be partial). `kind` is "conv", "gemm" (B of [K, N]) or "gemm_t" (B of
    [N, K]); `groups`, a Conv's group, is kept for callers and does not change the layout."""
    w = np.asarray(w, dtype=np.float32)
    if sparsity <= 0:
        return np.ones_like(w)
    if pattern == "unstructured":
        k = int(round(sparsity * w.size))
        if k == 0:
            return np.ones_like(w)
        order = np.argsort(np.abs(w), axis=None, kind="stable")
        mask = np.ones(w.size, dtype=np.float32)
        mask[order[:k]] = 0
        return mask.reshape(w.shape)
    view, undo = _matrix_view(w, kind, pattern)
    rows, cols = view.shape
    if pattern == "2:4":
        full = cols // 4 * 4
        m = np.ones_like(view)
        if full:
            g = np.abs(view[:, :full]).reshape(rows, -1, 4)
            order = np.argsort(g, axis=2, kind="stable")
            mg = np.ones_like(g)
            np.put_along_axis(mg, order[:, :, :2], 0.0, axis=2)
            m[:, :full] = mg.reshape(rows, full)
        return np.ascontiguousarray(undo(m))
    r, c = pattern
    pr, pc = -rows % r, -cols % c
    padded = np.pad(np.abs(view), ((0, pr), (0, pc)))
    # Squared norms summed in float64 and compared in float32, as the native pass does.
    blocks = (padded.astype(np.float64).reshape((rows + pr) // r, r, (cols + pc) // c, c) ** 2
              ).sum(axis=(1, 3)).astype(np.float32)
    k = int(round(sparsity * blocks.size))
    if k == 0:
        return np.ones_like(w)
    order = np.argsort(blocks, axis=None, kind="stable")
    keep = np.ones(blocks.size, dtype=np.float32)
    keep[order[:k]] = 0
    keep = keep.reshape(blocks.shape)
    m = np.repeat(np.repeat(keep, r, axis=0), c, axis=1)[:rows, :cols]
    return np.ascontiguousarray(undo(m))


def _parse_pattern(text):
    if text in ("unstructured", "2:4"):
        return text
    if text.startswith("block:"):
        try:
            r, c = (int(v) for v in text[len("block:"):].lower().split("x"))
        except ValueError:
            r = c = 0
        if r >= 1 and c >= 1:
            return (r, c)
    raise UsageError(f"--pattern '{text}': expected unstructured, 2:4 or block:RxC")


# --- training ----------------------------------------------------------------------------------

def finetune(args):
    _need_modules()
    import onnx
    import onnx.numpy_helper as nh
    import torch

    pattern = _parse_pattern(args.pattern)
    if not 0 <= args.sparsity < 1:
        raise UsageError(f"--sparsity {args.sparsity}: expected a fraction in [0, 1)")
    if pattern == "2:4" and args.sparsity != 0.5:
        raise UsageError("2:4 pruning has sparsity 0.5 by construction")
    try:
        model = onnx.load(args.model)
    except Exception as e:  # noqa: BLE001 (onnx raises several types)
        raise UsageError(f"cannot read model '{args.model}': {e}") from None
    try:
        x = np.load(f"{args.data}/inputs.npy")
        y = np.load(f"{args.data}/labels.npy")
    except (OSError, ValueError) as e:
        raise UsageError(f"cannot read the training data in '{args.data}': {e}") from None
    if x.dtype != np.float32 or y.ndim != 1 or len(x) != len(y) or len(y) == 0:
        raise UsageError(f"training data in '{args.data}': expected float32 inputs and as many "
                         f"int64 labels, got {x.dtype} {x.shape} and {y.dtype} {y.shape}")

    torch.manual_seed(args.seed)
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(max(1, args.threads))
    kinds = _weight_inputs(model.graph)
    fake_quant = _FakeQuant(torch, kinds) if args.qat else None
    module = _build_module(model, fake_quant)
    names = list(module.names)
    if not names:
        raise UsageError("the model has no Conv, Gemm or MatMul float32 weights to train")

    # Dense: excluded weights, and grouped convolutions under a block pattern (as the native
    # pass leaves them: their blocks are no matrix product's).
    dense = _excluded_weights(model.graph, args.exclude)
    if isinstance(pattern, tuple):
        dense |= {n for n in names if kinds[n][0] == "conv" and kinds[n][1] > 1}

    def masks_at(sparsity):
        return {n: torch.from_numpy(prune_mask(module.params[module.names[n]].detach().numpy(),
                                               kinds[n][0], kinds[n][1], pattern,
                                               0.0 if n in dense else sparsity))
                for n in names}

    def apply(masks):
        with torch.no_grad():
            for n, m in masks.items():
                module.params[module.names[n]].mul_(m)

    inputs = torch.from_numpy(x)
    labels = torch.from_numpy(y.astype(np.int64))
    steps_per_epoch = math.ceil(len(labels) / args.batch)
    total = max(1, args.epochs * steps_per_epoch)
    ramp_end = total * 2 // 3 if pattern != "2:4" else 0
    update_every = max(1, ramp_end // 20)
    optimizer = torch.optim.Adam(module.parameters(), lr=args.lr)
    # The learning rate decays along a cosine to a tenth of its start.
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda t: 0.1 + 0.45 * (1 + math.cos(math.pi * min(t, total) / total)))
    generator = torch.Generator().manual_seed(args.seed)
    masks = masks_at(args.sparsity if ramp_end == 0 else 0.0)
    apply(masks)
    step = 0
    started = time.monotonic()
    for epoch in range(args.epochs):
        order = torch.randperm(len(labels), generator=generator)
        correct = seen = 0
        loss_sum = 0.0
        for b in range(steps_per_epoch):
            if ramp_end and step <= ramp_end and step % update_every == 0:
                target = args.sparsity * (1 - (1 - step / ramp_end) ** 3)
                masks = masks_at(target)
                apply(masks)
            idx = order[b * args.batch:(b + 1) * args.batch]
            logits = module(inputs[idx])
            loss = torch.nn.functional.cross_entropy(logits, labels[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
            apply(masks)
            correct += int((logits.argmax(1) == labels[idx]).sum())
            seen += len(idx)
            loss_sum += float(loss) * len(idx)
            step += 1
        print(f"  epoch {epoch + 1}/{args.epochs}: loss {loss_sum / seen:.4f}, train top-1 "
              f"{100 * correct / seen:.2f}%, sparsity target {args.sparsity:.2f}, "
              f"{time.monotonic() - started:.0f} s", flush=True)
    masks = masks_at(args.sparsity)  # the final mask, exactly at the target
    apply(masks)

    by_name = {init.name: init for init in model.graph.initializer}
    zeros = total_weights = 0
    for n in names:
        w = module.params[module.names[n]].detach().numpy().astype(np.float32)
        by_name[n].CopyFrom(nh.from_array(w, n))
        zeros += int((w == 0).sum())
        total_weights += w.size
    onnx.save(model, args.out)
    if fake_quant is not None:
        print(f"  quantization-aware: {len(fake_quant.ranges)} activation range(s) learned",
              flush=True)
    print(f"  fine-tuned {len(names)} weight(s): {zeros} of {total_weights} are zero "
          f"({100 * zeros / total_weights:.1f}%)", flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m edgebench.finetune",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--data", required=True, help="folder with inputs.npy and labels.npy")
    parser.add_argument("--sparsity", type=float, default=0.0)
    parser.add_argument("--pattern", default="unstructured")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--exclude", action="append", default=[],
                        help="a node name or op type whose weight is trained but not pruned")
    parser.add_argument("--qat", action="store_true",
                        help="train with int8 fake quantization (quantization-aware training)")
    args = parser.parse_args(argv)
    if args.epochs < 1 or args.batch < 1 or not args.lr > 0:
        print("edgebench.finetune: --epochs and --batch must be at least 1 and --lr above 0",
              file=sys.stderr)
        return 2
    try:
        finetune(args)
    except UsageError as e:
        print(f"edgebench.finetune: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
