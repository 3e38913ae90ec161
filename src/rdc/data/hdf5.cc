// HDF5 reader (C API). Layouts:
//   split groups: {train,val,test}/{data|x} + {target|labels|y} (USPS: train/data (N, 256) float32
//     in [0,1], train/target). In this layout a 2-D sample matrix with a square number of
//     columns (256 = 16 x 16) is reshaped to grey images N x 1 x s x s.
//   root datasets: {data|x|X|images} + {target|labels|y|targets}, arranged like .npy arrays.
// uint8 datasets are scaled by 1/255. HDF5's automatic error printing is turned off; its
// errors become rdc::Error naming the file and the dataset (with HDF5's innermost message).
// The HDF5 library is not thread-safe here: call the reader from one thread at a time.
#include <hdf5.h>

#include <cmath>
#include <mutex>

#include <spdlog/spdlog.h>

#include "rdc/core/error.h"
#include "rdc/core/fs.h"
#include "rdc/data/reader_util.h"
#include "rdc/data/readers.h"

namespace rdc {

namespace {

void silence_hdf5() {
  static std::once_flag once;
  std::call_once(once, [] { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); });
}

herr_t walk_cb(unsigned, const H5E_error2_t* e, void* data) {
  auto* v = static_cast<std::vector<std::string>*>(data);
  if (e && e->desc && v->size() < 3) v->push_back(e->desc);
  return 0;
}

// The HDF5 error stack as text (innermost messages first), then cleared.
std::string h5_error() {
  std::vector<std::string> v;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, walk_cb, &v);
  H5Eclear2(H5E_DEFAULT);
  return v.empty() ? std::string("unknown HDF5 error") : fmt::format("{}", fmt::join(v, "; "));
}

// Owns an hid_t and closes it with the matching function.
class H5Handle {
 public:
  H5Handle(hid_t id, herr_t (*close)(hid_t)) : id_(id), close_(close) {}
  ~H5Handle() {
    if (id_ >= 0) close_(id_);
  }
  H5Handle(const H5Handle&) = delete;
  H5Handle& operator=(const H5Handle&) = delete;
  hid_t get() const { return id_; }
  bool ok() const { return id_ >= 0; }

 private:
  hid_t id_;
  herr_t (*close_)(hid_t);
};

bool link_exists(hid_t file, const std::string& name) {
  // Check each path component: H5Lexists fails on a missing intermediate group.
  size_t p = 0;
  for (;;) {
    p = name.find('/', p + 1);
    const std::string part = name.substr(0, p);
    htri_t r = H5Lexists(file, part.c_str(), H5P_DEFAULT);
    if (r <= 0) {
      H5Eclear2(H5E_DEFAULT);
      return false;
    }
    if (p == std::string::npos) return true;
  }
}

struct H5Array {
  std::vector<int64_t> dims;
  std::vector<float> values;      // samples
  std::vector<int64_t> integers;  // labels
};

