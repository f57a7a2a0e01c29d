"""End-to-end runs of the reference model through the Python target on each runtime, compared with
ONNX Runtime called directly; bad input (a rejected model, an unknown option, a delegate that
does not load, a missing package) names the runtime and the cause, and the target keeps
serving."""

import os
import subprocess
import sys

import numpy as np
import onnxruntime as ort
import pytest

from conftest import MODELS, REPO
from edgebench.target import protocol as p
from edgebench.target.client import Client, RemoteError

MODEL_PATH = MODELS / "fashion_mnist_cnn.onnx"
MODEL = MODEL_PATH.read_bytes()
SEED = 20261207


def seeded_input():
    return np.random.default_rng(SEED).random((1, 1, 28, 28), dtype=np.float32)


def reference_output(x):
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    session = ort.InferenceSession(str(MODEL_PATH), so, providers=["CPUExecutionProvider"])
    return session.run(None, {session.get_inputs()[0].name: x})[0]


@pytest.mark.parametrize("runtime,precision", [("onnxruntime", "f32"), ("openvino", "f32"),
                                               ("tvm", "f32")])
def test_reference_model_matches_onnxruntime_in_process(start_target, runtime, precision):
    target = start_target("--runtime", runtime)
    x = seeded_input()
    with Client("127.0.0.1", target.port, timeout=120) as c:
        hello = c.hello()
        assert hello["server"] == "edgebench.target (python)"
        assert hello["backend"] == runtime and hello["backends"] == [runtime]
        assert hello["runtime"]["name"] == runtime and hello["runtime"]["version"]
        assert c.model(MODEL)["nodes"] > 0
        spec = c.io_spec(threads=1)
        assert spec["inputs"] == [{"name": "input", "dtype": "float32", "shape": [1, 1, 28, 28]}]
        assert spec["outputs"][0]["shape"] == [1, 10]
        info = spec["runtime"]
        assert info["precision"] == precision and info["threads"] == 1
        for _ in range(3):
            outputs, target_ms = c.infer([("input", x)])
            assert target_ms > 0
        (name, y), = outputs
        assert name == spec["outputs"][0]["name"]
        np.testing.assert_allclose(y, reference_output(x), rtol=1e-4, atol=1e-5)
        stats = c.stats()
        assert stats["queries"] == 3 and stats["target_ms_total"] >= stats["target_ms_max"] > 0
    assert target.stop() == 0


def test_openvino_precision_option_is_applied_and_reported(start_target):
    target = start_target("--runtime", "openvino", "--runtime-option", "precision=f32")
    with Client("127.0.0.1", target.port, timeout=120) as c:
        c.hello()
        c.model(MODEL)
        spec = c.io_spec(threads=1, runtime_options={"performance_hint": "LATENCY"})
        assert spec["runtime"]["options"]["precision"] == "f32"
        assert spec["runtime"]["precision"] == "f32"
        with pytest.raises(RemoteError) as e:
            c.io_spec(threads=1, runtime_options={"precision": "f64"})
        assert e.value.code == p.ErrorCode.BAD_INPUT and "f64" in e.value.message
    assert target.stop() == 0


def test_bad_input_names_runtime_and_cause_and_the_target_keeps_serving(start_target):
    target = start_target("--runtime", "onnxruntime")
    x = seeded_input()
    with Client("127.0.0.1", target.port) as c:
        c.hello()
        # A well-formed ONNX file the runtime rejects: the graph's only node names an unknown op.
        import onnx
        from onnx import helper, TensorProto
        graph = helper.make_graph(
            [helper.make_node("NoSuchOp", ["x"], ["y"])], "g",
            [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])],
            [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])])
        bad = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
        c.model(bad.SerializeToString())
        with pytest.raises(RemoteError) as e:
            c.io_spec(threads=1)
        assert e.value.code == p.ErrorCode.BAD_MODEL
        assert "onnxruntime rejected the model" in e.value.message and "NoSuchOp" in e.value.message
        # A TFLite model sent to onnxruntime.
        with pytest.raises(RemoteError) as e:
            c.model(b"\x1c\x00\x00\x00TFL3" + bytes(64))
        assert e.value.code == p.ErrorCode.BAD_MODEL
        assert "onnxruntime runtime runs ONNX models; this is a TFLite" in e.value.message
        # An unknown runtime option: named, with the known ones listed.
        c.model(MODEL)
        with pytest.raises(RemoteError) as e:
            c.io_spec(threads=1, runtime_options={"turbo": "on"})
        assert e.value.code == p.ErrorCode.BAD_INPUT
        assert "'turbo'" in e.value.message and "ep, graph_optimization_level" in e.value.message
        with pytest.raises(RemoteError) as e:
            c.io_spec(threads=1, runtime_options={"ep": "nosuchprovider"})
        assert "CPUExecutionProvider" in e.value.message
        with pytest.raises(RemoteError) as e:
            c.io_spec(threads=10**6)
        assert e.value.code == p.ErrorCode.BAD_INPUT and "threads" in e.value.message
        # The same session then runs the model.
        c.io_spec(threads=1)
        outputs, _ = c.infer([("input", x)])
        np.testing.assert_allclose(outputs[0][1], reference_output(x), rtol=1e-4, atol=1e-5)
    assert target.alive() and target.stop() == 0


