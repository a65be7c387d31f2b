#!/usr/bin/env bash
# Property-based API fuzzing: schemathesis generates requests from our OpenAPI document
# (/api/v1/openapi.json) against `minqing serve --demo` on a temporary data directory and a
# free loopback port, and fails on any 5xx and on any response that breaks the documented
# schema. It runs twice: anonymously, and as the demo administrator with a bearer token.
#
# Bounded: MINQING_FUZZ_EXAMPLES test cases per operation (default 15), at most
# MINQING_FUZZ_SECONDS per pass (default 90), 10 s per request, a fixed seed
# (MINQING_FUZZ_SEED) so a failure can be replayed. Needs .ci/setup.d/fuzz-api.sh.
set -euo pipefail
cd "$(dirname "$0")/../.."

bash .ci/setup.d/fuzz-api.sh
venv="$(bash .ci/setup.d/fuzz-api.sh --print-venv)"
schemathesis="$venv/bin/schemathesis"

examples="${MINQING_FUZZ_EXAMPLES:-15}"
seconds="${MINQING_FUZZ_SECONDS:-90}"
seed="${MINQING_FUZZ_SEED:-20261116}"

binary="${MINQING_BIN:-}"
if [ -z "$binary" ]; then
    cargo build --locked --bin minqing
    binary="${CARGO_TARGET_DIR:-target}/debug/minqing"
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/minqing-fuzz.XXXXXX")"
server_pid=""
cleanup() {
    if [ -n "$server_pid" ]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

port="$("$venv/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
base="http://127.0.0.1:$port"
RUST_LOG="${RUST_LOG:-warn}" "$binary" serve --demo --data-dir "$work/data" --listen "127.0.0.1:$port" --sweep-interval-secs 0 \
    >"$work/server.log" 2>&1 &
server_pid=$!

# Wait until the server answers (the demo load takes a few seconds on a debug build).
"$venv/bin/python" - "$base" <<'PY'
import sys, time, urllib.request
base = sys.argv[1]
deadline = time.time() + 120
while True:
    try:
        with urllib.request.urlopen(base + "/healthz", timeout=2) as response:
            if response.status == 200:
                break
    except Exception:
        pass
    if time.time() > deadline:
        sys.exit("the server did not become ready in 120 s")
    time.sleep(0.5)
PY

# The demo administrator's token (demo users and password: src/demo/seed.rs, README.md).
token="$("$venv/bin/python" - "$base" <<'PY'
import json, sys, urllib.request
request = urllib.request.Request(
    sys.argv[1] + "/api/v1/auth/login",
    data=json.dumps({"username": "admin", "password": "minqing-demo"}).encode(),
    headers={"Content-Type": "application/json"},
)
with urllib.request.urlopen(request, timeout=10) as response:
    print(json.load(response)["token"])
PY
)"

run_pass() {
    local label="$1"
    shift
    echo "-- schemathesis ($label): $examples examples per operation, at most ${seconds}s --"
    "$schemathesis" run "$base/api/v1/openapi.json" \
        --url "$base" \
        --checks not_a_server_error,response_schema_conformance \
        --max-examples "$examples" \
        --max-time "$seconds" \
        --request-timeout 10 \
        --seed "$seed" \
        --workers 2 \
        --suppress-health-check all \
        --report junit --report-dir "$work/report-$label" \
        "$@"
}

status=0
run_pass anonymous || status=1
run_pass admin -H "Authorization: Bearer $token" || status=1

if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "the server died during the fuzzing run:" >&2
    tail -n 50 "$work/server.log" >&2
    status=1
fi
if grep -q "panicked" "$work/server.log"; then
    echo "the server panicked during the fuzzing run:" >&2
    grep -n -A5 "panicked" "$work/server.log" | head -n 40 >&2
    status=1
fi
if [ "$status" -ne 0 ]; then
    echo "fuzz-api: schemathesis found problems (seed $seed)" >&2
    exit 1
fi
echo "fuzz-api: no server errors and no schema violations"