// Opens `name` and checks rank, size claims and type; returns dims and whether it is uint8.
H5Array read_dataset(hid_t file, const std::string& path, const std::string& name, bool as_labels) {
  const std::string what = fmt::format("'{}' dataset '{}'", path, name);
  H5Handle ds(H5Dopen2(file, name.c_str(), H5P_DEFAULT), H5Dclose);
  RDC_CHECK(ds.ok(), "{}: cannot open: {}", what, h5_error());
  H5Handle space(H5Dget_space(ds.get()), H5Sclose);
  RDC_CHECK(space.ok(), "{}: cannot read the dataspace: {}", what, h5_error());
  const int rank = H5Sget_simple_extent_ndims(space.get());
  RDC_CHECK(rank >= 1 && rank <= 5, "{}: has {} dims; expected 1 to 5", what, rank);
  hsize_t dims[5] = {0, 0, 0, 0, 0};
  hsize_t maxdims[5] = {0, 0, 0, 0, 0};
  RDC_CHECK(H5Sget_simple_extent_dims(space.get(), dims, maxdims) == rank, "{}: cannot read dims: {}", what,
            h5_error());
  H5Array a;
  for (int i = 0; i < rank; ++i) {
    RDC_CHECK(dims[i] <= static_cast<hsize_t>(detail::kMaxElements), "{}: dimension {} = {} is absurd; refusing",
              what, i, static_cast<unsigned long long>(dims[i]));
    a.dims.push_back(static_cast<int64_t>(dims[i]));
  }
  const int64_t numel = detail::checked_numel(a.dims, what);
  H5Handle type(H5Dget_type(ds.get()), H5Tclose);
  RDC_CHECK(type.ok(), "{}: cannot read the type: {}", what, h5_error());
  const H5T_class_t cls = H5Tget_class(type.get());
  RDC_CHECK(cls == H5T_INTEGER || cls == H5T_FLOAT, "{}: type class {} is not numeric (integer or float expected)",
            what, static_cast<int>(cls));
  const size_t tsize = H5Tget_size(type.get());
  RDC_CHECK(tsize >= 1 && tsize <= 16, "{}: element size {} is not supported", what, tsize);
  // A dataset cannot hold more values than its stored bytes allow (with generous room for
  // compression): refuse forged dims before allocating.
  const hsize_t stored = H5Dget_storage_size(ds.get());
  // Stored (chunk) sizes come from the file too: more than the file holds is forged, and libhdf5
  // would allocate the claimed size before noticing.
  hsize_t file_bytes = 0;
  RDC_CHECK(H5Fget_filesize(file, &file_bytes) >= 0, "{}: cannot read the file size: {}", what, h5_error());
  RDC_CHECK(stored <= file_bytes, "{}: claims {} stored bytes but the file has only {}; damaged or forged header",
            what, static_cast<unsigned long long>(stored), static_cast<unsigned long long>(file_bytes));
  const double need = static_cast<double>(numel) * static_cast<double>(tsize);
  RDC_CHECK(numel == 0 || static_cast<double>(stored) * 2000.0 + 1e6 >= need,
            "{}: claims {} values ({} bytes) but stores only {} bytes; damaged or forged header", what, numel, need,
            static_cast<unsigned long long>(stored));
  // Layout claims libhdf5 1.10 trusts and then reads past its own buffers on: unfiltered storage
  // of the wrong size (exactly numel * tsize bytes; contiguous may also be unallocated: 0) and
  // chunks larger than a fixed dimension.
  {
    H5Handle dcpl(H5Dget_create_plist(ds.get()), H5Pclose);
    RDC_CHECK(dcpl.ok(), "{}: cannot read the storage layout: {}", what, h5_error());
    const H5D_layout_t layout = H5Pget_layout(dcpl.get());
    if (layout == H5D_COMPACT || layout == H5D_CONTIGUOUS) {
      const auto exact = static_cast<hsize_t>(numel) * static_cast<hsize_t>(tsize);
      RDC_CHECK(stored == exact || (layout == H5D_CONTIGUOUS && stored == 0),
                "{}: the {} storage holds {} bytes but {} values of {} bytes need {}; damaged or forged header", what,
                layout == H5D_COMPACT ? "compact" : "contiguous", static_cast<unsigned long long>(stored), numel,
                tsize, static_cast<unsigned long long>(exact));
    } else if (layout == H5D_CHUNKED) {
      // HDF5 itself never writes a chunk larger than a fixed dimension; libhdf5 1.10 reads past
      // its buffers on files that claim one.
      hsize_t chunk[5] = {0, 0, 0, 0, 0};
      RDC_CHECK(H5Pget_chunk(dcpl.get(), rank, chunk) == rank, "{}: chunk shape does not match its {} dims", what,
                rank);
      for (int i = 0; i < rank; ++i)
        RDC_CHECK(chunk[i] >= 1 && (maxdims[i] == H5S_UNLIMITED || chunk[i] <= maxdims[i]),
                  "{}: chunk dimension {} = {} exceeds the dataset's maximum {}; damaged or forged header", what, i,
                  static_cast<unsigned long long>(chunk[i]), static_cast<unsigned long long>(maxdims[i]));
    }
  }
  const bool is_u8 = cls == H5T_INTEGER && tsize == 1 && H5Tget_sign(type.get()) == H5T_SGN_NONE;
  if (as_labels) {
    if (cls == H5T_INTEGER) {
      a.integers.resize(static_cast<size_t>(numel));
      RDC_CHECK(H5Dread(ds.get(), H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, a.integers.data()) >= 0,
                "{}: read failed: {}", what, h5_error());
    } else {
      std::vector<double> v(static_cast<size_t>(numel));
      RDC_CHECK(H5Dread(ds.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()) >= 0,
                "{}: read failed: {}", what, h5_error());
      a.integers.resize(v.size());
      for (size_t i = 0; i < v.size(); ++i) {
        RDC_CHECK(std::isfinite(v[i]) && v[i] == std::floor(v[i]) && std::fabs(v[i]) < 9e15,
                  "{}: label {} at position {} is not an integer", what, v[i], i);
        a.integers[i] = static_cast<int64_t>(v[i]);
      }
    }
    return a;
  }
  a.values.resize(static_cast<size_t>(numel));
  if (is_u8) {
    std::vector<uint8_t> raw(static_cast<size_t>(numel));
    RDC_CHECK(H5Dread(ds.get(), H5T_NATIVE_UCHAR, H5S_ALL, H5S_ALL, H5P_DEFAULT, raw.data()) >= 0,
              "{}: read failed: {}", what, h5_error());
    const float* t = detail::u8_to_unit_table();
    for (size_t i = 0; i < raw.size(); ++i) a.values[i] = t[raw[i]];
  } else {
    RDC_CHECK(H5Dread(ds.get(), H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, a.values.data()) >= 0,
              "{}: read failed: {}", what, h5_error());
  }
  return a;
}

