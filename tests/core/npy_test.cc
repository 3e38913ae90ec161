#include <gtest/gtest.h>

#include "rdc/core/error.h"
#include "rdc/core/npy.h"

using namespace rdc;

TEST(Npy, RoundTripFloatAndInt) {
  std::vector<float> f = {1.5f, -2.f, 3.f, 4.f, 5.f, 6.f};
  std::string b = npy_bytes_f32(f.data(), {2, 3});
  NpyArray a = parse_npy(b.data(), b.size(), "mem");
  EXPECT_EQ(a.dtype, "f4");
  EXPECT_EQ(a.shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(a.to_float(), f);
  std::vector<int64_t> l = {3, 1, 4};
  std::string bi = npy_bytes_i64(l.data(), {3});
  EXPECT_EQ(parse_npy(bi.data(), bi.size(), "mem").to_int64("mem"), l);
}

TEST(Npy, RejectsAbsurdShapeBeforeAllocating) {
  std::vector<float> f = {1.f};
  std::string b = npy_bytes_f32(f.data(), {1});
  auto p = b.find("(1,)");
  ASSERT_NE(p, std::string::npos);
  std::string bad = b;
  bad.replace(p, 4, "(1000000000000,)");
  // keep header length consistent: header length field is unchanged but text is longer;
  // parse must fail cleanly either way (malformed or truncated), never allocate 4 TB.
  try {
    parse_npy(bad.data(), bad.size(), "huge.npy");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("huge.npy"), std::string::npos) << e.what();
  }
}

TEST(Npy, TruncatedAndWrongMagic) {
  std::vector<float> f = {1.f, 2.f};
  std::string b = npy_bytes_f32(f.data(), {2});
  EXPECT_THROW(parse_npy(b.data(), b.size() - 3, "t.npy"), Error);
  std::string m = b;
  m[1] = 'X';
  try {
    parse_npy(m.data(), m.size(), "m.npy");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("magic"), std::string::npos);
  }
}
