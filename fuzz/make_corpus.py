#!/usr/bin/python3
"""Regenerates the fuzz seed corpus under fuzz/corpus/<target>/ (small valid files).

Run from anywhere: /usr/bin/python3 fuzz/make_corpus.py
Needs numpy; the HDF5 and JPEG seeds are written by make_seeds.c (compiled with h5cc and
-ljpeg, from libhdf5-dev and libjpeg-dev). The two CIFAR-10 JPEGs are copied from
tests/testdata/real. Files named regress-* (crash reproducers) are never touched.
Output is deterministic (fixed timestamps, fixed data).
"""
import gzip
import io
import json
import os
import shutil
import struct
import subprocess
import sys
import tarfile
import tempfile
import zipfile
import zlib

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CORPUS = os.path.join(HERE, "corpus")
TARGETS = ["idx", "npy", "npz", "csv", "image", "hdf5", "tar", "config", "ids"]


def put(target, name, data):
    with open(os.path.join(CORPUS, target, name), "wb") as f:
        f.write(data)


# ---------------------------------------------------------------- npy / npz
def npy_bytes(a, version=None):
    buf = io.BytesIO()
    np.lib.format.write_array(buf, np.asarray(a), version=version, allow_pickle=False)
    return buf.getvalue()


def npz_bytes(arrays, deflate):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, a in arrays.items():
            info = zipfile.ZipInfo(name + ".npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED if deflate else zipfile.ZIP_STORED
            z.writestr(info, npy_bytes(a))
    return buf.getvalue()


# ---------------------------------------------------------------- idx
def idx_bytes(a, type_code):
    a = np.asarray(a)
    dt = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}[type_code]
    head = bytes([0, 0, type_code, a.ndim]) + b"".join(struct.pack(">I", d) for d in a.shape)
    return head + a.astype(dt).tobytes()


# ---------------------------------------------------------------- png
def png_bytes(pixels, color_type, bit_depth=8, palette=None):
    """pixels: (H, W) or (H, W, C) uint8/uint16 array; no interlace."""
    p = np.asarray(pixels)
    h, w = p.shape[:2]
    raw = b""
    dt = ">u2" if bit_depth == 16 else "u1"
    for y in range(h):
        raw += b"\x00" + p[y].astype(dt).tobytes()  # filter type 0 (none)

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    out = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, bit_depth, color_type, 0, 0, 0))
    if palette is not None:
        out += chunk(b"PLTE", bytes(palette))
    return out + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def grey(h, w, seed):
    return ((np.arange(h * w).reshape(h, w) * 37 + seed * 11) % 256).astype(np.uint8)


def rgb(h, w, seed):
    return ((np.arange(h * w * 3).reshape(h, w, 3) * 53 + seed * 7) % 256).astype(np.uint8)