const char* first_existing(hid_t file, const std::string& prefix, std::initializer_list<const char*> names) {
  for (const char* n : names)
    if (link_exists(file, prefix + n)) return n;
  return nullptr;
}

// Reads samples (+ labels when present) under `prefix` ("" for root, "train/" ...).
Dataset read_group(hid_t file, const std::string& path, const std::string& prefix, bool square_to_image) {
  const char* xname = first_existing(file, prefix, {"data", "x", "X", "images"});
  RDC_CHECK(xname, "'{}': no sample dataset under '/{}' (expected data, x, X or images)", path, prefix);
  const std::string xkey = prefix + xname;
  const std::string what = fmt::format("'{}' dataset '{}'", path, xkey);
  Dataset d;
  d.source = what;
  {
    H5Array a = read_dataset(file, path, xkey, false);
    std::vector<int64_t> shape = a.dims;
    if (square_to_image && shape.size() == 2) {
      const auto s = static_cast<int64_t>(std::llround(std::sqrt(static_cast<double>(shape[1]))));
      if (s > 1 && s * s == shape[1]) shape = {shape[0], s, s};
    }
    detail::arrange_array(shape, std::move(a.values), d, what);
  }
  check_finite(d.x.data(), d.n(), d.sample_size(), what);
  if (const char* yname = first_existing(file, prefix, {"target", "labels", "y", "targets"})) {
    const std::string ykey = prefix + yname;
    H5Array l = read_dataset(file, path, ykey, true);
    RDC_CHECK(l.dims.size() == 1 || (l.dims.size() == 2 && l.dims[1] == 1),
              "'{}' dataset '{}': labels must have shape (N) or (N, 1), got ({})", path, ykey,
              fmt::join(l.dims, ", "));
    RDC_CHECK(l.dims[0] == d.n(), "label count mismatch: '{}' dataset '{}' has {} labels but '{}' has {} samples",
              path, ykey, l.dims[0], xkey, d.n());
    for (size_t i = 0; i < l.integers.size(); ++i)
      RDC_CHECK(l.integers[i] >= 0, "'{}' dataset '{}': label {} at position {} is negative", path, ykey,
                l.integers[i], i);
    d.labels = std::move(l.integers);
  }
  return d;
}

}  // namespace

Dataset read_hdf5(const std::string& path) {
  silence_hdf5();
  RDC_CHECK(file_exists(path), "cannot open '{}': no such file", path);
  const htri_t is = H5Fis_hdf5(path.c_str());
  if (is <= 0) {
    std::string e = h5_error();
    RDC_FAIL("'{}': wrong magic, not an HDF5 file{}", path, is < 0 ? " (" + e + ")" : "");
  }
  H5Handle file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
  RDC_CHECK(file.ok(), "'{}': cannot open the HDF5 file (damaged or truncated?): {}", path, h5_error());
  const std::pair<const char*, Split> splits[] = {{"train", Split::kTrain}, {"val", Split::kVal}, {"test", Split::kTest}};
  std::vector<Dataset> parts;
  for (auto& [name, tag] : splits) {
    const std::string prefix = std::string(name) + "/";
    if (!first_existing(file.get(), prefix, {"data", "x", "X", "images"})) continue;
    Dataset d = read_group(file.get(), path, prefix, true);
    d.split.assign(d.n(), tag);
    parts.push_back(std::move(d));
  }
  if (!parts.empty()) return detail::concat_datasets(std::move(parts), path);
  RDC_CHECK(first_existing(file.get(), "", {"data", "x", "X", "images"}),
            "'{}': no known layout: expected datasets data/x (+ target/labels) at the root, or groups "
            "train/val/test holding them (as USPS: train/data, train/target)",
            path);
  Dataset d = read_group(file.get(), path, "", false);
  d.source = path;
  return d;
}

}  // namespace rdc
