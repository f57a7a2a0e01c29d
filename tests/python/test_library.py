"""The compiled library (edgebench._core through the edgebench package) against the command line
it shares its code with: the same documents, the same outputs, the same record fields, errors
raised with the command line's message."""

import json
import os
import pathlib
import sqlite3
import subprocess
import sys

import numpy as np
import pytest

import edgebench
from conftest import BUILD, MODELS, REPO, cli

CNN = MODELS / "fashion_mnist_cnn.onnx"
FASHION = "fashion-mnist:/usr/share/datasets/fashion-mnist:test"


def keys(document, prefix=""):
    """Every key path of a JSON document, list items merged ("a[].b")."""
    out = set()
    if isinstance(document, dict):
        for k, v in document.items():
            out.add(prefix + k)
            out |= keys(v, prefix + k + ".")
    elif isinstance(document, list):
        for v in document:
            out |= keys(v, prefix.rstrip(".") + "[].")
    return out


def test_the_compiled_core_is_this_builds():
    _core = edgebench._lib()
    assert pathlib.Path(_core.__file__).name.startswith("_core")
    assert _core.__version__ == cli("--version").stdout.split()[-1]


@pytest.mark.parametrize(
    "model, shapes",
    [("fashion_mnist_cnn.onnx", {}), ("mobilenetv2_keras_int8.tflite", {})],
)
def test_inspect_returns_the_cli_json_document(tmp_path, model, shapes):
    info = edgebench.inspect(MODELS / model, shapes)
    cli("inspect", MODELS / model, "--json", tmp_path / "i.json")
    assert info == json.loads((tmp_path / "i.json").read_text())
    assert info["schema"] == "edgebench.inspect/1"
    assert info["params_total"] > 0 and info["inputs"] and info["outputs"]


def test_inspect_figures_of_the_reference_cnn():
    info = edgebench.inspect(CNN)
    assert info["macs_total"] == 1117056
    assert info["inputs"][0]["shape"] == [1, 1, 28, 28]
    assert info["outputs"][0]["name"] == "logits"
    assert info["unsupported_ops"] == []


def test_inspect_symbolic_dims_are_none_until_given(tmp_path):
    import onnx  # pinned in .venv
    m = onnx.load(str(CNN))
    m.graph.input[0].type.tensor_type.shape.dim[0].dim_param = "batch"
    path = tmp_path / "symbolic.onnx"
    onnx.save(m, str(path))
    free = edgebench.inspect(path)
    assert free["macs_total"] is None and free["needs_input_shape"] == ["input"]
    bound = edgebench.inspect(path, {"input": [4, 1, 28, 28]})
    assert bound["macs_total"] == 4 * 1117056


def test_run_matches_the_cli_on_seeded_and_given_inputs(tmp_path):
    out = edgebench.run(CNN, seed=3)
    cli("run", CNN, "--random-seed", 3, "--output-dir", tmp_path / "seeded")
    assert list(out) == ["logits"]
    np.testing.assert_array_equal(out["logits"], np.load(tmp_path / "seeded" / "logits.npy"))

    x = np.random.default_rng(0).random((1, 1, 28, 28), dtype=np.float32)
    np.save(tmp_path / "x.npy", x)
    given = edgebench.run(CNN, {"input": x}, backend="native-ref")
    cli("run", CNN, "--input", f"input={tmp_path / 'x.npy'}", "--backend", "native-ref",
        "--output-dir", tmp_path / "given")
    np.testing.assert_array_equal(given["logits"], np.load(tmp_path / "given" / "logits.npy"))
    assert given["logits"].dtype == np.float32 and given["logits"].shape == (1, 10)


def test_run_fast_and_reference_kernels_agree():
    x = np.random.default_rng(1).random((1, 1, 28, 28), dtype=np.float32)
    fast = edgebench.run(CNN, {"input": x}, threads=2)["logits"]
    ref = edgebench.run(CNN, {"input": x}, backend="native-ref")["logits"]
    assert np.max(np.abs(fast - ref)) / np.max(np.abs(ref)) < 1e-5


