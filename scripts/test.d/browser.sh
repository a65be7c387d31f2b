#!/usr/bin/env bash
# The browser tests: a real headless Chromium drives the web interface end to end.
# Needs .ci/setup.d/browser.sh (chromium and the npm packages); builds the binary first.
set -euo pipefail
cd "$(dirname "$0")/../.."
bash .ci/setup.d/browser.sh
cargo build --locked --bin minqing
# The binary is wherever cargo put it (CARGO_TARGET_DIR may point outside the tree).
export MINQING_BIN="${MINQING_BIN:-$(cd "${CARGO_TARGET_DIR:-target}" && pwd)/debug/minqing}"
cd tests/browser
node e2e.mjs
node programmes.mjs
