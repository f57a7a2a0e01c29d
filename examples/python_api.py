import edgebench

model = "models/fashion_mnist_cnn.onnx"
info = edgebench.inspect(model)
print(f"{info['macs_total']:,} MACs, {info['params_total']:,} parameters")
records = [edgebench.bench(model, backend=b, threads=1, min_queries=200, label=b)
           for b in ("native", "native-ref")]
print(edgebench.compare(records))
quality = edgebench.eval(model, "fashion-mnist:/usr/share/datasets/fashion-mnist:test", limit=500)
print("top-1", quality["quality"]["top1"])
