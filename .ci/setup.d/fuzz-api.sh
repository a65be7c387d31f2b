#!/usr/bin/env bash
# Installs schemathesis (the property-based API fuzzer of scripts/test.d/fuzz-api.sh) into
# its own virtual environment under ~/.cache, so it touches neither the system Python nor
# the work tree. Idempotent: does nothing when the pinned version is already there.
# Prints nothing but the venv's path on stdout when called with --print-venv.
set -euo pipefail

SCHEMATHESIS_VERSION="4.32.5"
venv="${MINQING_FUZZ_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/minqing/schemathesis-venv}"

if [ "${1:-}" = "--print-venv" ]; then
    echo "$venv"
    exit 0
fi

python="$(command -v python3 || true)"
if [ -z "$python" ]; then
    echo "python3 is missing: apt-get install python3 python3-venv" >&2
    exit 1
fi
if ! "$python" -c 'import venv, ensurepip' >/dev/null 2>&1; then
    sudo_prefix=""
    if [ "$(id -u)" != "0" ]; then sudo_prefix="sudo"; fi
    $sudo_prefix apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_prefix apt-get install -y -qq python3-venv >/dev/null
fi

stamp="$venv/.minqing-schemathesis-$SCHEMATHESIS_VERSION"
if [ -x "$venv/bin/schemathesis" ] && [ -e "$stamp" ]; then
    exit 0
fi
rm -rf "$venv"
mkdir -p "$(dirname "$venv")"
"$python" -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check --upgrade pip
"$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
touch "$stamp"
"$venv/bin/schemathesis" --version
