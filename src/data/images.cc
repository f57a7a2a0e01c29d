#include "images.h"

// jpeglib.h needs FILE and size_t declared before it.
#include <cstddef>
#include <cstdio>
// clang-format off
#include <jpeglib.h>
// clang-format on
#include <fmt/format.h>
#include <png.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <csetjmp>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>

#include "data_files.h"

namespace edgebench::data {

namespace {

namespace fs = std::filesystem;

// Caps that keep a hostile header from making us allocate gigabytes: a 256 MiB file and
// 32 Mi pixels (e.g. 8000 x 4000) are far beyond what a benchmark feeds a model.
constexpr std::uint64_t kMaxFileBytes = std::uint64_t{256} << 20;
constexpr std::uint64_t kMaxPixels = std::uint64_t{1} << 25;
// Sizes given in the spec (resize, crop) and sizes they produce.
constexpr std::int64_t kMaxSide = 1 << 15;
constexpr std::string_view kOptionsHelp =
    "resize=N|WxH, crop=N|WxH, scale=F, mean=A[/B/C], std=A[/B/C], layout=nchw|nhwc, gray, rgb";

struct Size2 {
  std::int64_t width = 0;
  std::int64_t height = 0;
  bool operator==(const Size2&) const = default;
};

// A decoded image, or one on its way through preprocessing: row-major, channels interleaved.
template <typename T>
struct Image {
  std::int64_t width = 0;
  std::int64_t height = 0;
  int channels = 0;
  std::vector<T> pixels;

