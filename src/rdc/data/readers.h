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

/// Loads a dataset from a built-in name (case-insensitive; built-ins win over a file of the same
/// name: write "./mnist" for the path) ("fashion-mnist", "mnist", "usps", "breastmnist",
/// "pneumoniamnist", "vesselmnist3d", "cifar10", "bloodmnist-sample") or a path
/// (.gz/.idx/-ubyte IDX, .npy, .npz, .csv/.tsv/.txt, .h5/.hdf5, .tar.gz/.tgz of images,
/// a folder of IDX files, a folder of images). Images are scaled to [0,1]; the result is validated.
Dataset load_dataset(const std::string& spec, const LoadOptions& opt = {});

/// The built-in names with a one-line description and whether their files are present.
struct BuiltinInfo {
  std::string name, description, path;
  bool available;
};
std::vector<BuiltinInfo> builtin_datasets();

/// Folder holding the shared datasets: $RDC_DATA_DIR, else the first existing of
/// <exe dir>/../shared/data, <exe dir>/../../shared/data, <exe dir>/../../../shared/data
/// (exe from /proc/self/exe), ./shared/data, ../shared/data, /work/shared/data; "" if none.
std::string data_dir();

// Individual readers (used by load_dataset and the fuzzers). They refuse header claims of more
// than 2^32 values before allocating, and throw rdc::Error (never crash) on hostile input.
//
// Array layout rule (.npy, .npz, IDX, generic HDF5), shape[0] = N:
//   (N, D) -> vectors; (N, H, W) -> images C = 1;
//   (N, H, W, C) with C in {1,3,4} -> channel-last images, transposed to (N, C, H, W);
//   (N, C, H, W) with C in {1,3,4} -> kept; any other 4-D (N, D, H, W) -> volumes (N, 1, D, H, W);
//   (N, C, D, H, W) with C in {1,3,4} -> kept; (N, D, H, W, C) -> transposed to (N, C, D, H, W).
// uint8 values are scaled by 1/255; other dtypes are kept as they are.

/// IDX (MNIST format), raw or gzip: images (N, H, W) uint8 -> N x 1 x H x W in [0,1];
/// labels file optional ((N) integers; count must match).
Dataset read_idx(const std::string& images_path, const std::string& labels_path = "");
/// One .npy array (uint8/int/float/bool dtypes) arranged by the layout rule; no labels.
Dataset read_npy_dataset(const std::string& path);
/// .npz (stored or deflated): MedMNIST {train,val,test}_{images,labels} or Keras
/// {x,y}_{train,val,test} (splits merged with split tags; (N, k > 1) multi-labels are dropped
/// with a warning), else samples from opt.npz_key / x / data / images / X / the only array,
/// labels from y / labels / targets / target / Y.
Dataset read_npz(const std::string& path, const LoadOptions& opt = {});
/// CSV/TSV/TXT -> N x D vectors. Delimiter: tab (.tsv), comma (.csv; ';' when the first line has
/// no comma), else sniffed (comma, tab, semicolon, blanks). Header auto-detected; blank and
/// '#' lines skipped; labels from opt.csv_label_column (integers >= 0 as ids, else class names
/// sorted into ids). Errors name the line (and column / data row).
Dataset read_csv(const std::string& path, const LoadOptions& opt = {});
/// HDF5: groups train/val/test holding data|x|X|images (+ target|labels|y|targets), e.g. USPS
/// (a 2-D sample matrix with a square number of columns, 256 = 16 x 16, becomes N x 1 x s x s
/// images in this layout only), or the same dataset names at the root (layout rule applies).
Dataset read_hdf5(const std::string& path);
/// Folder of PNG/JPEG images (grey or RGB, flat or nested; see read_image_tar for the layout).
Dataset read_image_folder(const std::string& dir, const LoadOptions& opt = {});
/// .tar / .tar.gz / .tgz of an image folder tree, parsed in memory (no extraction). Layout:
/// a wrapper folder shared by all images is ignored; top-level train/val/test folders give split
/// tags; with opt.labels_from_folders and every image inside a sub-folder, the first sub-folder
/// is the class (ids follow sorted names: numeric order when all are integers, else
/// alphabetical; class_names filled). Non-image files are skipped and counted (warning). Order:
/// split (train, val, test), then path. All images must share one size (the first differing
/// file is named); grey images among colour ones are promoted to RGB; alpha is dropped.
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
