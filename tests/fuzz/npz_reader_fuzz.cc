// libFuzzer target: arbitrary bytes as the one archive of an `npz:DIR` dataset, through the
// public entry (data::open_dataset; the reader takes folders, so the bytes go to a scratch file).
// The zip directory, ZIP64 records, deflate streams, CRCs and the .npy members are all parsed
// from the bytes. Findings are crashes, sanitizer reports and broken invariants (abort).
// Seeds: tests/fuzz/make_data_seeds.py (archives written by NumPy's np.savez and
// np.savez_compressed for one float32 input "x" shaped [1,4]).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "edgebench/data/dataset.h"
#include "invariant.h"
#include "scratch_dir.h"

using edgebench::fuzz::broken;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const edgebench::fuzz::ScratchDir dir;
  dir.write("sample.npz", data, size);
  const std::vector<edgebench::data::InputSpec> inputs = {
      {"x", edgebench::DType::kFloat32, {1, 4}}};
  auto dataset = edgebench::data::open_dataset("npz:" + dir.path().string(), inputs);
  if (!dataset.is_ok()) {
    if (dataset.status().message().find("sample.npz") == std::string::npos) {
      broken("error message does not name the archive");
    }
    return 0;
  }
  if ((*dataset)->size() == 0) broken("an opened dataset has no samples");
  for (std::size_t i = 0; i < (*dataset)->size(); ++i) {
    auto sample = (*dataset)->sample(i);
    if (!sample.is_ok()) continue;
    if (sample->size() != 1 || sample->front().dtype() != edgebench::DType::kFloat32 ||
        sample->front().shape() != edgebench::Shape{1, 4}) {
      broken("a sample does not match the input it was opened for");
    }
  }
  return 0;
}
