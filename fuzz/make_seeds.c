/* Writes the seeds Python cannot make without extra modules: small HDF5 files (HDF5 C API)
 * and JPEGs (libjpeg: grey baseline, colour progressive). Used by make_corpus.py:
 *   h5cc -o make_seeds make_seeds.c -ljpeg && ./make_seeds OUT_DIR */
#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>

static void write_ds(hid_t loc, const char* name, hid_t mem_type, hid_t file_type, int rank, const hsize_t* dims,
                     const void* data, int chunked) {
  hid_t space = H5Screate_simple(rank, dims, NULL);
  hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
  if (chunked) {
    H5Pset_chunk(dcpl, rank, dims);
    H5Pset_deflate(dcpl, 6);
  }
  hid_t ds = H5Dcreate2(loc, name, file_type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
  H5Dwrite(ds, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data);
  H5Dclose(ds);
  H5Pclose(dcpl);
  H5Sclose(space);
}

static void h5_seeds(const char* dir) {
  char path[4096];
  /* 1. USPS layout: train/{data,target}, test/{data,target}; 16 columns = 4 x 4 images. */
  snprintf(path, sizeof path, "%s/hdf5/usps_like.h5", dir);
  hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  float x[3 * 16];
  for (int i = 0; i < 3 * 16; ++i) x[i] = (float)(i % 7) / 7.0f;
  long long y[3] = {0, 1, 2};
  const char* groups[2] = {"train", "test"};
  for (int g = 0; g < 2; ++g) {
    hid_t grp = H5Gcreate2(f, groups[g], H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    hsize_t dx[2] = {3, 16}, dy[1] = {3};
    write_ds(grp, "data", H5T_NATIVE_FLOAT, H5T_IEEE_F32LE, 2, dx, x, 0);
    write_ds(grp, "target", H5T_NATIVE_LLONG, H5T_STD_I64LE, 1, dy, y, 0);
    H5Gclose(grp);
  }
  H5Fclose(f);
  /* 2. Root layout: uint8 images (N, H, W, C) chunked + deflated, float labels. */
  snprintf(path, sizeof path, "%s/hdf5/root_u8_deflate.h5", dir);
  f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  unsigned char img[2 * 3 * 3 * 3];
  for (int i = 0; i < (int)sizeof img; ++i) img[i] = (unsigned char)(i * 9);
  double lab[2] = {1, 0};
  hsize_t di[4] = {2, 3, 3, 3}, dl[2] = {2, 1};
  write_ds(f, "images", H5T_NATIVE_UCHAR, H5T_STD_U8LE, 4, di, img, 1);
  write_ds(f, "labels", H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE, 2, dl, lab, 0);
  H5Fclose(f);
  /* 3. Root layout: int16 vectors, no labels. */
  snprintf(path, sizeof path, "%s/hdf5/root_i16.h5", dir);
  f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  short v[4 * 2] = {1, -2, 3, -4, 5, -6, 7, -8};
  hsize_t dv[2] = {4, 2};
  write_ds(f, "x", H5T_NATIVE_SHORT, H5T_STD_I16BE, 2, dv, v, 0);
  H5Fclose(f);
}

static void jpeg_seed(const char* path, int w, int h, int comps, int progressive) {
  FILE* out = fopen(path, "wb");
  if (!out) exit(1);
  struct jpeg_compress_struct c;
  struct jpeg_error_mgr err;
  c.err = jpeg_std_error(&err);
  jpeg_create_compress(&c);
  jpeg_stdio_dest(&c, out);
  c.image_width = w;
  c.image_height = h;
  c.input_components = comps;
  c.in_color_space = comps == 1 ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_set_defaults(&c);
  jpeg_set_quality(&c, 75, TRUE);
  if (progressive) jpeg_simple_progression(&c);
  jpeg_start_compress(&c, TRUE);
  unsigned char row[64 * 3];
  while (c.next_scanline < c.image_height) {
    for (int i = 0; i < w * comps; ++i) row[i] = (unsigned char)((i * 13 + c.next_scanline * 29) & 0xff);
    JSAMPROW r = row;
    jpeg_write_scanlines(&c, &r, 1);
  }
  jpeg_finish_compress(&c);
  jpeg_destroy_compress(&c);
  fclose(out);
}

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s OUT_DIR (with hdf5/ and image/ inside)\n", argv[0]);
    return 2;
  }
  char path[4096];
  h5_seeds(argv[1]);
  snprintf(path, sizeof path, "%s/image/grey_8x8.jpg", argv[1]);
  jpeg_seed(path, 8, 8, 1, 0);
  snprintf(path, sizeof path, "%s/image/rgb_16x8_progressive.jpg", argv[1]);
  jpeg_seed(path, 16, 8, 3, 1);
  return 0;
}
