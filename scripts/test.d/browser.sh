#!/usr/bin/env bash
# The browser tests: a real headless Chromium drives the web interface end to end.
# Needs .ci/setup.d/browser.sh (chromium and the npm packages); builds the binary first.
set -euo pipefail
cd "$(dirname "$0")/../.."
bash .ci/setup.d/browser.sh
cargo build --locked --bin minqing
cd tests/browser
node e2e.mjs