  T& at(std::int64_t y, std::int64_t x, int c) {
    return pixels[static_cast<std::size_t>((y * width + x) * channels + c)];
  }
  const T& at(std::int64_t y, std::int64_t x, int c) const {
    return pixels[static_cast<std::size_t>((y * width + x) * channels + c)];
  }
};

// ---- decoding ----------------------------------------------------------------------------

Status check_dimensions(const fs::path& path, std::uint64_t width, std::uint64_t height) {
  if (width == 0 || height == 0 || width * height > kMaxPixels) {
    return out_of_range(fmt::format("'{}': image is {}x{}, expected 1 to {} pixels", path.string(),
                                    width, height, kMaxPixels));
  }
  return Status::ok();
}

Result<Image<std::uint8_t>> decode_png(const fs::path& path, const std::string& bytes) {
  png_image image;
  std::memset(&image, 0, sizeof image);
  image.version = PNG_IMAGE_VERSION;
  // The simplified API catches libpng's own longjmps inside libpng and reports a message.
  if (png_image_begin_read_from_memory(&image, bytes.data(), bytes.size()) == 0) {
    return data_loss(fmt::format("'{}': corrupt PNG ({})", path.string(), image.message));
  }
  if (Status s = check_dimensions(path, image.width, image.height); !s.is_ok()) {
    png_image_free(&image);
    return s;
  }
  Image<std::uint8_t> out;
  out.width = image.width;
  out.height = image.height;
  out.channels = (image.format & PNG_FORMAT_FLAG_COLOR) != 0 ? 3 : 1;
  image.format = out.channels == 3 ? PNG_FORMAT_RGB : PNG_FORMAT_GRAY;
  // Zero-filled: an alpha channel is composited onto this (black) background.
  out.pixels.assign(PNG_IMAGE_SIZE(image), 0);
  if (png_image_finish_read(&image, nullptr, out.pixels.data(), 0, nullptr) == 0) {
    const std::string message = image.message;
    png_image_free(&image);
    return data_loss(fmt::format("'{}': corrupt PNG ({})", path.string(), message));
  }
  return out;
}

struct JpegErrorManager {
  jpeg_error_mgr base;  // first, so that libjpeg's jpeg_error_mgr* points at the whole struct
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

// Everything the setjmp function touches lives here, outside its frame, so nothing it reads
// after a longjmp is an automatic variable changed since setjmp.
struct JpegJob {
  jpeg_decompress_struct cinfo;
  JpegErrorManager error;
  const unsigned char* data;
  unsigned long size;
  std::vector<std::uint8_t>* pixels;
  std::uint64_t width;
  std::uint64_t height;
  int channels;
  bool too_large;
};

[[noreturn]] void jpeg_fail(j_common_ptr cinfo) {
  auto* error = reinterpret_cast<JpegErrorManager*>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, error->message);
  std::longjmp(error->jump, 1);
}

// libjpeg reports corrupt or truncated data as warnings (level -1) and goes on decoding grey
// filler; a benchmark must not silently feed that to a model, so a warning fails the image.
void jpeg_message(j_common_ptr cinfo, int level) {
  if (level < 0) jpeg_fail(cinfo);
}

// Decodes job.data; false with job.error.message (or job.too_large) set on failure. libjpeg's
// errors longjmp back here: only libjpeg's C frames lie between, and this function keeps no
// automatic object with a destructor.
bool run_jpeg_decode(JpegJob& job) {
  job.cinfo.err = jpeg_std_error(&job.error.base);
  job.error.base.error_exit = jpeg_fail;
  job.error.base.emit_message = jpeg_message;
  if (setjmp(job.error.jump) != 0) {
    jpeg_destroy_decompress(&job.cinfo);
    return false;
  }
  jpeg_create_decompress(&job.cinfo);
  jpeg_mem_src(&job.cinfo, job.data, job.size);
  jpeg_read_header(&job.cinfo, TRUE);
  job.width = job.cinfo.image_width;
  job.height = job.cinfo.image_height;
  if (job.width == 0 || job.height == 0 || job.width * job.height > kMaxPixels) {
    job.too_large = true;
    jpeg_destroy_decompress(&job.cinfo);
    return false;
  }
  const bool gray = job.cinfo.jpeg_color_space == JCS_GRAYSCALE;
  job.cinfo.out_color_space = gray ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_start_decompress(&job.cinfo);
  job.channels = job.cinfo.output_components;
  job.width = job.cinfo.output_width;
  job.height = job.cinfo.output_height;
  const std::size_t stride = static_cast<std::size_t>(job.width) * job.channels;
  job.pixels->assign(stride * job.height, 0);
  while (job.cinfo.output_scanline < job.cinfo.output_height) {
    JSAMPROW row = job.pixels->data() + stride * job.cinfo.output_scanline;
    jpeg_read_scanlines(&job.cinfo, &row, 1);
  }
  jpeg_finish_decompress(&job.cinfo);
  jpeg_destroy_decompress(&job.cinfo);
  return true;
}

Result<Image<std::uint8_t>> decode_jpeg(const fs::path& path, const std::string& bytes) {
  Image<std::uint8_t> out;
  auto job = std::make_unique<JpegJob>();
  std::memset(job.get(), 0, sizeof(JpegJob));
  job->data = reinterpret_cast<const unsigned char*>(bytes.data());
  job->size = static_cast<unsigned long>(bytes.size());
  job->pixels = &out.pixels;
  if (!run_jpeg_decode(*job)) {
    if (job->too_large) {
      EB_RETURN_IF_ERROR(check_dimensions(path, job->width, job->height));
    }
    return data_loss(fmt::format("'{}': corrupt JPEG ({})", path.string(), job->error.message));
  }
  if (job->channels != 1 && job->channels != 3) {
    return unsupported(fmt::format("'{}': JPEG decodes to {} channels, expected 1 or 3",
                                   path.string(), job->channels));
  }
  out.width = static_cast<std::int64_t>(job->width);
  out.height = static_cast<std::int64_t>(job->height);
  out.channels = job->channels;
  return out;
}

Result<Image<std::uint8_t>> decode_image(const fs::path& path) {
  EB_ASSIGN_OR_RETURN(std::string bytes, read_whole_file(path, kMaxFileBytes));
  constexpr std::array<unsigned char, 8> kPngMagic = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  constexpr std::array<unsigned char, 3> kJpegMagic = {0xff, 0xd8, 0xff};
  const auto starts_with = [&bytes](const auto& magic) {
    return bytes.size() >= magic.size() &&
           std::memcmp(bytes.data(), magic.data(), magic.size()) == 0;
  };
  if (bytes.empty()) return data_loss(fmt::format("'{}': empty file", path.string()));
  if (starts_with(kPngMagic)) return decode_png(path, bytes);
  if (starts_with(kJpegMagic)) return decode_jpeg(path, bytes);
  return invalid_argument(
      fmt::format("'{}': not a PNG or JPEG image (no PNG or JPEG signature)", path.string()));
}

// ---- preprocessing -----------------------------------------------------------------------

// Converts to `channels` (1 or 3) floats; RGB to grey uses ITU-R BT.601 luma weights, as
// libjpeg and PIL do.
Image<float> to_float(const Image<std::uint8_t>& in, int channels) {
  Image<float> out{in.width, in.height, channels, {}};
  out.pixels.resize(static_cast<std::size_t>(in.width * in.height * channels));
  for (std::int64_t y = 0; y < in.height; ++y) {
    for (std::int64_t x = 0; x < in.width; ++x) {
      if (in.channels == channels) {
        for (int c = 0; c < channels; ++c) out.at(y, x, c) = in.at(y, x, c);
      } else if (channels == 3) {
        for (int c = 0; c < 3; ++c) out.at(y, x, c) = in.at(y, x, 0);
      } else {
        out.at(y, x, 0) =
            0.299f * in.at(y, x, 0) + 0.587f * in.at(y, x, 1) + 0.114f * in.at(y, x, 2);
      }
    }
  }
  return out;
}

// Bilinear with half-pixel centres (OpenCV INTER_LINEAR, PIL/torchvision without
// antialiasing): source coordinate (d + 0.5) * in / out - 0.5, clamped to the image.
Image<float> resize_bilinear(const Image<float>& in, Size2 size) {
  if (in.width == size.width && in.height == size.height) return in;
  struct Tap {
    std::int64_t lo, hi;
    float weight;  // of hi
  };
  const auto taps = [](std::int64_t in_size, std::int64_t out_size) {
    std::vector<Tap> result(static_cast<std::size_t>(out_size));
    const double ratio = static_cast<double>(in_size) / static_cast<double>(out_size);
    for (std::int64_t d = 0; d < out_size; ++d) {
      double s = (static_cast<double>(d) + 0.5) * ratio - 0.5;
      s = std::clamp(s, 0.0, static_cast<double>(in_size - 1));
      const auto lo = static_cast<std::int64_t>(std::floor(s));
      result[static_cast<std::size_t>(d)] = {lo, std::min(lo + 1, in_size - 1),
                                             static_cast<float>(s - static_cast<double>(lo))};
    }
    return result;
  };
  const std::vector<Tap> xs = taps(in.width, size.width);
  const std::vector<Tap> ys = taps(in.height, size.height);
  Image<float> out{size.width, size.height, in.channels, {}};
  out.pixels.resize(static_cast<std::size_t>(size.width * size.height * in.channels));
  for (std::int64_t y = 0; y < size.height; ++y) {
    const Tap& ty = ys[static_cast<std::size_t>(y)];
    for (std::int64_t x = 0; x < size.width; ++x) {
      const Tap& tx = xs[static_cast<std::size_t>(x)];
      for (int c = 0; c < in.channels; ++c) {
        const float top =
            in.at(ty.lo, tx.lo, c) * (1 - tx.weight) + in.at(ty.lo, tx.hi, c) * tx.weight;
        const float bottom =
            in.at(ty.hi, tx.lo, c) * (1 - tx.weight) + in.at(ty.hi, tx.hi, c) * tx.weight;
        out.at(y, x, c) = top * (1 - ty.weight) + bottom * ty.weight;
      }
    }
  }
  return out;
}

// Centre crop; the margin's odd pixel goes to the right / bottom (offset rounded down).
Image<float> crop_centre(const Image<float>& in, Size2 size) {
  const std::int64_t top = (in.height - size.height) / 2;
  const std::int64_t left = (in.width - size.width) / 2;
  Image<float> out{size.width, size.height, in.channels, {}};
  out.pixels.resize(static_cast<std::size_t>(size.width * size.height * in.channels));
  for (std::int64_t y = 0; y < size.height; ++y) {
    for (std::int64_t x = 0; x < size.width; ++x) {
      for (int c = 0; c < in.channels; ++c) out.at(y, x, c) = in.at(top + y, left + x, c);
    }
  }
  return out;
}

// What the spec asks for and how the model's input takes it.
struct Preprocess {
  std::int64_t resize_short = 0;  // resize=N: shorter side to N
  std::optional<Size2> resize;    // resize=WxH
  std::optional<Size2> crop;
  std::optional<float> scale;
  std::vector<float> mean;
  std::vector<float> std;
  std::optional<bool> nhwc;  // layout=; unset: inferred
  int channels = 0;          // gray 1, rgb 3; 0: from the model
  // From the model's input.
  DType dtype = DType::kUndefined;
  Shape shape;
  Size2 size;  // the model's W x H
};

// ---- the dataset -------------------------------------------------------------------------

struct ImageFile {
  fs::path path;
  std::int64_t label = 0;
};

class ImageFolderDataset final : public Dataset {
 public:
  ImageFolderDataset(std::string spec, Preprocess pre, std::vector<ImageFile> files,
                     std::vector<std::string> class_names)
      : spec_(std::move(spec)),
        pre_(std::move(pre)),
        files_(std::move(files)),
        class_names_(std::move(class_names)) {}

