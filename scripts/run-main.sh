#!/usr/bin/env bash
# Installs dependencies, builds rdc and runs the main job: R-DC on Fashion-MNIST (70k images).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
export OMP_WAIT_POLICY=PASSIVE
./build/rdc train fashion-mnist --out runs/fashion-mnist "$@"
