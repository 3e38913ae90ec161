#pragma once
// Dataset readers. Every reader names the file and the position of a fault
// (truncated file, wrong magic, shape mismatch, label count mismatch, NaN/Inf).
#include <string>
#include <vector>

#include "rdc/data/dataset.h"

namespace rdc {

/// How splits are used: merge everything (most papers) or fit on train, score on test.
enum class Protocol { kAll, kTrainTest };
Protocol parse_protocol(const std::string& s);  ///< "all" | "train-test"
const char* protocol_name(Protocol p);

struct LoadOptions {
  bool labels_from_folders = true;  ///< image folders: class = first sub-folder name (when sub-folders exist)
  bool csv_header = false;          ///< CSV/TSV: first line is a header (auto-detected when false and non-numeric)
  int csv_label_column = -1;        ///< CSV/TSV: column holding labels (-1: none; negative from end: -2 = last)
  std::string npz_key;              ///< generic npz: array name for the samples (default: auto)
};

/// Loads a dataset from a built-in name ("fashion-mnist", "mnist", "usps", "breastmnist",
/// "pneumoniamnist", "vesselmnist3d", "cifar10", "bloodmnist-sample") or a path
/// (.gz/.idx/-ubyte IDX, .npy, .npz, .csv/.tsv/.txt, .h5/.hdf5, .tar.gz/.tgz of images,
/// a folder of images). Images are scaled to [0,1]; the result is validated.
Dataset load_dataset(const std::string& spec, const LoadOptions& opt = {});

/// The built-in names with a one-line description and whether their files are present.
struct BuiltinInfo {
  std::string name, description, path;
  bool available;
};
std::vector<BuiltinInfo> builtin_datasets();

/// Folder holding the shared datasets: $RDC_DATA_DIR, else the first existing of a few
/// well-known places (../shared/data next to the source tree, /work/shared/data).
std::string data_dir();

// Individual readers (used by load_dataset and the fuzzers).
Dataset read_idx(const std::string& images_path, const std::string& labels_path = "");
Dataset read_npy_dataset(const std::string& path);
Dataset read_npz(const std::string& path, const LoadOptions& opt = {});
Dataset read_csv(const std::string& path, const LoadOptions& opt = {});
Dataset read_hdf5(const std::string& path);
Dataset read_image_folder(const std::string& dir, const LoadOptions& opt = {});
Dataset read_image_tar(const std::string& path, const LoadOptions& opt = {});

/// Applies the protocol: kAll returns all rows; kTrainTest returns {train rows, test rows}
/// (train includes val). Throws when the dataset carries no split tags.
struct ProtocolSplit {
  Dataset fit;    ///< data the model is trained on
  Dataset score;  ///< data that is assigned and scored (== fit for kAll)
};
ProtocolSplit apply_protocol(const Dataset& d, Protocol p);

/// One-paragraph human description: shape, modality, value range, label counts, splits.
std::string describe(const Dataset& d);

}  // namespace rdc