  std::string spec() const override { return spec_; }
  std::size_t size() const override { return files_.size(); }

  Result<std::vector<Tensor>> sample(std::size_t i) const override {
    EB_RETURN_IF_ERROR(check_index(i));
    const fs::path& path = files_[i].path;
    EB_ASSIGN_OR_RETURN(Image<std::uint8_t> decoded, decode_image(path));
    Image<float> image = to_float(decoded, pre_.channels);
    const bool explicit_size = pre_.resize_short > 0 || pre_.resize || pre_.crop;
    if (pre_.resize_short > 0) {
      EB_ASSIGN_OR_RETURN(Size2 size, shorter_side_size(path, image));
      image = resize_bilinear(image, size);
    } else if (pre_.resize) {
      image = resize_bilinear(image, *pre_.resize);
    }
    if (pre_.crop) {
      if (pre_.crop->width > image.width || pre_.crop->height > image.height) {
        return invalid_argument(fmt::format("'{}': crop {}x{} is larger than the {}image ({}x{})",
                                            path.string(), pre_.crop->width, pre_.crop->height,
                                            pre_.resize_short > 0 || pre_.resize ? "resized " : "",
                                            image.width, image.height));
      }
      image = crop_centre(image, *pre_.crop);
    }
    if (image.width != pre_.size.width || image.height != pre_.size.height) {
      if (explicit_size) {
        return invalid_argument(fmt::format(
            "'{}': after resize/crop the image is {}x{}, the model's input takes {}x{}",
            path.string(), image.width, image.height, pre_.size.width, pre_.size.height));
      }
      image = resize_bilinear(image, pre_.size);
    }
    EB_ASSIGN_OR_RETURN(Tensor t, Tensor::allocate(pre_.dtype, pre_.shape));
    write_tensor(image, t);
    std::vector<Tensor> sample;
    sample.push_back(std::move(t));
    return sample;
  }

