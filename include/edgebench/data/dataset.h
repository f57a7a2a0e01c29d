// Datasets: where input samples (and, later, labels) come from.
//
// Specs (the command line's `--dataset SPEC`):
//   npy:DIR         every *.npy file in DIR (sorted by name) is one sample of the model's first
//                   input; a file named NAME.npy or NAME_<k>.npy feeds the input called NAME
//                   when the model has one (then a sample is every file with the same <k>).
//                   DIR/labels.txt, when present, labels the samples in order (as for npz:)
//   npz:DIR         every *.npz file in DIR (sorted by name) is one sample (np.savez or
//                   np.savez_compressed: a zip of .npy members, stored or deflated; ZIP64
//                   records read, encryption and other methods refused). Input NAME takes
//                   the member NAME.npy, else the positional arr_<i>.npy of input i, else
//                   (one input, one member) the only member; other members are ignored.
//                   Optional DIR/labels.txt: one integer class index per line, one line per
//                   sample in file order (classification, num_classes = largest + 1).
//                   For both, a file (every member of an .npz alike) may hold N samples
//                   stacked along axis 0: [N, ...] for an input [1, ...], or one dim more than
//                   the input; it is then N samples, in order
//   onnx-test:DIR   ONNX backend-test data: each DIR/test_data_set_*/ is one sample, its
//                   input_<k>.pb tensors named as stored (positional when unnamed)
//   random:SEED     seeded random tensors for the model's inputs (uniform [0, 1) for floats)
//   fashion-mnist:DIR[:train|test]
//                   Fashion-MNIST in IDX format (split `test` by default): DIR/t10k-* or
//                   DIR/train-* {images-idx3-ubyte, labels-idx1-ubyte}, each gzipped (.gz, as
//                   Debian's dataset-fashion-mnist installs them in
//                   /usr/share/datasets/fashion-mnist) or plain. Labelled (classification,
//                   10 classes). Feeds a model with one input: float32 pixels scaled to [0, 1]
//                   or uint8 raw pixels, shaped [1,1,28,28], [1,28,28], [1,28,28,1] or [1,784].
//   images:DIR[,OPTIONS]
//                   PNG and JPEG files (.png, .jpg, .jpeg, any case; other files and names
//                   starting with '.' are ignored). With sub-folders, each sub-folder is a class:
//                   sorted folder names are the class names, their positions the class indices
//                   (classification; an empty one keeps its index); files directly in DIR are then
//                   ignored. Without sub-folders the files in DIR are one unlabelled set. Files are
//                   sorted by name within a class. Feeds a model with one input shaped [1,C,H,W],
//                   [1,H,W,C], [C,H,W] or [H,W,C] with C 1 or 3. OPTIONS, comma-separated, applied
//                   in this order:
//                     gray | rgb     channels; default: the input's channel count (1: grey
//                                    via BT.601 luma 0.299 R + 0.587 G + 0.114 B, 3: RGB,
//                                    grey images replicated); must match that count
//                     resize=N       shorter side to N, the longer to N * long / short rounded
//                                    down (bilinear, half-pixel centres, no antialiasing)
//                     resize=WxH     to exactly W x H (bilinear)
//                     crop=N | WxH   centre crop (offset (size - crop) / 2 rounded down)
//                     scale=F        float32 inputs: pixel / F (default 255)
//                     mean=A[/B/C], std=A[/B/C]
//                                    float32 inputs: (pixel / scale - mean) / std per channel
//                                    (one value: every channel; defaults 0 and 1)
//                     layout=nchw|nhwc  default: nhwc when the last dimension alone looks like
//                                    channels (1 or 3, or the gray/rgb count), else nchw
//                   With no resize or crop, an image whose size differs from the input's H x W
//                   is resized (bilinear) to exactly H x W; with them, the result must be H x W.
//                   float32 inputs get the preprocessed floats; uint8 inputs the raw pixels
//                   (rounded after resizing), int8 inputs pixel - 128; scale, mean and std are
//                   refused for integer inputs. Alpha is composited onto black; 16-bit PNGs
//                   are reduced to 8 bits. Images are decoded when their sample is read; a
//                   corrupt file (truncated data counts, JPEG warnings included) is an error
//                   naming the file then. DIR containing ',' works when it exists as written
//                   and there are no options.
// Other datasets read their files when opened. Errors name the file.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "edgebench/core/status.h"
#include "edgebench/core/tensor.h"

namespace edgebench::data {

// A model input a dataset has to feed.
struct InputSpec {
  std::string name;
  DType dtype = DType::kUndefined;
  Shape shape;
  // Set for an integer input that takes quantized values (TFLite's full-integer models): the
  // dataset's real-valued samples are quantized with it (round half to even, saturate).
  std::optional<QuantParams> quant = std::nullopt;
};

// What a dataset's labels are for; kNone: it has none.
enum class Task { kNone, kClassification, kRegression };

class Dataset {
 public:
  Dataset() = default;
  Dataset(const Dataset&) = delete;
  Dataset& operator=(const Dataset&) = delete;
  virtual ~Dataset() = default;

  virtual std::string spec() const = 0;
  virtual std::size_t size() const = 0;
  // Input tensors of sample i, in the order of the InputSpecs the dataset was opened for.
  virtual Result<std::vector<Tensor>> sample(std::size_t i) const = 0;

  // Labels. Datasets without them keep these defaults (kNone, an error, 0, none).
  virtual Task task() const { return Task::kNone; }
  // The class index of sample i (classification) or its target value (regression).
  virtual Result<std::int64_t> label(std::size_t i) const;
  virtual std::size_t num_classes() const { return 0; }
  // One name per class index, or empty when the classes have no names.
  virtual std::vector<std::string> class_names() const { return {}; }
};

// Opens a dataset for a model with the given inputs; checks every sample's dtype and shape
// against them. Inputs with `quant` get float32 samples quantized to their dtype. `random:`
// datasets have `random_count` samples.
Result<std::unique_ptr<Dataset>> open_dataset(std::string_view spec,
                                              const std::vector<InputSpec>& inputs,
                                              std::size_t random_count = 4);

}  // namespace edgebench::data
