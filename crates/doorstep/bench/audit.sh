#!/usr/bin/env bash
# The officials' audit on a synthetic province, on PostgreSQL:
#   1. `doorstep demo --province --history` (4,351 teams, 1,000,000
#      households, a published plan per team with its outcomes), timed;
#   2. the province's coverage and a page of its unmet households, read by
#      the province's official over HTTP (curl, loopback), three times each;
#   3. the unmet households as CSV streamed to a file, with the server's
#      peak memory (VmHWM) before and after.
# Usage: bash crates/doorstep/bench/audit.sh [TEAMS]   (default: the whole province)
#   AUDIT_KEEP=1 keeps the database doorstep_bench_audit afterwards (for EXPLAIN ANALYZE).
# Needs: PostgreSQL at 127.0.0.1:5432 (trust auth), curl, python3.
set -euo pipefail
cd "$(dirname "$0")/../../.."
teams="${1:-}"
db=doorstep_bench_audit
psql_admin() { psql -h 127.0.0.1 -U postgres -d test -qAt "$@"; }
psql_bench() { psql -h 127.0.0.1 -U postgres -d "$db" -qAt "$@"; }

cargo build --release -q -p doorstep
bin="$PWD/target/release/doorstep"
work="$(mktemp -d)"
cleanup() {
  kill $(jobs -p) 2>/dev/null || true
  wait 2>/dev/null || true
  if [ -z "${AUDIT_KEEP:-}" ]; then
    psql_admin -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
export DOORSTEP_ENV=production RUST_LOG=warn
export DOORSTEP__DATABASE__URL="postgres://postgres@127.0.0.1:5432/$db"

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), \
$(free -g | awk '/^Mem:/ {print $2}') GB; PostgreSQL $(psql_admin -c 'SHOW server_version'); $(date -u +%FT%TZ)"
echo "   load average (other work on the machine): $(cut -d' ' -f1-3 /proc/loadavg)"
psql_admin -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1
psql_admin -c "CREATE DATABASE $db"

echo "== doorstep demo --province --history${teams:+ --teams $teams}"
/usr/bin/time -f "   wall %e s, peak %M KB (the loader)" -o "$work/load.time" \
  "$bin" demo --province --history ${teams:+--teams "$teams"} >"$work/load.out" 2>"$work/load.err"
sed 's/^/   /' "$work/load.out" | grep -v -e "Tài khoản" -e "canbo"
cat "$work/load.time"
echo "   rows: $(psql_bench -c "SELECT concat_ws(', ', \
  (SELECT COUNT(*) FROM households) || ' households', (SELECT COUNT(*) FROM residents) || ' residents', \
  (SELECT COUNT(*) FROM needs) || ' needs', (SELECT COUNT(*) FROM visits) || ' visits', \
  (SELECT COUNT(*) FROM outcomes) || ' outcomes', (SELECT COUNT(*) FROM unmet) || ' unmet entries')")"
echo "   database: $(psql_bench -c "SELECT pg_size_pretty(pg_database_size('$db'))")"

"$bin" serve --address 127.0.0.1:0 >"$work/serve.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do grep -q "listening on" "$work/serve.log" && break; sleep 0.2; done
base="$(grep -o 'http://[0-9.:]*' "$work/serve.log" | head -n1)"
token="$(curl -s -X POST "$base/api/v1/auth/login" -H 'content-type: application/json' \
  -d '{"username":"canbo.tinhmau","password":"doorstep-demo"}' \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')"
province="$(psql_bench -c "SELECT id FROM areas WHERE code = 'SYN-PROVINCE'")"
auth=(-H "authorization: Bearer $token")
hwm() { awk '/^VmHWM/ {print $2 " " $3}' "/proc/$pid/status"; }
rss() { awk '/^VmRSS/ {print $2 " " $3}' "/proc/$pid/status"; }

echo "== GET /api/v1/areas/$province/coverage (the whole province, its $(psql_bench -c \
  "SELECT COUNT(*) FROM areas WHERE parent_id = $province") communes, 12 weeks), the official, 3 runs"
for i in 1 2 3; do
  curl -s -o "$work/coverage.json" -w "   run $i: HTTP %{http_code}, %{time_total} s, %{size_download} bytes\n" \
    "${auth[@]}" "$base/api/v1/areas/$province/coverage"
done
python3 - "$work/coverage.json" <<'PY'
import json, sys
t = json.load(open(sys.argv[1]))["total"]
print(f"   households {t['households']:,}, residents {t['residents']:,}, reached {t['reached']:,} "
      f"({t['percent_reached']} %), met {t['met']:,}")
PY

echo "== GET /api/v1/areas/$province/unmet?limit=100 (the first page), 3 runs"
for i in 1 2 3; do
  curl -s -o "$work/unmet.json" -w "   run $i: HTTP %{http_code}, %{time_total} s, %{size_download} bytes\n" \
    "${auth[@]}" "$base/api/v1/areas/$province/unmet?limit=100"
done
python3 - "$work/unmet.json" <<'PY'
import collections, json, sys
page = json.load(open(sys.argv[1]))["households"]
print(f"   {len(page)} households; reasons: "
      + ", ".join(f"{r} {n}" for r, n in collections.Counter(h["reason"] for h in page).most_common()))
PY

echo "== GET /api/v1/areas/$province/unmet?format=csv, streamed to a file"
echo "   server before: VmHWM $(hwm), VmRSS $(rss)"
curl -s -o "$work/unmet.csv" \
  -w "   HTTP %{http_code}, %{time_total} s in all, first byte after %{time_starttransfer} s, %{size_download} bytes\n" \
  "${auth[@]}" "$base/api/v1/areas/$province/unmet?format=csv"
echo "   server after:  VmHWM $(hwm), VmRSS $(rss)"
python3 - "$work/unmet.csv" <<'PY'
import csv, sys
with open(sys.argv[1], encoding="utf-8-sig", newline="") as f:
    rows = sum(1 for _ in csv.reader(f)) - 1
print(f"   {rows:,} unmet households (records after the header)")
PY
echo "   unmet households by SQL: $(psql_bench -c "SELECT COUNT(DISTINCT r.household_id) FROM residents r \
  JOIN needs n ON n.resident_id = r.id WHERE n.status = 'open' AND NOT EXISTS (SELECT 1 FROM visits v \
  JOIN outcomes o ON o.visit_id = v.id WHERE v.household_id = r.household_id AND o.result = 'done')")"
kill "$pid"
wait "$pid" 2>/dev/null || true
echo "== load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
