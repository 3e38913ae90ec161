// load_dataset: built-in names, format dispatch by path, and the shared data folder.
// Built-in names take precedence over a file or folder of the same name in the current
// folder (write "./mnist" to load such a path).
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <functional>

#include <spdlog/spdlog.h>

#include "rdc/core/error.h"
#include "rdc/core/fs.h"
#include "rdc/data/reader_util.h"
#include "rdc/data/readers.h"

namespace fs = std::filesystem;

namespace rdc {

namespace {

bool is_dir(const std::string& p) {
  std::error_code ec;
  return fs::is_directory(p, ec);
}
bool is_file(const std::string& p) {
  std::error_code ec;
  return fs::is_regular_file(p, ec);
}

// First of `dir/name` and `dir/name.gz` that exists, else "".
std::string find_plain_or_gz(const std::string& dir, const std::string& name) {
  for (const std::string& c : {join_path(dir, name + ".gz"), join_path(dir, name)})
    if (is_file(c)) return c;
  return "";
}

std::vector<std::string> mnist_png_batches(const std::string& dir) {
  std::vector<std::string> out;
  for (int b = 0; b < 20; ++b)
    out.push_back(join_path(dir, "train_images_convnetjs_png/mnist_batch_" + std::to_string(b) + ".png"));
  return out;
}

// A folder of IDX files: {train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]. Training images may
// instead be the 20 MNIST PNG batches (train_images_convnetjs_png/mnist_batch_{0..19}.png).
Dataset read_idx_dir(const std::string& dir) {
  std::vector<Dataset> parts;
  const std::pair<const char*, Split> sets[] = {{"train", Split::kTrain}, {"t10k", Split::kTest}};
  for (auto& [prefix, tag] : sets) {
    const std::string img = find_plain_or_gz(dir, std::string(prefix) + "-images-idx3-ubyte");
    const std::string lab = find_plain_or_gz(dir, std::string(prefix) + "-labels-idx1-ubyte");
    Dataset d;
    if (!img.empty()) {
      d = read_idx(img, lab);
    } else if (tag == Split::kTrain && is_file(mnist_png_batches(dir)[0])) {
      const std::vector<std::string> batches = mnist_png_batches(dir);
      for (const std::string& b : batches)
        RDC_CHECK(is_file(b), "'{}': MNIST PNG batch '{}' is missing (expected mnist_batch_0..19.png)", dir, b);
      d = detail::read_mnist_png_batches(batches);
      if (!lab.empty()) {
        d.labels = detail::read_idx_labels(lab);
        RDC_CHECK(d.n() == static_cast<int64_t>(d.labels.size()),
                  "label count mismatch: '{}' has {} labels but the PNG batches in '{}' hold {} images", lab,
                  d.labels.size(), dir, d.n());
      }
    } else {
      continue;
    }
    d.split.assign(d.n(), tag);
    parts.push_back(std::move(d));
  }
  RDC_CHECK(!parts.empty(), "'{}': no IDX files ({{train,t10k}}-images-idx3-ubyte[.gz]) found", dir);
  return detail::concat_datasets(std::move(parts), dir);
}

bool has_idx_files(const std::string& dir) {
  return !find_plain_or_gz(dir, "train-images-idx3-ubyte").empty() ||
         !find_plain_or_gz(dir, "t10k-images-idx3-ubyte").empty();
}

std::vector<std::string> digit_names() {
  std::vector<std::string> v;
  for (int i = 0; i < 10; ++i) v.push_back(std::to_string(i));
  return v;
}

struct Builtin {
  std::string name, description;
  std::function<std::string()> path;                      // main file or folder
  std::function<std::vector<std::string>()> files;        // files that must exist
  std::function<Dataset()> load;
};

std::string fashion_dir() {
  const std::string sys = "/usr/share/datasets/fashion-mnist";
  if (is_dir(sys)) return sys;
  const std::string dd = data_dir();
  if (!dd.empty() && is_dir(join_path(dd, "fashion-mnist"))) return join_path(dd, "fashion-mnist");
  return sys;
}

std::string in_data(const std::string& rel) {
  const std::string dd = data_dir();
  return dd.empty() ? rel : join_path(dd, rel);
}

Builtin medmnist(const std::string& name, const std::string& description) {
  const std::string rel = name + "/" + name + ".npz";
  return {name, description, [rel] { return in_data(rel); }, [rel] { return std::vector<std::string>{in_data(rel)}; },
          [rel] { return read_npz(in_data(rel)); }};
}

const std::vector<Builtin>& builtins() {
  static const std::vector<Builtin> table = {
      {"fashion-mnist", "Fashion-MNIST 70000 grey 28x28 (train 60000 + test 10000), 10 classes", fashion_dir,
       [] {
         const std::string d = fashion_dir();
         return std::vector<std::string>{join_path(d, "train-images-idx3-ubyte.gz"),
                                         join_path(d, "train-labels-idx1-ubyte.gz"),
                                         join_path(d, "t10k-images-idx3-ubyte.gz"),
                                         join_path(d, "t10k-labels-idx1-ubyte.gz")};
       },
       [] {
         Dataset d = read_idx_dir(fashion_dir());
         d.class_names = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                          "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
         return d;
       }},
      {"mnist", "MNIST 70000 grey 28x28 (train 60000 from PNG batches + test 10000), 10 classes",
       [] { return in_data("mnist"); },
       [] {
         const std::string d = in_data("mnist");
         std::vector<std::string> f = {join_path(d, "t10k-images-idx3-ubyte.gz"),
                                       join_path(d, "t10k-labels-idx1-ubyte.gz"),
                                       join_path(d, "train-labels-idx1-ubyte.gz")};
         if (find_plain_or_gz(d, "train-images-idx3-ubyte").empty())
           for (const std::string& b : mnist_png_batches(d)) f.push_back(b);
         return f;
       },
       [] {
         Dataset d = read_idx_dir(in_data("mnist"));
         d.class_names = digit_names();
         return d;
       }},
      {"usps", "USPS 9298 grey 16x16 digits (train 7291 + test 2007), 10 classes", [] { return in_data("usps/usps.h5"); },
       [] { return std::vector<std::string>{in_data("usps/usps.h5")}; },
       [] {
         Dataset d = read_hdf5(in_data("usps/usps.h5"));
         d.class_names = digit_names();
         return d;
       }},
      medmnist("breastmnist", "MedMNIST BreastMNIST 780 grey 28x28 ultrasound (546/78/156), 2 classes"),
      medmnist("pneumoniamnist", "MedMNIST PneumoniaMNIST 5856 grey 28x28 X-ray (4708/524/624), 2 classes"),
      medmnist("vesselmnist3d", "MedMNIST VesselMNIST3D 1908 volumes 28x28x28 (1335/191/382), 2 classes"),
      {"cifar10", "CIFAR-10 60000 RGB 32x32 (JPEG q75 copy; train 50000 + test 10000), 10 classes",
       [] { return in_data("cifar10_jpg"); },
       [] {
         return std::vector<std::string>{in_data("cifar10_jpg/cifar10_train_jpg.tar.gz"),
                                         in_data("cifar10_jpg/cifar10_test_jpg.tar.gz")};
       },
       [] {
         // Both archives in one pass: split tags come from their train/ and test/ folders.
         std::vector<detail::ImageEntry> entries;
         int64_t skipped = 0;
         detail::read_tar_entries(in_data("cifar10_jpg/cifar10_train_jpg.tar.gz"), entries, skipped);
         detail::read_tar_entries(in_data("cifar10_jpg/cifar10_test_jpg.tar.gz"), entries, skipped);
         return detail::images_to_dataset(std::move(entries), skipped, in_data("cifar10_jpg"), LoadOptions{});
       }},
      {"bloodmnist-sample", "BloodMNIST 160-image RGB 28x28 sample (smoke tests only), 8 classes",
       [] { return in_data("bloodmnist_sample/bloodmnist_sample.tar.gz"); },
       [] { return std::vector<std::string>{in_data("bloodmnist_sample/bloodmnist_sample.tar.gz")}; },
       [] { return read_image_tar(in_data("bloodmnist_sample/bloodmnist_sample.tar.gz")); }},
  };
  return table;
}

std::string normalize_name(std::string s) {
  s = detail::to_lower(s);
  for (char& c : s)
    if (c == '_') c = '-';
  return s;
}

const Builtin* find_builtin(const std::string& spec) {
  const std::string n = normalize_name(spec);
  for (const Builtin& b : builtins())
    if (b.name == n) return &b;
  return nullptr;
}

std::vector<std::string> builtin_names() {
  std::vector<std::string> v;
  for (const Builtin& b : builtins()) v.push_back(b.name);
  return v;
}

Dataset load_path(const std::string& spec, const LoadOptions& opt) {
  using detail::ends_with_ci;
  if (is_dir(spec)) return has_idx_files(spec) ? read_idx_dir(spec) : read_image_folder(spec, opt);
  RDC_CHECK(is_file(spec), "'{}' is neither a file, a folder nor a built-in dataset (built-ins: {})", spec,
            fmt::join(builtin_names(), ", "));
  if (ends_with_ci(spec, ".tar.gz") || ends_with_ci(spec, ".tgz") || ends_with_ci(spec, ".tar"))
    return read_image_tar(spec, opt);
  if (ends_with_ci(spec, ".npz")) return read_npz(spec, opt);
  if (ends_with_ci(spec, ".npy")) return read_npy_dataset(spec);
  if (ends_with_ci(spec, ".csv") || ends_with_ci(spec, ".tsv") || ends_with_ci(spec, ".txt"))
    return read_csv(spec, opt);
  if (ends_with_ci(spec, ".h5") || ends_with_ci(spec, ".hdf5") || ends_with_ci(spec, ".he5"))
    return read_hdf5(spec);
  if (ends_with_ci(spec, ".gz") || ends_with_ci(spec, ".idx") || ends_with_ci(spec, "-ubyte") ||
      ends_with_ci(spec, ".ubyte")) {
    // Labels next to the images: "...-images-idx3-ubyte[.gz]" -> "...-labels-idx1-ubyte[.gz]".
    std::string labels;
    const fs::path p(spec);
    std::string base = p.filename().string();
    const auto k = base.find("images-idx3");
    if (k != std::string::npos) {
      base.replace(k, 11, "labels-idx1");
      const std::string cand = (p.parent_path() / base).string();
      if (is_file(cand)) labels = cand;
    }
    return read_idx(spec, labels);
  }
  RDC_FAIL("'{}': unknown dataset format; expected .npy, .npz, .csv/.tsv/.txt, .h5/.hdf5, IDX (.gz, -ubyte, .idx), "
           ".tar/.tar.gz/.tgz of images, or a folder of images",
           spec);
}

}  // namespace

std::string data_dir() {
  if (const char* e = std::getenv("RDC_DATA_DIR"); e && *e) return e;
  std::vector<fs::path> cands;
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec && !exe.empty()) {
    const fs::path dir = exe.parent_path();
    cands.push_back(dir / "../shared/data");
    cands.push_back(dir / "../../shared/data");
    cands.push_back(dir / "../../../shared/data");
  }
  cands.push_back("shared/data");
  cands.push_back("../shared/data");
  cands.push_back("/work/shared/data");
  for (const fs::path& c : cands)
    if (fs::is_directory(c, ec)) return fs::weakly_canonical(c, ec).string();
  return "";
}

