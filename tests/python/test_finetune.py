"""optimize --prune S --finetune-epochs N: the trainer's masks (unstructured, 2:4 as the native
pass lays it out, RxC blocks) and the command's errors. The training itself needs PyTorch and
is measured by bench/optimize_study.sh."""

import os
import sys

import numpy as np
import onnx
import onnx.numpy_helper as nh

from conftest import MODELS, cli
from edgebench.finetune import prune_mask

CNN = MODELS / "fashion_mnist_cnn.onnx"
TRAIN = "fashion-mnist:/usr/share/datasets/fashion-mnist:train"
TEST = "fashion-mnist:/usr/share/datasets/fashion-mnist:test"


def weights(path):
    model = onnx.load(path)
    inits = {i.name: nh.to_array(i) for i in model.graph.initializer}
    found = {}
    for node in model.graph.node:
        attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
        if node.op_type == "Conv":
            found[node.input[1]] = (inits[node.input[1]], "conv", attrs.get("group", 1))
        elif node.op_type == "Gemm":
            kind = "gemm_t" if attrs.get("transB", 0) else "gemm"
            found[node.input[1]] = (inits[node.input[1]], kind, 1)
    return found


def test_unstructured_mask_zeroes_the_smallest_magnitudes():
    rng = np.random.default_rng(3)
    w = rng.standard_normal((13, 7, 3, 3)).astype(np.float32)
    m = prune_mask(w, "conv", 1, "unstructured", 0.6)
    assert m.shape == w.shape and set(np.unique(m)) <= {0.0, 1.0}
    assert int((m == 0).sum()) == round(0.6 * w.size)
    assert np.abs(w[m == 0]).max() <= np.abs(w[m == 1]).min()
    assert (prune_mask(w, "conv", 1, "unstructured", 0.0) == 1).all()


def test_two_of_four_masks_match_the_native_pass(tmp_path):
    # The native pass (optimize --prune 0.5 --prune-pattern 2:4) and the trainer's mask must
    # zero the same weights, or fine-tuning would train a different pattern than the one kept.
    out = tmp_path / "p.onnx"
    cli("optimize", CNN, "-o", out, "--prune", "0.5", "--prune-pattern", "2:4")
    before, after = weights(CNN), weights(out)
    for name, (w, kind, groups) in before.items():
        m = prune_mask(w, kind, groups, "2:4", 0.5)
        native_zero = after[name][0] == 0
        assert np.array_equal(m == 0, native_zero), name


def test_block_masks_prune_whole_blocks():
    rng = np.random.default_rng(5)
    w = rng.standard_normal((10, 64)).astype(np.float32)  # Gemm B as [N, K]
    m = prune_mask(w, "gemm_t", 1, (2, 4), 0.8)
    blocks = np.pad(m, ((0, 0), (0, 0))).reshape(5, 2, 16, 4)
    per_block = blocks.sum(axis=(1, 3))
    assert set(np.unique(per_block)) <= {0.0, 8.0}  # all or nothing
    assert int((per_block == 0).sum()) == round(0.8 * per_block.size)
    # Partial edge blocks: 7 rows in blocks of 2 leave a last block of one row.
    w = rng.standard_normal((7, 6)).astype(np.float32)
    m = prune_mask(w, "gemm_t", 1, (2, 4), 0.5)
    assert m.shape == w.shape and 0 < (m == 0).mean() < 1


def test_block_masks_match_the_native_pass(tmp_path):
    # optimize --prune-pattern block:RxC without training zeroes the blocks the trainer's mask
    # zeroes; an excluded node keeps its weight dense in both.
    out = tmp_path / "b.onnx"
    cli("optimize", CNN, "-o", out, "--prune", "0.8", "--prune-pattern", "block:4x1",
        "--exclude", "Gemm")
    before, after = weights(CNN), weights(out)
    for name, (w, kind, groups) in before.items():
        native_zero = after[name][0] == 0
        if kind.startswith("gemm"):
            assert not native_zero.any(), name
            continue
        m = prune_mask(w, kind, groups, (4, 1), 0.8)
        assert np.array_equal(m == 0, native_zero), name
        assert abs(native_zero.mean() - 0.8) < 0.05, name