  Task task() const override { return class_names_.empty() ? Task::kNone : Task::kClassification; }
  Result<std::int64_t> label(std::size_t i) const override {
    if (class_names_.empty()) return Dataset::label(i);
    EB_RETURN_IF_ERROR(check_index(i));
    return files_[i].label;
  }
  std::size_t num_classes() const override { return class_names_.size(); }
  std::vector<std::string> class_names() const override { return class_names_; }

 private:
  Status check_index(std::size_t i) const {
    if (i >= files_.size()) {
      return out_of_range(fmt::format("{}: sample {} of {}", spec_, i, files_.size()));
    }
    return Status::ok();
  }

  // resize=N: the shorter side becomes N, the longer one N * long / short rounded down (as
  // torchvision's Resize(N) does).
  Result<Size2> shorter_side_size(const fs::path& path, const Image<float>& image) const {
    const std::int64_t n = pre_.resize_short;
    const bool wide = image.width >= image.height;
    const std::int64_t shorter = wide ? image.height : image.width;
    const std::int64_t longer = wide ? image.width : image.height;
    const std::int64_t scaled = n * longer / shorter;  // n, longer < 2^26: no overflow
    if (scaled > kMaxSide || static_cast<std::uint64_t>(scaled * n) > kMaxPixels) {
      return out_of_range(fmt::format("'{}': resize={} makes the {}x{} image {} pixels long",
                                      path.string(), n, image.width, image.height, scaled));
    }
    return wide ? Size2{scaled, n} : Size2{n, scaled};
  }

