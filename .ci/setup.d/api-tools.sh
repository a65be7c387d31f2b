#!/usr/bin/env bash
# curl and jq for the documented API walk (tests/api_walk.rs runs docs/API.md's commands).
set -euo pipefail
if ! command -v curl >/dev/null 2>&1 || ! command -v jq >/dev/null 2>&1; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq curl jq >/dev/null
fi