# ---------------------------------------------------------------- tar
def tar_bytes(members, fmt):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as t:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = 0
            info.mode = 0o644
            t.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def main():
    for t in TARGETS:
        d = os.path.join(CORPUS, t)
        os.makedirs(d, exist_ok=True)
        for f in os.listdir(d):
            if not f.startswith("regress-"):
                os.remove(os.path.join(d, f))

    # IDX (raw; gzip read transparently)
    imgs = grey(3 * 4, 4, 1).reshape(3, 4, 4)
    put("idx", "images_u8_3x4x4", idx_bytes(imgs, 0x08))
    put("idx", "labels_u8_3", idx_bytes([1, 0, 2], 0x08))
    put("idx", "vectors_f32_2x3", idx_bytes(np.arange(6, dtype=np.float32).reshape(2, 3) / 4, 0x0D))
    put("idx", "images_i16_2x2x2", idx_bytes(np.arange(-4, 4).reshape(2, 2, 2), 0x0B))
    put("idx", "vectors_f64_2x2", idx_bytes([[0.5, -1.0], [2.0, 3.0]], 0x0E))
    put("idx", "labels_i32_n1", idx_bytes([[3], [4]], 0x0C))
    put("idx", "images_u8_gz", gzip.compress(idx_bytes(imgs, 0x08), mtime=0))

    # NPY (parse_npy + read_npy_dataset)
    put("npy", "f4_3x4.npy", npy_bytes(np.arange(12, dtype="<f4").reshape(3, 4) / 11))
    put("npy", "u1_2x3x3.npy", npy_bytes(grey(6, 3, 2).reshape(2, 3, 3)))
    put("npy", "i8_5.npy", npy_bytes(np.array([0, 1, 2, 1, 0], dtype="<i8")))
    put("npy", "f8_nhwc.npy", npy_bytes(np.linspace(0, 1, 2 * 2 * 2 * 3).reshape(2, 2, 2, 3)))
    put("npy", "u1_v2.npy", npy_bytes(grey(2, 5, 3), version=(2, 0)))
    put("npy", "bool_3.npy", npy_bytes(np.array([True, False, True])))
    put("npy", "i2_vol.npy", npy_bytes(np.arange(2 * 2 * 2 * 2 * 2, dtype="<i2").reshape(2, 2, 2, 2, 2)))
    put("npy", "f4_scalar.npy", npy_bytes(np.float32(1.5)))

    # NPZ
    put("npz", "medmnist_deflate.npz", npz_bytes({
        "train_images": grey(4, 4, 4).reshape(2, 2, 4), "train_labels": np.array([[0], [1]], dtype=np.uint8),
        "test_images": grey(2, 4, 5).reshape(1, 2, 4), "test_labels": np.array([[1]], dtype=np.uint8)}, True))
    put("npz", "keras_stored.npz", npz_bytes({
        "x_train": np.arange(6, dtype=np.float32).reshape(2, 3), "y_train": np.array([1, 0]),
        "x_test": np.arange(3, dtype=np.float32).reshape(1, 3), "y_test": np.array([2])}, False))
    put("npz", "generic_x_y.npz", npz_bytes({"x": rgb(2, 2, 1).reshape(1, 2, 2, 3), "y": np.array([0.0])}, True))
    put("npz", "single_array.npz", npz_bytes({"features": np.eye(3, dtype=np.float64)}, False))
    put("npz", "multilabel.npz", npz_bytes({"data": np.ones((2, 2), np.float32), "labels": np.eye(2)}, False))

    # CSV: byte 0 = options (bits 0-1 extension .csv/.tsv/.txt/.CSV, bit 2 header, bits 3-5 label column
    # index into {-1, -2, 0, 1, 2, -3, 7, -9}); the rest is the file.
    put("csv", "plain.csv", b"\x00" + b"0.5,1,2\n3,4e-3,-5\n")
    put("csv", "header_label_last.csv", bytes([0x04 | (1 << 3)]) + b"a,b,label\n1,2,cat\n3,4,dog\n# c\n\n5,6,cat\n")
    put("csv", "tab.tsv", bytes([0x01 | (2 << 3)]) + b"2\t0.1\t0.2\r\n0\t0.3\t0.4\r\n")
    put("csv", "blanks.txt", b"\x02" + b"1 2  3\n 4\t5 6\n")
    put("csv", "semicolon.csv", bytes([3 << 3]) + b"\"x\";\"y\"\n1;2\n3;4\n")
    put("csv", "auto_header.txt", b"\x02" + b"f1,f2\n+1,nan\n")

    # Images (PNG built here, JPEGs from make_seeds.c and two CIFAR-10 test files)
    put("image", "grey_4x4.png", png_bytes(grey(4, 4, 0), 0))
    put("image", "rgb_3x5.png", png_bytes(rgb(3, 5, 1), 2))
    put("image", "rgba_2x2.png", png_bytes(np.dstack([rgb(2, 2, 2), grey(2, 2, 3)]), 6))
    put("image", "grey16_3x3.png", png_bytes(grey(3, 3, 4).astype(np.uint16) * 257, 0, 16))
    put("image", "palette_4x2.png", png_bytes(np.array([[0, 1, 2, 1], [2, 1, 0, 0]], np.uint8), 3,
                                              palette=[0, 0, 0, 255, 0, 0, 0, 255, 255]))
    put("image", "grey_alpha_2x3.png", png_bytes(np.dstack([grey(2, 3, 5), grey(2, 3, 6)]), 4))
    cifar = os.path.join(ROOT, "tests", "testdata", "real", "cifar10_jpg")
    for cls, f in [("cat", "0000.jpg"), ("ship", "0001.jpg")]:
        shutil.copyfile(os.path.join(cifar, cls, f), os.path.join(CORPUS, "image", "cifar_" + cls + ".jpg"))

    # tar archives of images (plain tar: GzReader reads it transparently; one gzip seed)
    p1, p2 = png_bytes(grey(2, 2, 1), 0), png_bytes(grey(2, 2, 2), 0)
    members = [("data/train/0/a.png", p1), ("data/train/1/b.png", p2), ("data/test/0/c.png", p1),
               ("data/readme.txt", b"hello\n")]
    put("tar", "ustar_splits.tar", tar_bytes(members, tarfile.USTAR_FORMAT))
    put("tar", "gnu_longname.tar", tar_bytes([("x" * 120 + "/cls/" + "y" * 30 + ".png", p1),
                                              ("z" * 110 + "/cls/b.png", p2)], tarfile.GNU_FORMAT))
    put("tar", "pax_path.tar", tar_bytes([("p" * 150 + "/a/1.png", p1), ("p" * 150 + "/b/2.png", p2)],
                                         tarfile.PAX_FORMAT))
    put("tar", "flat.tar.gz", gzip.compress(tar_bytes([("one.png", p1), ("two.png", p2)], tarfile.USTAR_FORMAT),
                                            mtime=0))

    # config.json (as config_to_json writes it, and a minimal one)
    full = {
        "command": "train", "method": "rdc", "data": "fashion-mnist", "protocol": "train-test",
        "load": {"labels_from_folders": True, "csv_header": False, "csv_label_column": -1, "npz_key": ""},
        "seed": 42, "threads": 2, "device": "cpu", "clusters": 10,
        "pretext": {"name": "deepcluster-v2", "encoder": "resnet18", "input_shape": [1, 28, 28], "embed_dim": 128,
                    "heads": 3, "prototypes": 30, "temperature": 0.1, "small_crops": 2, "acai_lambda": 0.5,
                    "lr": 0.05, "weight_decay": 1e-6, "batch_size": 256},
        "phase1": {"epochs": 0, "batch_size": 256, "lr": 0.0, "optimizer": "", "time_budget_minutes": 0},
        "phase2": {"enabled": True, "rounds": 5, "epochs_per_round": 1, "knn": 10, "s_start": 0.5, "s_end": 0.9},
        "kmeans": {"n_init": 10, "iters": 100, "spherical": False}, "versions": {"rdc": "0.1.0"},
    }
    put("config", "full.json", json.dumps(full, indent=2).encode())
    put("config", "minimal.json", b'{"data": "x.npy"}')
    put("config", "kmeans.json", b'{"data": "d.csv", "method": "kmeans", "kmeans": {"spherical": true}, '
                                 b'"load": {"csv_header": true, "csv_label_column": -2}}')

    # ids: byte 0 = options (bits 0-1 extension .npy/.csv/.tsv/.txt, bit 2 column "label" instead of "cluster")
    put("ids", "i8.npy", b"\x00" + npy_bytes(np.array([0, 2, 1], dtype="<i8")))
    put("ids", "f4_n1.npy", b"\x00" + npy_bytes(np.array([[1.0], [0.0]], dtype="<f4")))
    put("ids", "assign.csv", b"\x01" + b"index,name,cluster,label\n0,a.png,3,1\n1,\"b,c\",0,2\n")
    put("ids", "label_col.tsv", b"\x06" + b"label\tcluster\n1\t2\n0\t0\n")
    put("ids", "lines.txt", b"\x03" + b"4\n5\r\n\n6\n")
    put("ids", "quoted_names.csv", b"\x01" + b'index,name,cluster\n0,"b,c",3\n1,"multi\nline ""q""",4\n')
    # bit 3: round trip write_assignments_csv -> read_ids with these 0xFF-separated names
    put("ids", "roundtrip_names", b"\x08" + b'a.png\xffb,c.png\xffq"x\ny.jpg\xff\xff  sp ace\r')

    # HDF5 + JPEG seeds through the C helper.
    with tempfile.TemporaryDirectory() as tmp:
        exe = os.path.join(tmp, "make_seeds")
        subprocess.run(["h5cc", "-o", exe, os.path.join(HERE, "make_seeds.c"), "-ljpeg"], check=True, cwd=tmp)
        subprocess.run([exe, CORPUS], check=True, cwd=tmp)

    total = 0
    for t in TARGETS:
        d = os.path.join(CORPUS, t)
        files = sorted(os.listdir(d))
        size = sum(os.path.getsize(os.path.join(d, f)) for f in files)
        total += size
        print(f"{t:7s} {len(files):3d} files {size:7d} bytes")
    print(f"total   {total} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
