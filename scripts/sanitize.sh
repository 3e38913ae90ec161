#!/usr/bin/env bash
# Builds the torch-free unit tests (rdc_core_tests) with AddressSanitizer + UndefinedBehaviorSanitizer
# (-DRDC_SANITIZE=ON, clang: its UBSan also checks float->int casts) in ./build-asan and runs them
# once, directly (one process, not one ctest entry per test). libtorch code is not built here.
#
#   scripts/sanitize.sh [gtest args, e.g. --gtest_filter='Readers.*']
#
# Any ASan report (overflow, use-after-free, leak) or UBSan report fails the run.
# Needs clang + libomp-dev (falls back to gcc when clang is absent).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${ASAN_BUILD_DIR:-build-asan}
JOBS=${JOBS:-$(nproc)}
t0=$(date +%s)
if [ ! -f "$BUILD_DIR/CMakeCache.txt" ]; then
  CC_=gcc CXX_=g++
  if command -v clang++ >/dev/null; then CC_=clang CXX_=clang++; fi
  GEN=()
  command -v ninja >/dev/null && GEN=(-G Ninja)
  # Debug keeps assert() on; -O1 keeps the sanitized tests fast.
  CC=$CC_ CXX=$CXX_ cmake -S . -B "$BUILD_DIR" "${GEN[@]}" -DRDC_SANITIZE=ON -DRDC_BUILD_TESTS=ON \
    -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_FLAGS_DEBUG="-O1 -g" -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g" >/dev/null
fi
cmake --build "$BUILD_DIR" --target rdc_core_tests -j"$JOBS"
t1=$(date +%s)
echo "sanitize.sh: build took $((t1 - t0)) s ($(grep -m1 CMAKE_CXX_COMPILER: "$BUILD_DIR/CMakeCache.txt" | cut -d= -f2))"

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:detect_stack_use_after_return=1:check_initialization_order=1:strict_init_order=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export OMP_WAIT_POLICY=PASSIVE
rc=0
"$BUILD_DIR/tests/rdc_core_tests" --gtest_brief=1 "$@" </dev/null || rc=$?
echo "sanitize.sh: tests took $(( $(date +%s) - t1 )) s, total $(( $(date +%s) - t0 )) s"
if [ "$rc" -ne 0 ]; then
  echo "sanitize.sh: FAILED (exit $rc): a test failed or a sanitizer reported an error (see above)" >&2
  exit "$rc"
fi
echo "sanitize.sh: rdc_core_tests clean under ASan + UBSan"