def test_tflite_runtime_refuses_an_onnx_model(start_target):
    target = start_target("--runtime", "tflite")
    with Client("127.0.0.1", target.port) as c:
        hello = c.hello()
        assert hello["runtime"]["delegate"] == "xnnpack (built-in)"
        with pytest.raises(RemoteError) as e:
            c.model(MODEL)
        assert e.value.code == p.ErrorCode.BAD_MODEL
        assert "the tflite runtime runs TFLite (.tflite) models; this is an ONNX model" in (
            e.value.message)
    assert target.stop() == 0


def run_target(*args):
    env = dict(os.environ, PYTHONPATH=str(REPO / "python"))
    return subprocess.run([sys.executable, "-m", "edgebench.target", "--listen", "127.0.0.1:0",
                           *args], capture_output=True, text=True, env=env, timeout=120)


@pytest.mark.parametrize("args,expected", [
    (["--runtime", "tflite", "--delegate", "/nonexistent/libedgetpu.so.1"],
     "the TFLite delegate /nonexistent/libedgetpu.so.1 does not load"),
    (["--runtime", "onnxruntime", "--runtime-option", "turbo=on"],
     "the onnxruntime runtime has no option 'turbo' (known options: ep, graph_optimization_level)"),
    (["--runtime", "onnxruntime", "--runtime-option", "ep=nosuch"],
     "execution provider 'nosuch' is not available here"),
    (["--runtime", "caffe"], "--runtime caffe: unknown runtime"),
    (["--runtime", "onnxruntime", "--runtime-option", "novalue"], "expected KEY=VALUE"),
    (["--runtime", "onnxruntime", "--idle-timeout", "-1"], "between 0 and 1e6"),
    (["--runtime", "onnxruntime", "--token-file", "/nonexistent/token"], "cannot open it"),
    (["--runtime", "openvino", "--delegate", "libx.so"], "--delegate is a TFLite option"),
])
def test_bad_command_lines_exit_2_naming_the_cause(args, expected):
    r = run_target(*args)
    assert r.returncode == 2, r.stderr
    assert expected in r.stderr
    assert "listening on" not in r.stdout


def test_missing_runtime_package_exits_2_with_the_pip_line(tmp_path):
    # A module that fails to import stands in for the package, first on the path.
    shadow = tmp_path / "openvino"
    shadow.mkdir()
    (shadow / "__init__.py").write_text("raise ImportError('No module named openvino')\n")
    env = dict(os.environ, PYTHONPATH=f"{tmp_path}{os.pathsep}{REPO / 'python'}")
    r = subprocess.run([sys.executable, "-m", "edgebench.target", "--listen", "127.0.0.1:0",
                        "--runtime", "openvino"], capture_output=True, text=True, env=env,
                       timeout=60)
    assert r.returncode == 2
    assert "pip install openvino==2026.4.1" in r.stderr


def test_quantized_model_reports_int8_on_onnxruntime_and_openvino(start_target, tmp_path):
    """A QDQ model (made by `edgebench optimize`) runs its convolutions in int8 under an f32
    precision hint: the reported precision is what the compute layers execute in."""
    edgebench = REPO / os.environ.get("EDGEBENCH_BUILD_DIR", "build/release") / "edgebench"
    qdq = tmp_path / "int8.onnx"
    made = subprocess.run([str(edgebench), "optimize", str(MODEL_PATH), "-o", str(qdq),
                           "--quantize", "int8", "--per-channel", "--calibration", "random:1",
                           "--calibration-limit", "8"], capture_output=True, text=True)
    assert made.returncode == 0, made.stdout + made.stderr
    for runtime in ("onnxruntime", "openvino"):
        target = start_target("--runtime", runtime)
        with Client("127.0.0.1", target.port, timeout=120) as c:
            c.hello()
            c.model(qdq.read_bytes())
            assert c.io_spec(threads=1)["runtime"]["precision"] == "int8", runtime
            c.model(MODEL)
            assert c.io_spec(threads=1)["runtime"]["precision"] == "f32", runtime
        assert target.stop() == 0


def test_cpu_pins_the_target_and_a_bad_list_is_refused(start_target):
    target = start_target("--runtime", "onnxruntime", "--cpu", "0", "--busy-poll-us", "500",
                          "--warm-run")
    assert os.sched_getaffinity(target.proc.pid) == {0}
    x = seeded_input()
    with Client("127.0.0.1", target.port, timeout=60) as c:  # busy polling serves the same
        assert c.hello()["runtime"]["warm_run"] is True
        c.model(MODEL)
        assert c.io_spec(threads=1)["runtime"]["warm_run"] is True
        for k in range(3):  # inputs that change: the warm run must not answer for the last ones
            xk = x + k
            (_, y), = c.infer([("input", xk)])[0]
            np.testing.assert_allclose(y, reference_output(xk), rtol=1e-4, atol=1e-5)
        assert c.stats()["queries"] == 3  # the untimed runs are not queries
    assert target.stop() == 0
    bad = subprocess.run([sys.executable, "-m", "edgebench.target", "--listen", "127.0.0.1:0",
                          "--runtime", "onnxruntime", "--cpu", "1-x"],
                         env=dict(os.environ, PYTHONPATH=str(REPO / "python")),
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2
    assert "--cpu '1-x'" in bad.stderr
