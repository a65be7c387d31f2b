#!/usr/bin/env bash
# Installs what the browser tests need: Debian's chromium and the npm packages of
# tests/browser (playwright-core, axe-core) from the committed package-lock.json.
# Idempotent: does nothing that is already done.
set -euo pipefail
cd "$(dirname "$0")/../.."

if ! command -v chromium >/dev/null 2>&1; then
    sudo_prefix=""
    if [ "$(id -u)" != "0" ]; then sudo_prefix="sudo"; fi
    $sudo_prefix apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_prefix apt-get install -y -qq chromium fonts-noto-cjk >/dev/null
fi

if ! command -v npm >/dev/null 2>&1; then
    echo "npm is missing: install nodejs and npm (apt-get install nodejs npm)" >&2
    exit 1
fi

cd tests/browser
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    npm ci --no-audit --no-fund --loglevel=error
fi
