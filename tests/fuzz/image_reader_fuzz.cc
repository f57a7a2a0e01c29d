// libFuzzer target: arbitrary bytes as the one file of an `images:DIR` dataset, through the
// public entry (data::open_dataset, then sample(0), which decodes with libpng or libjpeg and
// preprocesses; the reader takes folders, so the bytes go to a scratch file). Inputs of even
// length feed a float32 [1,3,8,8] input (RGB, NCHW, resized), odd ones a uint8 [1,8,8,1] input
// (grey, NHWC). Findings are crashes, sanitizer reports, hangs and broken invariants (abort).
// Seeds: tests/fuzz/make_data_seeds.py (small PNG and JPEG files: grey, RGB, RGBA, 16-bit,
// palette, interlaced, progressive).
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "edgebench/data/dataset.h"
#include "invariant.h"
#include "scratch_dir.h"

using edgebench::fuzz::broken;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const edgebench::fuzz::ScratchDir dir;
  // Its extension only admits it to the folder listing; the decoder goes by the signature.
  dir.write("image.png", data, size);
  const bool rgb = size % 2 == 0;
  const edgebench::data::InputSpec input =
      rgb ? edgebench::data::InputSpec{"image", edgebench::DType::kFloat32, {1, 3, 8, 8}}
          : edgebench::data::InputSpec{"image", edgebench::DType::kUInt8, {1, 8, 8, 1}};
  auto dataset = edgebench::data::open_dataset("images:" + dir.path().string(), {input});
  if (!dataset.is_ok()) broken("a folder with one image file did not open");
  if ((*dataset)->size() != 1) broken("one file, not one sample");
  auto sample = (*dataset)->sample(0);
  if (!sample.is_ok()) {
    if (sample.status().message().find("image.png") == std::string::npos) {
      broken("error message does not name the file");
    }
    return 0;
  }
  if (sample->size() != 1 || sample->front().dtype() != input.dtype ||
      sample->front().shape() != input.shape) {
    broken("the sample does not match the input it was opened for");
  }
  if (rgb) {
    // Pixels scaled by 1/255 stay in [0, 1].
    const float* x = sample->front().data<float>();
    for (std::int64_t i = 0; i < sample->front().element_count(); ++i) {
      if (!(x[i] >= 0.0f && x[i] <= 1.0f)) broken("a float pixel outside [0, 1]");
    }
  }
  return 0;
}
