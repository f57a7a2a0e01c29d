"""The device model's fit (tools/fit_device_model.py) and the interval it puts into plans."""

import importlib.util
import json
import subprocess
import sys

import numpy as np
import pytest

from conftest import MODELS, REPO, cli

spec = importlib.util.spec_from_file_location("fit_device_model",
                                              REPO / "tools" / "fit_device_model.py")
fit = importlib.util.module_from_spec(spec)
spec.loader.exec_module(fit)


def test_plan_fit_recovers_known_figures_and_drops_negative_terms():
    rng = np.random.default_rng(7)
    a = np.column_stack([np.ones(40), rng.uniform(0, 3, 40), rng.uniform(1e6, 1e9, 40)])
    truth = np.array([1e-4, 2e-5, 1e-12])
    y = a @ truth
    assert np.allclose(fit.fit_linear(a, y, np.zeros(40)), truth, rtol=1e-6)
    # A column whose best coefficient is negative is dropped, not kept below zero.
    y2 = a[:, [0, 2]] @ np.array([1e-4, 1e-12]) - 1e-6 * a[:, 1]
    theta = fit.fit_linear(a, y2, np.zeros(40))
    assert theta[1] == 0 and (theta >= 0).all()


def test_plan_fit_pipeline_formula_and_grid():
    one = {"k": 2, "batch": 1, "warm": [[1e-3, 2e-3]], "streamed": [[0, 1]], "t": 0}
    assert fit.pipeline_predict(1e-4, 5e-4, one) == pytest.approx(3e-3 + 5e-4 + 2e-4)
    full = {"k": 4, "batch": 50, "warm": [[1e-4] * 4], "streamed": [[0] * 4], "t": 0}
    # The host (4 x 0.3 ms) is slower than any stage (0.1 + 0.3 ms).
    assert fit.pipeline_predict(3e-4, 0, full) == pytest.approx(4 * 3e-4 * 53 / 50)
    # An exhaustive split is the fastest of its candidates.
    two = dict(full, warm=[[1e-3, 2e-3, 1e-4, 1e-4], [1e-3, 1e-3, 1e-3, 1e-3]],
               streamed=[[0, 1, 0, 0], [0, 0, 0, 0]])
    assert fit.pipeline_predict(3e-4, 1e-3, two) == pytest.approx((1e-3 + 3e-4) * 53 / 50)
    points = [dict(p, t=float(fit.pipeline_predict(2.5e-4, 1.5e-3, p)))
              for p in (one, full, dict(full, warm=[[1e-3, 2e-3, 1e-4, 1e-4]],
                                        streamed=[[0, 1, 0, 0]]))]
    h, x = fit.fit_pipeline(points, np.linspace(0, 1e-3, 401), np.linspace(0, 5e-3, 201))
    assert h == pytest.approx(2.5e-4) and x == pytest.approx(1.5e-3)


def test_plan_fit_bad_input_exits_2(tmp_path):
    r = subprocess.run([sys.executable, str(REPO / "tools" / "fit_device_model.py"), "--data",
                        str(tmp_path), "--plans", str(tmp_path)], capture_output=True, text=True)
    assert r.returncode == 2
    assert "fit_device_model: no file" in r.stderr and "conv_1tpu_F32-202.csv" in r.stderr


def test_plan_json_and_text_carry_the_latency_interval(tmp_path):
    model = MODELS / "fashion_mnist_cnn.onnx"
    r = cli("plan", model, "--device", "edgetpu-thesis", "--json", tmp_path / "p.json")
    doc = json.loads((tmp_path / "p.json").read_text())
    t = doc["models"][0]["latency_ms"]
    assert t["warm_low"] < t["warm"] < t["warm_high"]
    assert t["interval_coverage"] == 0.9
    assert f"(90% interval {t['warm_low']:.3f} - {t['warm_high']:.3f} ms)" in r.stdout
    terms = doc["models"][0]["latency_terms"]
    assert terms["device_subgraphs"] >= 1 and terms["padded_macs"] > 0
    # Segments carry the pipeline's prediction with the host's fitted costs, and its interval.
    r = cli("plan", model, "--device", "edgetpu-thesis", "--segments", 2, "--json",
            tmp_path / "s.json")
    p = json.loads((tmp_path / "s.json").read_text())["segmentation"]["pipeline_ms"]
    assert p["per_stage"] > 0
    for batch in ("batch_1", "batch_50"):
        assert p[batch]["low"] < p[batch]["per_inference"] < p[batch]["high"]
    assert "one input at a time" in r.stdout and "50 in flight" in r.stdout
