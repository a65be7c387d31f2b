#!/usr/bin/env bash
# Minqing and its peer (django-helpdesk 2.6.1) measured in the same run, on the same
# machine, loopback only, every phase bounded in requests and time. Prints each figure
# with the ratio to the peer, for SQLite and PostgreSQL. See docs/PERFORMANCE.md.
#
#   scripts/bench/run.sh                                  # everything (about an hour on 2 cores)
#   BACKENDS=sqlite PEER=0 scripts/bench/run.sh           # Minqing on SQLite only
#   LIST_APPEALS=100000 DASH_APPEALS=1000000 scripts/bench/run.sh   # smaller
#
# Knobs (environment): BIN, WORK, BACKENDS, PEER, PEER_BACKENDS, PEER_DIR, PG_URL_BASE, INTAKE_REQUESTS,
# LIST_APPEALS, DASH_APPEALS (SQLite), DASH_APPEALS_PG, PORT.
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${BIN:-${CARGO_TARGET_DIR:-$here/target}/release/minqing}
WORK=${WORK:-/tmp/minqing-bench}
BACKENDS=${BACKENDS:-"sqlite postgres"}
PEER=${PEER:-1}
PEER_BACKENDS=${PEER_BACKENDS:-$BACKENDS}
PEER_DIR=${PEER_DIR:-/tmp/peer-helpdesk}
PEER_SRC=${PEER_SRC:-$here/../../shared/bench/peer-helpdesk}
[ -d "$PEER_SRC" ] || PEER_SRC=/work/shared/bench/peer-helpdesk
PG_URL_BASE=${PG_URL_BASE:-postgres://postgres@127.0.0.1:5432}
INTAKE_REQUESTS=${INTAKE_REQUESTS:-20000}
LIST_APPEALS=${LIST_APPEALS:-1000000}
DASH_APPEALS=${DASH_APPEALS:-10000000}
DASH_APPEALS_PG=${DASH_APPEALS_PG:-$LIST_APPEALS}
PORT=${PORT:-$(python3 -c "import socket; s=socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])")}
REGIONS=${REGIONS:-$here/../../shared/data/regions}
[ -d "$REGIONS" ] || REGIONS=/work/shared/data/regions
[ -x "$BIN" ] || { echo "no release binary at $BIN: cargo build --release first" >&2; exit 2; }
mkdir -p "$WORK"
OUT=$WORK/results-$(date +%Y%m%dT%H%M%S)
mkdir -p "$OUT"
FIG=$OUT/figures.tsv     # backend  name  value  unit  load
: > "$FIG"
log() { echo "[$(date +%T)] $*" | tee -a "$OUT/log.txt" >&2; }
load() { cut -d' ' -f1-3 /proc/loadavg; }
fig() { printf '%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$(load)" >> "$FIG"; log "$1 $2 = $3 $4 (load $(load))"; }
# Pulls "key NUMBER" or "NUMBER/s" out of a bench line.
num_after() { grep -oE "$1 [0-9.]+" | head -1 | awk '{print $NF}'; }
rate_of() { grep -oE '[0-9.]+ ?(lookups)?/s' | head -1 | grep -oE '^[0-9.]+'; }

SERVE_PID=
stop_serve() {
  if [ -n "$SERVE_PID" ] && kill -0 "$SERVE_PID" 2>/dev/null; then
    kill "$SERVE_PID"; for _ in $(seq 1 100); do kill -0 "$SERVE_PID" 2>/dev/null || break; sleep 0.1; done
  fi
  SERVE_PID=
}
trap stop_serve EXIT

# ---- the machine ------------------------------------------------------------------
{
  echo "date: $(date -Is)"
  echo "cpu: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
  echo "ram: $(free -m | awk '/Mem:/{print $2}') MB"
  echo "disk: $(df -h "$WORK" | awk 'NR==2{print $1, $2, "size,", $4, "free"}')"
  echo "kernel: $(uname -r)"
  echo "load at start: $(cat /proc/loadavg)"
} | tee "$OUT/machine.txt" >&2
# fsync latency: 1000 synchronous 4 KiB writes (each one write + fsync, as a commit does).
dd_out=$(dd if=/dev/zero of="$WORK/fsync.probe" bs=4k count=1000 oflag=dsync 2>&1 | tail -1); rm -f "$WORK/fsync.probe"
dd_secs=$(echo "$dd_out" | grep -oE '[0-9.]+ s' | head -1 | awk '{print $1}')
fig machine fsync_latency "$(awk -v s="$dd_secs" 'BEGIN{printf "%.3f", s}')" "ms per 4KiB dsync write (1000 writes)"

# ---- routing and import (backend-independent parts first) --------------------------
line=$("$BIN" bench route --grids 100000 --lookups 4000000); log "$line"
fig all routing_lookups "$(echo "$line" | rate_of)" "lookups/s, 100000 grids, all cores"
fig all routing_lookups_one_core "$(echo "$line" | grep -oE '[0-9]+ lookups/s on one' | grep -oE '^[0-9]+')" "lookups/s, 100000 grids, one thread"

wait_ready() {
  for _ in $(seq 1 600); do
    curl -sf -o /dev/null "http://127.0.0.1:$PORT/healthz" && return 0
    kill -0 "$SERVE_PID" 2>/dev/null || break
    sleep 0.2
  done
  echo "minqing serve did not start" >&2; return 1
}
url_for() { if [ "$1" = sqlite ]; then echo "sqlite://$WORK/$1/minqing.db?mode=rwc"; else echo "$PG_URL_BASE/minqing_bench"; fi; }
fresh_db() {
  rm -rf "${WORK:?}/$1"; mkdir -p "$WORK/$1"
  if [ "$1" = postgres ]; then
    psql "$PG_URL_BASE/postgres" -qc "DROP DATABASE IF EXISTS minqing_bench" -c "CREATE DATABASE minqing_bench" >/dev/null
  fi
}
month_before() { date -d "$(date +%Y-%m-01) -1 month" +%Y-%m; }

for backend in $BACKENDS; do
  durability="WAL, synchronous=FULL"; [ "$backend" = postgres ] && durability="fsync=on, synchronous_commit=$(psql "$PG_URL_BASE/postgres" -Atc 'show synchronous_commit')"
  fig "$backend" durability "$durability" "" 
  DB=(--data-dir "$WORK/$backend" --database-url "$(url_for "$backend")")

  # Import of the national region tree, into a fresh database of its own.
  fresh_db "$backend"
  t0=$(date +%s.%N)
  for file in china-provinces.csv china-cities.csv china-counties.csv china-townships.csv.gz china-villages.csv.gz; do
    "$BIN" import "${DB[@]}" regions "$REGIONS/$file" >> "$OUT/import-$backend.log"
  done
  t1=$(date +%s.%N)
  fig "$backend" import_regions_s "$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", b-a}')" "s for the national tree ($(awk '{s+=$2} END{print s}' "$OUT/import-$backend.log") regions)"

  # A fresh demo county, served with the scheduler off (escalation is timed on its own).
  fresh_db "$backend"
  # Let the import's writeback (and, on a disk mounted with `discard`, the trimming of the
  # deleted import database) finish first, so the intake's commits do not share the disk
  # with it. (On 4 December the run without this wait gave 2,826/s, the two with it 3,700
  # and 4,818/s; by hand the same code varied from 3,353 to 6,966/s, so how much of the
  # difference the wait makes is not settled.)
  sync; sleep 10
  "$BIN" serve "${DB[@]}" --demo --listen "127.0.0.1:$PORT" --sweep-interval-secs 0 > "$OUT/serve-$backend.log" 2>&1 &
  SERVE_PID=$!
  wait_ready
  # 1. Intake at 16 concurrent clients.
  line=$("$BIN" bench intake --target "127.0.0.1:$PORT" --concurrency 16 --requests "$INTAKE_REQUESTS" --max-seconds 120); log "$line"
  fig "$backend" intake_rate "$(echo "$line" | rate_of)" "appeals/s at 16 clients"
  fig "$backend" intake_p50 "$(echo "$line" | num_after p50)" ms
  fig "$backend" intake_p99 "$(echo "$line" | num_after p99)" ms

  # 2. The workbench list with LIST_APPEALS stored (20 % open).
  "$BIN" bench seed "${DB[@]}" --appeals "$LIST_APPEALS" --open-share 0.2 --overdue 20000 2> "$OUT/seed-$backend.log" | tee -a "$OUT/log.txt" >&2
  line=$("$BIN" bench list --target "127.0.0.1:$PORT" --username zhujian --concurrency 4 --requests 2000 --max-seconds 60); log "$line"
  fig "$backend" list_p50 "$(echo "$line" | num_after p50)" "ms, $LIST_APPEALS stored"
  fig "$backend" list_p99 "$(echo "$line" | num_after p99)" "ms, $LIST_APPEALS stored"

  # 3. Escalation of the 20,000 overdue (the other open appeals are not yet due), then
  #    sweeps that find nothing due.
  line=$("$BIN" bench escalate "${DB[@]}" --limit 1000000 --idle-sweeps 50 2>>"$OUT/escalate-$backend.log" | tee -a "$OUT/log.txt")
  esc=$(echo "$line" | grep '^escalation'); idle=$(echo "$line" | grep '^idle sweep'); rem=$(echo "$line" | grep '^monthly reminders' || true)
  [ -n "$rem" ] && fig "$backend" monthly_reminders_s "$(echo "$rem" | grep -oE 'in [0-9.]+ s' | awk '{print $2}')" "s for the month's reminder notices (timed apart), $LIST_APPEALS stored"
  fig "$backend" escalate_20k_s "$(echo "$esc" | grep -oE 'in [0-9.]+ s' | awk '{print $2}')" "s ($(echo "$esc" | grep -oE '[0-9]+ escalated'), $LIST_APPEALS stored)"
  fig "$backend" idle_sweep_p50 "$(echo "$idle" | num_after p50)" "ms, $LIST_APPEALS stored"
  fig "$backend" idle_sweep_max "$(echo "$idle" | num_after max)" "ms"

  # 4. The dashboard at DASH_APPEALS stored.
  target=$DASH_APPEALS; [ "$backend" = postgres ] && target=$DASH_APPEALS_PG
  if [ "$target" -gt "$LIST_APPEALS" ]; then
    "$BIN" bench seed "${DB[@]}" --appeals $((target - LIST_APPEALS)) --open-share 0.02 --seed 7 2>> "$OUT/seed-$backend.log" | tee -a "$OUT/log.txt" >&2
  fi
  "$BIN" bench rollup "${DB[@]}" 2>>"$OUT/rollup-$backend.log" | tee -a "$OUT/log.txt" >&2 || true
  month=$(month_before)
  for page in summary units; do
    line=$("$BIN" bench list --target "127.0.0.1:$PORT" --username leader --concurrency 1 --requests 50 --max-seconds 120 --path "/api/v1/dashboard/$page?month=$month"); log "$line"
    fig "$backend" "dashboard_${page}_p50" "$(echo "$line" | num_after p50)" "ms, $target stored"
    fig "$backend" "dashboard_${page}_p99" "$(echo "$line" | num_after p99)" "ms, $target stored"
  done
  # 7. Peak RSS of the server over 1-4.
  fig "$backend" serve_peak_rss "$(awk '/VmHWM/{printf "%.0f", $2/1024}' "/proc/$SERVE_PID/status")" MB
  stop_serve
  if [ "$backend" = sqlite ]; then fig "$backend" db_size "$(du -sm "$WORK/$backend" | cut -f1)" MB; fi
done

# ---- the peer ---------------------------------------------------------------------------
if [ "$PEER" = 1 ]; then
  [ -x "$PEER_DIR/venv/bin/python" ] || "$PEER_SRC/setup.sh" "$PEER_DIR" >&2
  cp "$PEER_SRC/bench.sh" "$PEER_DIR/"; cp -r "$PEER_SRC/scripts" "$PEER_DIR/"
  for backend in $PEER_BACKENDS; do
    if [ "$backend" = postgres ]; then
      (cd "$PEER_DIR" && scripts/pg_start.sh >&2 && PEER_DB=postgres PGPORT=5433 ./bench.sh > "$OUT/peer-$backend.txt" 2>&1; scripts/pg_stop.sh >&2) || true
      fig peer-postgres durability "fsync=on, synchronous_commit=on (autocommit)" ""
    else
      (cd "$PEER_DIR" && ./bench.sh > "$OUT/peer-$backend.txt" 2>&1) || true
      fig peer-sqlite durability "WAL, synchronous=NORMAL (the harness setting)" ""
    fi
    res=$(ls -td "$PEER_DIR"/results/*/ | head -1)/results.jsonl
    python3 - "$res" "$backend" >> "$FIG" <<'PY'
import json, sys
rows = {}
for line in open(sys.argv[1]):
    r = json.loads(line); rows.setdefault(r["label"], r)
load = " ".join(open("/proc/loadavg").read().split()[:3])
b = "peer-" + sys.argv[2]
def out(name, value, unit):
    if value is not None: print(f"{b}\t{name}\t{value}\t{unit}\t{load}")
api = rows.get("create_via_api_token")
form = rows.get("create_via_public_form")
lst = rows.get("ticket_list_page_total")
esc = rows.get("escalate_tickets"); noop = rows.get("escalate_tickets_noop_rerun")
if api: out("intake_rate", api.get("per_s"), "tickets/s via REST API"); out("intake_p50", api.get("p50_ms"), "ms"); out("intake_p99", api.get("p99_ms"), "ms")
if form: out("form_rate", form.get("per_s"), "tickets/s via public form")
if lst: out("list_p50", lst.get("p50_ms"), "ms, 20000 open"); out("list_p99", lst.get("p99_ms", lst.get("p95_ms")), "ms")
if esc: out("escalate_20k_s", esc.get("wall_s"), f"s ({esc.get('escalated')} escalated)")
if noop: out("idle_sweep_p50", round(noop["wall_s"] * 1000, 1), "ms (no-op escalate_tickets incl. Python start)")
PY
  done
fi

# ---- the table ------------------------------------------------------------------------------
python3 - "$FIG" <<'PY' | tee "$OUT/table.md"
import sys, collections
figs = collections.OrderedDict()
for line in open(sys.argv[1]):
    b, name, value, unit, load = (line.rstrip("\n").split("\t") + [""] * 5)[:5]
    figs[(b, name)] = (value, unit, load)
targets = {  # name: (target, higher is better, peer multiple)
    "intake_rate": (None, True, 50), "list_p99": (20, False, None), "escalate_20k_s": (1, False, None),
    "idle_sweep_p50": (10, False, None), "dashboard_summary_p99": (200, False, None), "dashboard_units_p99": (200, False, None),
    "routing_lookups": (1_000_000, True, None), "serve_peak_rss": (300, False, None),
}
print("| backend | figure | Minqing | peer | ratio | target | met | load (1/5/15 min) |")
print("|---|---|---|---|---|---|---|---|")
for (b, name), (value, unit, load) in figs.items():
    if b.startswith("peer-"):
        if not any(k[0] == b[5:] for k in figs):
            print(f"| {b} | {name} | | {value} {unit} | | | | {load} |")
        continue
    peer = figs.get(("peer-" + b, name))
    ratio = ""
    try:
        v = float(value); p = float(peer[0]) if peer else None
        if p:
            ratio = f"{v / p:.1f}×" if name.endswith("rate") else f"{p / v:.0f}× faster" if v > 0 else ""
    except ValueError:
        v = None
    target, higher, multiple = targets.get(name, (None, True, None))
    met = ""
    if multiple and peer and v is not None:
        target = multiple * float(peer[0]); met = "yes" if v >= target else "no"
    elif target is not None and v is not None:
        met = "yes" if (v >= target if higher else v < target) else "no"
    peer_text = f"{peer[0]} {peer[1]}" if peer else ""
    print(f"| {b} | {name} | {value} {unit} | {peer_text} | {ratio} | {'' if target is None else target} | {met} | {load} |")
PY
log "results in $OUT"