def test_finetune_refuses_what_it_cannot_do(tmp_path):
    out = tmp_path / "o.onnx"
    r = cli("optimize", CNN, "-o", out, "--prune", "0.5", "--finetune-epochs", "1", check=False)
    assert r.returncode == 2 and "--train-dataset" in r.stderr
    r = cli("optimize", CNN, "-o", out, "--quantize", "fp16", "--finetune-epochs", "1",
            "--train-dataset", TRAIN, check=False)
    assert r.returncode == 2 and "--prune" in r.stderr
    r = cli("optimize", CNN, "-o", out, "--prune", "0.5", "--finetune-epochs", "1",
            "--train-dataset", "random:1", check=False)
    assert r.returncode == 2 and "labels" in r.stderr
    r = cli("optimize", CNN, "-o", out, "--quantize", "fp16", "--qat", "--train-dataset", TRAIN,
            check=False)
    assert r.returncode == 2 and "--quantize int8" in r.stderr
    r = cli("optimize", CNN, "-o", out, "--quantize", "int8", "--qat", check=False)
    assert r.returncode == 2 and "--qat needs --train-dataset" in r.stderr
    for bad in ("block:0x4", "block:2", "block:2x4x1", "blocks"):
        r = cli("optimize", CNN, "-o", out, "--prune", "0.5", "--prune-pattern", bad, check=False)
        assert r.returncode == 2 and f"--prune-pattern '{bad}'" in r.stderr, bad
    assert not out.exists()


def test_a_missing_pytorch_is_named(tmp_path):
    # This environment's interpreter has numpy and onnx but not PyTorch.
    env = dict(os.environ, EDGEBENCH_TRAIN_PYTHON=sys.executable)
    r = cli("optimize", CNN, "-o", tmp_path / "o.onnx", "--prune", "0.5", "--finetune-epochs",
            "1", "--train-dataset", TRAIN, "--train-limit", "64", env=env, check=False)
    assert r.returncode == 2, r.stderr
    assert "'torch'" in r.stderr and "python3-torch" in r.stderr
    assert not (tmp_path / "o.onnx").exists()


def test_the_library_takes_the_fine_tuning_options(tmp_path):
    import pytest

    import edgebench

    with pytest.raises(edgebench.EdgebenchError, match="labels"):
        edgebench.optimize(CNN, tmp_path / "o.onnx", prune=0.5, finetune_epochs=1,
                           train_dataset="random:1")


def _top1(model, limit):
    r = cli("eval", model, "--dataset", TEST, "--limit", str(limit), "--no-db", "--quiet")
    return float(r.stdout.split("top-1")[1].split("%")[0])


def test_fine_tuning_trains_for_real(tmp_path):
    # A short training on 2000 images with Debian's PyTorch (scripts/setup.sh installs it): the
    # 2:4 mask is exact and survives export, QAT gives an int8 model the native backend runs,
    # and neither collapses (the untrained 2:4 model is the baseline to beat).
    short = ("--finetune-epochs", "1", "--train-dataset", TRAIN, "--train-limit", "2000",
             "--batch", "64", "--seed", "3")
    untrained, tuned, qat = tmp_path / "u.onnx", tmp_path / "t.onnx", tmp_path / "q.onnx"
    cli("optimize", CNN, "-o", untrained, "--prune", "0.5", "--prune-pattern", "2:4")
    r = cli("optimize", CNN, "-o", tuned, "--prune", "0.5", "--prune-pattern", "2:4", *short)
    assert "epoch 1/1" in r.stdout + r.stderr
    for name, (w, kind, groups) in weights(tuned).items():
        # Two of every four are zero: they are the two smallest, so the mask recomputed from the
        # trained weights is their zeros.
        assert np.array_equal(prune_mask(w, kind, groups, "2:4", 0.5) == 0, w == 0), name
    assert _top1(tuned, 1000) >= _top1(untrained, 1000)

    cli("optimize", CNN, "-o", qat, "--quantize", "int8", "--per-channel", "--qat", *short,
        "--calibration-limit", "200")
    ops = {n.op_type for n in onnx.load(qat).graph.node}
    assert "QuantizeLinear" in ops and "DequantizeLinear" in ops
    assert _top1(qat, 1000) >= 85.0
    # Seeded: the same command writes the same weights.
    again = tmp_path / "t2.onnx"
    cli("optimize", CNN, "-o", again, "--prune", "0.5", "--prune-pattern", "2:4", *short)
    for name, (w, _, _) in weights(tuned).items():
        assert np.array_equal(w, weights(again)[name][0]), name
