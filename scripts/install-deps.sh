#!/usr/bin/env bash
# Installs every Debian package rdc needs to build, test and benchmark.
# Idempotent, never prompts. Run as root (or with sudo).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
PKGS=(
  build-essential cmake ninja-build ccache pkg-config git
  libtorch-dev libfaiss-dev libopenblas0-openmp
  libcli11-dev nlohmann-json3-dev libfmt-dev libspdlog-dev
  zlib1g-dev libpng-dev libjpeg-dev libstb-dev libhdf5-dev libzip-dev
  libgtest-dev googletest
  dataset-fashion-mnist
)
# CI extras: fuzzers (clang + libFuzzer runtime), the headless browser test.
if [ "${RDC_WITH_CI_TOOLS:-0}" = "1" ]; then
  PKGS+=(clang libclang-rt-14-dev libomp-dev chromium)
fi
# Benchmarks' reference implementations (never used at run time).
if [ "${RDC_WITH_PYTHON:-0}" = "1" ]; then
  PKGS+=(python3-torch python3-sklearn python3-scipy python3-numpy python3-faiss)
fi
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
# Make sure the fast OpenMP OpenBLAS is what libtorch and faiss load: libblas.so.3 and
# liblapack.so.3 load libopenblas.so.0 through its own alternative, so set all of them.
arch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo x86_64-linux-gnu)
for lib in libblas.so.3 liblapack.so.3 libopenblas.so.0 libblas.so liblapack.so libopenblas.so; do
  cand=/usr/lib/$arch/openblas-openmp/$lib
  if [ -e "$cand" ]; then
    $SUDO update-alternatives --set "$lib-$arch" "$cand" >/dev/null 2>&1 || true
  fi
done
echo "rdc: dependencies installed"
