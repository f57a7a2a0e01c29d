"""Writes the seed files of the data-reader fuzz targets into tests/fuzz/seeds/ (committed).

Run with Debian's interpreter, which has NumPy and Pillow:
    /usr/bin/python3 tests/fuzz/make_data_seeds.py
npy/: arrays written by np.save (several dtypes and ranks, a version 2.0 header, a Fortran-order
      array the reader refuses). npz/: archives written by np.savez and np.savez_compressed for one
      float32 input "x" shaped [1,4] (named, positional arr_0, with an extra member).
image/: small PNG (grey, RGB, RGBA, 16-bit grey, palette, interlaced) and JPEG (grey, RGB,
      progressive) files written by Pillow. experiment/: run-experiment files naming the scratch
      models the fuzz target provides (model.onnx, model.tflite).
"""
import io
import json
import pathlib
import zipfile

import numpy as np
from PIL import Image

ROOT = pathlib.Path(__file__).resolve().parent / "seeds"


def write(folder, name, data):
    path = ROOT / folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def npy_bytes(array, version=None):
    out = io.BytesIO()
    if version is None:
        np.save(out, array)
    else:
        np.lib.format.write_array(out, array, version=version)
    return out.getvalue()


def main():
    rng = np.random.default_rng(0)
    write("npy", "float32_1x4.npy", npy_bytes(rng.random((1, 4), dtype=np.float32)))
    write("npy", "uint8_2x3x2.npy", npy_bytes(np.arange(12, dtype=np.uint8).reshape(2, 3, 2)))
    write("npy", "int64_scalar.npy", npy_bytes(np.int64(-7)))
    write("npy", "float16_empty.npy", npy_bytes(np.zeros((0, 3), dtype=np.float16)))
    write("npy", "bool_3.npy", npy_bytes(np.array([True, False, True])))
    write("npy", "int32_v2.npy", npy_bytes(np.arange(6, dtype=np.int32).reshape(3, 2), (2, 0)))
    write("npy", "float64_fortran.npy",
          npy_bytes(np.asfortranarray(rng.random((2, 3)))))

    x = rng.random((1, 4), dtype=np.float32)
    for name, save, kwargs in [("named.npz", np.savez, {"x": x}),
                               ("named_compressed.npz", np.savez_compressed, {"x": x}),
                               ("two_members.npz", np.savez_compressed,
                                {"x": x, "label": np.int64(3)})]:
        out = io.BytesIO()
        save(out, **kwargs)
        write("npz", name, out.getvalue())
    out = io.BytesIO()
    np.savez(out, x)  # positional: member arr_0.npy
    write("npz", "positional.npz", out.getvalue())
    # A ZIP64 archive: zipfile's force_zip64 writes ZIP64 extra fields for one .npy member.
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        with archive.open("x.npy", "w", force_zip64=True) as member:
            member.write(npy_bytes(x))
    write("npz", "zip64.npz", out.getvalue())

    grey = (np.arange(64, dtype=np.uint8).reshape(8, 8) * 4)
    rgb = rng.integers(0, 256, (6, 10, 3), dtype=np.uint8)
    rgba = rng.integers(0, 256, (5, 5, 4), dtype=np.uint8)
    images = {
        "grey.png": (Image.fromarray(grey), "PNG", {}),
        "rgb.png": (Image.fromarray(rgb), "PNG", {}),
        "rgba.png": (Image.fromarray(rgba), "PNG", {}),
        "grey16.png": (Image.fromarray(grey.astype(np.uint16) * 257), "PNG", {}),
        "palette.png": (Image.fromarray(rgb).convert("P"), "PNG", {}),
        "interlaced.png": (Image.fromarray(rgb), "PNG", {"interlace": 1}),
        "grey.jpg": (Image.fromarray(grey), "JPEG", {"quality": 90}),
        "rgb.jpg": (Image.fromarray(rgb), "JPEG", {"quality": 90}),
        "progressive.jpg": (Image.fromarray(rgb), "JPEG", {"progressive": True}),
    }
    for name, (image, kind, options) in images.items():
        out = io.BytesIO()
        image.save(out, kind, **options)
        write("image", name, out.getvalue())

    experiments = {
        "generated.json": {
            "name": "g", "models": [
                {"name": "c", "generate": {"kind": "conv", "filters": 4, "layers": 2,
                                           "input": 8, "kernel": 3, "activation": "relu"}},
                {"name": "d", "generate": {"kind": "dense", "neurons": 8, "layers": 2,
                                           "inputs": 4, "outputs": 2, "seed": 1}}],
            "backends": ["native", "native-ref"], "scenarios": ["single-stream", "offline"],
            "bench": {"warmup": 1, "min_queries": 5, "min_duration": 0.1, "max_duration": 1,
                      "threads": 1, "target_qps": 10, "batch": 1},
            "quality": {"limit": 10}},
        "files.json": {
            "description": "d", "db": "r.db",
            "models": ["model.onnx",
                       {"name": "m", "path": "model.onnx", "dataset": "random:0",
                        "calibration": "random:1",
                        "files": {"int8": {"tflite": "model.tflite"}}}],
            "variants": {"float": "", "int8": {"flags": "--quantize int8",
                                               "files": {"tflite": "model.tflite"}}},
            "backends": ["native", "tflite"]},
    }
    for name, experiment in experiments.items():
        write("experiment", name, json.dumps(experiment, indent=1).encode())


if __name__ == "__main__":
    main()