std::vector<BuiltinInfo> builtin_datasets() {
  std::vector<BuiltinInfo> out;
  for (const Builtin& b : builtins()) {
    bool ok = true;
    for (const std::string& f : b.files()) ok &= is_file(f);
    out.push_back({b.name, b.description, b.path(), ok});
  }
  return out;
}

Dataset load_dataset(const std::string& spec, const LoadOptions& opt) {
  const auto t0 = std::chrono::steady_clock::now();
  Dataset d;
  if (const Builtin* b = find_builtin(spec)) {
    std::vector<std::string> missing;
    for (const std::string& f : b->files())
      if (!is_file(f)) missing.push_back(f);
    if (!missing.empty()) {
      const std::string dd = data_dir();
      RDC_FAIL("built-in dataset '{}': missing {} file(s): {}; set RDC_DATA_DIR to the folder holding the shared "
               "datasets (currently {})",
               b->name, missing.size(), fmt::join(missing, ", "),
               dd.empty() ? std::string("no data folder found") : "'" + dd + "'");
    }
    d = b->load();
    d.source = b->name + " (" + b->path() + ")";
  } else {
    d = load_path(spec, opt);
    d.source = spec;
  }
  d.validate();
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  spdlog::info("loaded {}: {} samples of {} ({}) in {:.2f} s", d.source, d.n(),
               fmt::join(d.shape.begin() + 1, d.shape.end(), "x"), modality_name(d.modality()), s);
  return d;
}

}  // namespace rdc