def test_bench_returns_the_record_fields_of_bench_json(tmp_path):
    record = edgebench.bench(CNN, min_queries=100, min_duration=0, label="py")
    cli("bench", CNN, "--min-queries", 100, "--min-duration", 0, "--no-db", "--label", "cli",
        "--json", tmp_path / "b.json")
    from_cli = json.loads((tmp_path / "b.json").read_text())
    assert keys(record) == keys(from_cli)
    assert record["schema"] == from_cli["schema"]
    assert record["label"] == "py"
    assert record["timings"]["latency_ms"]["count"] >= 100 and record["valid"]
    assert 0 < record["timings"]["latency_ms"]["p50"] < 1000


def test_bench_stores_only_when_asked(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    edgebench.bench(CNN, min_queries=10, min_duration=0)
    assert list(tmp_path.iterdir()) == []  # no edgebench-results.db by default
    db = tmp_path / "r.db"
    a = edgebench.bench(CNN, min_queries=10, min_duration=0, db=db, label="stored")
    with sqlite3.connect(db) as c:
        ids = [row[0] for row in c.execute("SELECT id FROM results")]
    assert ids == [a["id"]]
    listed = cli("results", "list", "--db", db).stdout
    assert "stored" in listed


def test_eval_and_compare_two_backends():
    fast = edgebench.eval(CNN, FASHION, limit=50)
    ref = edgebench.eval(CNN, FASHION, limit=50, backend="native-ref")
    assert fast["quality"]["top1"] == ref["quality"]["top1"] > 0.7
    table = edgebench.compare([fast, ref])
    assert "native-ref" in table and "top1" in table
    assert edgebench.compare([fast, ref], format="markdown").lstrip().startswith("|")


TRAIN = "fashion-mnist:/usr/share/datasets/fashion-mnist:train"


def test_optimize_and_analyze_match_the_cli(tmp_path):
    """The same int8 model, byte for byte, and the same analysis document as the commands."""
    flags = dict(quantize="int8", per_channel=True, calibration=TRAIN, calibration_limit=50)
    done = edgebench.optimize(CNN, tmp_path / "lib.onnx", **flags)
    cli("optimize", CNN, "-o", tmp_path / "cli.onnx", "--quantize", "int8", "--per-channel",
        "--calibration", TRAIN, "--calibration-limit", 50)
    assert (tmp_path / "lib.onnx").read_bytes() == (tmp_path / "cli.onnx").read_bytes()
    assert done["bytes_before"] == CNN.stat().st_size
    assert done["bytes_after"] == (tmp_path / "lib.onnx").stat().st_size
    assert 0 < done["weight_bytes"] < done["bytes_after"] < done["bytes_before"] / 3

    report = edgebench.analyze(tmp_path / "lib.onnx", CNN, FASHION, limit=20)
    cli("analyze", tmp_path / "lib.onnx", "--reference", CNN, "--dataset", FASHION, "--limit", 20,
        "--json", tmp_path / "analyze.json")
    assert report == json.loads((tmp_path / "analyze.json").read_text())
    assert report["schema"] == "edgebench.analyze/1" and report["samples"] == 20
    weights = [t for t in report["tensors"] if t["kind"] == "weight"]
    assert weights and all(t["sqnr_db"] > 30 for t in weights)  # int8 per channel: > 30 dB

    with pytest.raises(edgebench.EdgebenchError, match="--quantize 'int4'"):
        edgebench.optimize(CNN, tmp_path / "x.onnx", quantize="int4")
    with pytest.raises(edgebench.EdgebenchError, match="--percentile 20"):
        edgebench.optimize(CNN, tmp_path / "x.onnx", quantize="int8", calibration=TRAIN,
                           percentile=20)
    with pytest.raises(edgebench.EdgebenchError, match="nothing to do"):
        edgebench.optimize(CNN, tmp_path / "x.onnx")
    with pytest.raises(edgebench.EdgebenchError, match="missing.onnx"):
        edgebench.analyze(tmp_path / "missing.onnx", CNN, FASHION)
    assert not (tmp_path / "x.onnx").exists()


def test_plan_matches_the_cli(tmp_path):
    doc = edgebench.plan([CNN, CNN], "edgetpu-usb3", trace="A B A", segments=2,
                         export_dir=tmp_path / "seg")
    cli("plan", CNN, CNN, "--device", "edgetpu-usb3", "--trace", "A B A", "--segments", 2,
        "--export-dir", tmp_path / "seg", "--json", tmp_path / "plan.json")
    assert doc == json.loads((tmp_path / "plan.json").read_text())
    assert doc["schema"] == "edgebench.plan/1" and len(doc["models"]) == 2
    assert doc["models"][1]["name"] == "fashion_mnist_cnn#2"
    assert len(doc["trace"]["requests"]) == 3 and len(doc["segments"]) == 2
    assert sorted(p.name for p in (tmp_path / "seg").iterdir()) == ["segment_1.onnx",
                                                                    "segment_2.onnx"]
    # One model may be given alone; a device that does not exist raises with the CLI's message.
    assert edgebench.plan(CNN, "edgetpu-pcie")["device"]["name"] == "edgetpu-pcie"
    with pytest.raises(edgebench.EdgebenchError, match="nonesuch"):
        edgebench.plan(CNN, "nonesuch")


def test_errors_raise_with_the_cli_message(tmp_path):
    with pytest.raises(edgebench.EdgebenchError, match="missing.onnx"):
        edgebench.inspect(tmp_path / "missing.onnx")
    truncated = tmp_path / "truncated.onnx"
    truncated.write_bytes(CNN.read_bytes()[:1000])
    with pytest.raises(edgebench.EdgebenchError, match="truncated.onnx"):
        edgebench.run(truncated)
    with pytest.raises(edgebench.EdgebenchError, match="input"):
        edgebench.run(CNN, {"input": np.zeros((1, 3, 28, 28), np.float32)})
    with pytest.raises(edgebench.EdgebenchError, match="no input named 'nope'"):
        edgebench.run(CNN, {"nope": np.zeros((1,), np.float32)})
    with pytest.raises(edgebench.EdgebenchError, match="complex64"):
        edgebench.run(CNN, {"input": np.zeros((1, 1, 28, 28), np.complex64)})
    with pytest.raises(edgebench.EdgebenchError, match="backend"):
        edgebench.bench(CNN, backend="nonesuch")
    with pytest.raises(edgebench.EdgebenchError, match="scenario"):
        edgebench.bench(CNN, scenario="sometimes")
    with pytest.raises(edgebench.EdgebenchError, match="format"):
        edgebench.compare([edgebench.bench(CNN, min_queries=5, min_duration=0)], format="pdf")
    with pytest.raises(edgebench.EdgebenchError, match=r"records\[0\]"):
        edgebench.compare([{"schema": "nonsense"}])
    # The library keeps working after each error.
    assert edgebench.run(CNN)["logits"].shape == (1, 10)


def test_the_readme_example_is_examples_python_api_and_runs():
    example = (REPO / "examples" / "python_api.py").read_text()
    assert "```python\n" + example + "```" in (REPO / "README.md").read_text()
    env = dict(os.environ, PYTHONPATH=str(REPO / "python"), EDGEBENCH_BUILD_DIR=str(BUILD))
    r = subprocess.run([sys.executable, "examples/python_api.py"], cwd=REPO, env=env,
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    assert "1,117,056 MACs" in r.stdout
    assert "native-ref" in r.stdout and "top-1 0." in r.stdout


def test_the_library_prints_nothing(tmp_path, capfd):
    edgebench.inspect(CNN)
    edgebench.run(CNN)
    edgebench.bench(CNN, min_queries=10, min_duration=0, db=tmp_path / "r.db")
    edgebench.eval(CNN, FASHION, limit=5, db=tmp_path / "r.db")
    edgebench.optimize(CNN, tmp_path / "fp16.onnx", quantize="fp16")
    edgebench.analyze(tmp_path / "fp16.onnx", CNN, FASHION, limit=5)
    edgebench.plan(CNN, "edgetpu-usb3", segments=2)
    out, err = capfd.readouterr()
    assert out == "" and err == ""