  void write_tensor(const Image<float>& image, Tensor& t) const {
    const std::int64_t height = image.height;
    const std::int64_t width = image.width;
    const int channels = image.channels;
    for (std::int64_t y = 0; y < height; ++y) {
      for (std::int64_t x = 0; x < width; ++x) {
        for (int c = 0; c < channels; ++c) {
          const auto index = static_cast<std::size_t>(*pre_.nhwc ? (y * width + x) * channels + c
                                                                 : (c * height + y) * width + x);
          const float v = image.at(y, x, c);
          const float rounded = std::clamp(std::nearbyint(v), 0.0f, 255.0f);
          switch (pre_.dtype) {
            case DType::kUInt8:
              t.data<std::uint8_t>()[index] = static_cast<std::uint8_t>(rounded);
              break;
            case DType::kInt8:
              t.data<std::int8_t>()[index] = static_cast<std::int8_t>(rounded - 128.0f);
              break;
            default: {
              const auto k = static_cast<std::size_t>(c);
              t.data<float>()[index] = (v / *pre_.scale - pre_.mean[k]) / pre_.std[k];
            }
          }
        }
      }
    }
  }

  std::string spec_;
  Preprocess pre_;
  std::vector<ImageFile> files_;
  std::vector<std::string> class_names_;  // empty: unlabelled (no class sub-folders)
};

// ---- opening -----------------------------------------------------------------------------

bool is_image_file(const fs::path& path) {
  std::string ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  return ext == ".png" || ext == ".jpg" || ext == ".jpeg";
}

bool is_hidden(const fs::path& path) { return path.filename().string().starts_with("."); }

// Sorted entries of `dir` that pass `keep`; errors name the folder.
template <typename Keep>
Result<std::vector<fs::path>> list_folder(const fs::path& dir, Keep keep) {
  std::error_code ec;
  std::vector<fs::path> found;
  fs::directory_iterator it(dir, ec);
  for (; !ec && it != fs::directory_iterator(); it.increment(ec)) {
    if (keep(*it)) found.push_back(it->path());
  }
  if (ec) return io_error(fmt::format("'{}': cannot list: {}", dir.string(), ec.message()));
  std::sort(found.begin(), found.end());
  return found;
}

Result<std::int64_t> parse_int(std::string_view spec, std::string_view key, std::string_view text) {
  std::int64_t value = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size() || value < 1 || value > kMaxSide) {
    return invalid_argument(fmt::format("dataset '{}': {}: '{}' is not a size from 1 to {}", spec,
                                        key, text, kMaxSide));
  }
  return value;
}

// "N" (N x N) or "WxH".
Result<Size2> parse_size(std::string_view spec, std::string_view key, std::string_view text) {
  const std::size_t x = text.find('x');
  if (x == std::string_view::npos) {
    EB_ASSIGN_OR_RETURN(std::int64_t n, parse_int(spec, key, text));
    return Size2{n, n};
  }
  EB_ASSIGN_OR_RETURN(std::int64_t width, parse_int(spec, key, text.substr(0, x)));
  EB_ASSIGN_OR_RETURN(std::int64_t height, parse_int(spec, key, text.substr(x + 1)));
  return Size2{width, height};
}

Result<std::vector<float>> parse_floats(std::string_view spec, std::string_view key,
                                        std::string_view text) {
  std::vector<float> values;
  for (;;) {
    const std::size_t slash = text.find('/');
    const std::string_view item = text.substr(0, slash);
    float value = 0;
    const auto [ptr, ec] = std::from_chars(item.data(), item.data() + item.size(), value);
    if (ec != std::errc() || ptr != item.data() + item.size() || !std::isfinite(value)) {
      return invalid_argument(
          fmt::format("dataset '{}': {}: '{}' is not a number", spec, key, item));
    }
    values.push_back(value);
    if (slash == std::string_view::npos) break;
    text.remove_prefix(slash + 1);
  }
  return values;
}

Status parse_options(std::string_view spec, std::string_view options, Preprocess& pre) {
  while (!options.empty()) {
    const std::size_t comma = options.find(',');
    const std::string_view option = options.substr(0, comma);
    options = comma == std::string_view::npos ? std::string_view() : options.substr(comma + 1);
    const std::size_t eq = option.find('=');
    const std::string_view key = option.substr(0, eq);
    const std::string_view value = eq == std::string_view::npos ? "" : option.substr(eq + 1);
    const bool has_value = eq != std::string_view::npos;
    if ((key == "gray" || key == "rgb") && !has_value) {
      pre.channels = key == "gray" ? 1 : 3;
    } else if (key == "resize" && has_value) {
      if (value.find('x') == std::string_view::npos) {
        EB_ASSIGN_OR_RETURN(pre.resize_short, parse_int(spec, key, value));
        pre.resize.reset();
      } else {
        EB_ASSIGN_OR_RETURN(pre.resize, parse_size(spec, key, value));
        pre.resize_short = 0;
      }
    } else if (key == "crop" && has_value) {
      EB_ASSIGN_OR_RETURN(pre.crop, parse_size(spec, key, value));
    } else if (key == "scale" && has_value) {
      EB_ASSIGN_OR_RETURN(std::vector<float> scale, parse_floats(spec, key, value));
      if (scale.size() != 1 || scale[0] <= 0) {
        return invalid_argument(
            fmt::format("dataset '{}': scale: '{}' is not one positive number", spec, value));
      }
      pre.scale = scale[0];
    } else if ((key == "mean" || key == "std") && has_value) {
      EB_ASSIGN_OR_RETURN(std::vector<float> values, parse_floats(spec, key, value));
      if (key == "std" &&
          std::any_of(values.begin(), values.end(), [](float v) { return v == 0; })) {
        return invalid_argument(fmt::format("dataset '{}': std: '{}' holds a zero", spec, value));
      }
      (key == "mean" ? pre.mean : pre.std) = std::move(values);
    } else if (key == "layout" && (value == "nchw" || value == "nhwc")) {
      pre.nhwc = value == "nhwc";
    } else {
      return invalid_argument(fmt::format("dataset '{}': unknown option '{}' (expected {})", spec,
                                          option, kOptionsHelp));
    }
  }
  return Status::ok();
}

// Fits the options to the model's input: layout, channels, dtype, per-channel mean/std.
Status fit_to_input(std::string_view spec, const std::vector<InputSpec>& inputs, Preprocess& pre) {
  if (inputs.size() != 1) {
    return invalid_argument(fmt::format(
        "dataset '{}' feeds one image input, the model has {} inputs", spec, inputs.size()));
  }
  const InputSpec& input = inputs[0];
  const Shape& shape = input.shape;
  const auto describe = [&] {
    return fmt::format("input '{}' is {}{}", input.name, dtype_name(input.dtype),
                       shape_to_string(shape));
  };
  if (!(shape.size() == 4 && shape[0] == 1) && shape.size() != 3) {
    return invalid_argument(fmt::format(
        "dataset '{}': {}, expected [1,C,H,W], [1,H,W,C], [C,H,W] or [H,W,C]", spec, describe()));
  }
  const std::int64_t first = shape[shape.size() - 3];
  const std::int64_t last = shape[shape.size() - 1];
  if (!pre.nhwc) {
    const auto channel_like = [&pre](std::int64_t d) {
      return pre.channels != 0 ? d == pre.channels : d == 1 || d == 3;
    };
    // Channels-last only when the shape says so unambiguously.
    pre.nhwc = channel_like(last) && !channel_like(first);
  }
  const std::int64_t channels = *pre.nhwc ? last : first;
  const std::int64_t height = *pre.nhwc ? shape[shape.size() - 3] : shape[shape.size() - 2];
  const std::int64_t width = *pre.nhwc ? shape[shape.size() - 2] : last;
  if (channels != 1 && channels != 3) {
    return invalid_argument(
        fmt::format("dataset '{}': {}: {} channels in layout {}, expected 1 or 3", spec, describe(),
                    channels, *pre.nhwc ? "nhwc" : "nchw"));
  }
  if (pre.channels != 0 && pre.channels != channels) {
    return invalid_argument(fmt::format("dataset '{}': {} asked for, but {} with {} channels", spec,
                                        pre.channels == 1 ? "gray" : "rgb", describe(), channels));
  }
  if (height < 1 || width < 1 || height > kMaxSide || width > kMaxSide) {
    return invalid_argument(
        fmt::format("dataset '{}': {}: image sides must be 1 to {}", spec, describe(), kMaxSide));
  }
  pre.channels = static_cast<int>(channels);
  pre.size = {width, height};
  pre.dtype = input.dtype;
  pre.shape = shape;
  if (input.dtype == DType::kUInt8 || input.dtype == DType::kInt8) {
    if (pre.scale || !pre.mean.empty() || !pre.std.empty()) {
      return invalid_argument(fmt::format(
          "dataset '{}': {}: scale, mean and std apply to float32 inputs only (integer inputs "
          "take raw pixels)",
          spec, describe()));
    }
  } else if (input.dtype != DType::kFloat32) {
    return invalid_argument(
        fmt::format("dataset '{}': {}, expected float32, uint8 or int8", spec, describe()));
  }
  if (!pre.scale) pre.scale = 255.0f;
  for (auto* values : {&pre.mean, &pre.std}) {
    const float fill = values == &pre.mean ? 0.0f : 1.0f;
    if (values->empty()) values->push_back(fill);
    if (values->size() == 1) values->resize(static_cast<std::size_t>(channels), values->front());
    if (values->size() != static_cast<std::size_t>(channels)) {
      return invalid_argument(fmt::format("dataset '{}': {} has {} values for {} channels", spec,
                                          values == &pre.mean ? "mean" : "std", values->size(),
                                          channels));
    }
  }
  // Every intermediate image is at most kMaxPixels (sides are at most 2^15: no overflow).
  for (const std::optional<Size2>& size : {pre.resize, pre.crop, std::optional<Size2>(pre.size)}) {
    if (size && static_cast<std::uint64_t>(size->width * size->height) > kMaxPixels) {
      return out_of_range(fmt::format("dataset '{}': {}x{} images are over the limit of {} pixels",
                                      spec, size->width, size->height, kMaxPixels));
    }
  }
  // Sizes fixed by the spec must give the model's.
  const std::optional<Size2> fixed = pre.crop               ? pre.crop
                                     : pre.resize_short > 0 ? std::nullopt
                                                            : pre.resize;
  if (fixed && *fixed != pre.size) {
    return invalid_argument(fmt::format("dataset '{}': {} {}x{}, but {} takes {}x{}", spec,
                                        pre.crop ? "crop" : "resize", fixed->width, fixed->height,
                                        describe(), pre.size.width, pre.size.height));
  }
  return Status::ok();
}

}  // namespace

Result<std::unique_ptr<Dataset>> open_images(std::string_view spec, std::string_view rest,
                                             const std::vector<InputSpec>& inputs) {
  // DIR may itself contain ',', so a folder that exists as written takes precedence.
  std::error_code ec;
  std::string_view dir_text = rest;
  std::string_view options;
  if (!fs::is_directory(fs::path(rest), ec)) {
    const std::size_t comma = rest.find(',');
    dir_text = rest.substr(0, comma);
    options = comma == std::string_view::npos ? "" : rest.substr(comma + 1);
  }
  if (dir_text.empty()) return invalid_argument(fmt::format("dataset '{}' names no folder", spec));
  const fs::path dir(dir_text);
  if (!fs::is_directory(dir, ec)) {
    return not_found(fmt::format("dataset '{}': folder '{}' does not exist", spec, dir.string()));
  }
  Preprocess pre;
  EB_RETURN_IF_ERROR(parse_options(spec, options, pre));
  EB_RETURN_IF_ERROR(fit_to_input(spec, inputs, pre));

  const auto image_file = [](const fs::directory_entry& e) {
    std::error_code err;
    return !is_hidden(e.path()) && e.is_regular_file(err) && is_image_file(e.path());
  };
  EB_ASSIGN_OR_RETURN(std::vector<fs::path> class_dirs,
                      list_folder(dir, [](const fs::directory_entry& e) {
                        std::error_code err;
                        return !is_hidden(e.path()) && e.is_directory(err);
                      }));
  std::vector<ImageFile> files;
  std::vector<std::string> class_names;
  if (class_dirs.empty()) {
    EB_ASSIGN_OR_RETURN(std::vector<fs::path> paths, list_folder(dir, image_file));
    for (fs::path& p : paths) files.push_back({std::move(p), 0});
  } else {
    for (const fs::path& class_dir : class_dirs) {
      EB_ASSIGN_OR_RETURN(std::vector<fs::path> paths, list_folder(class_dir, image_file));
      const auto label = static_cast<std::int64_t>(class_names.size());
      for (fs::path& p : paths) files.push_back({std::move(p), label});
      class_names.push_back(class_dir.filename().string());
    }
  }
  if (files.empty()) {
    return invalid_argument(fmt::format("dataset '{}': no .png, .jpg or .jpeg files in '{}'{}",
                                        spec, dir.string(),
                                        class_dirs.empty() ? "" : "'s sub-folders"));
  }
  return std::unique_ptr<Dataset>(std::make_unique<ImageFolderDataset>(
      std::string(spec), std::move(pre), std::move(files), std::move(class_names)));
}

}  // namespace edgebench::data
