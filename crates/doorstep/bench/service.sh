#!/usr/bin/env bash
# The service's figures, on SQLite and on PostgreSQL:
#   1. the demo's 25-member team (Lam Sơn, 450 households) planned for 28 days
#      end to end (load, expand, solve with a 3 s budget, check, save);
#   2. a volunteer's daily list under load (wrk, another process, loopback).
# Usage: bash crates/doorstep/bench/service.sh [sqlite|postgres|both]
# Needs: wrk (apt-get install wrk), PostgreSQL at 127.0.0.1:5432 for postgres.
set -euo pipefail
cd "$(dirname "$0")/../../.."
which="${1:-both}"
cargo build --release -q -p doorstep
bin="$PWD/target/release/doorstep"
work="$(mktemp -d)"
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
export DOORSTEP_ENV=production RUST_LOG=warn
today="$(TZ=Asia/Ho_Chi_Minh date +%F)"

run() {
  local name="$1" url="$2"
  export DOORSTEP__DATABASE__URL="$url"
  echo "== $name"
  "$bin" demo >/dev/null
  for i in 1 2 3; do
    /usr/bin/time -f "   wall %e s, peak %M KB" "$bin" plan --team 3 --from "$today" --days 28 --time-limit 3 2>&1 \
      | grep -E "visits|time|wall" | tr '\n' ' '
    echo
  done
  "$bin" serve --address 127.0.0.1:0 >"$work/serve.log" 2>&1 &
  local pid=$!
  for _ in $(seq 1 50); do grep -q "listening on" "$work/serve.log" && break; sleep 0.2; done
  local base
  base="$(grep -o 'http://[0-9.:]*' "$work/serve.log" | head -n1)"
  local token
  token="$(curl -s -X POST "$base/api/v1/auth/login" -H 'content-type: application/json' \
    -d '{"username":"tinhnguyen.haithanh","password":"doorstep-demo"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')"
  # The busiest day of the coming week for the volunteer.
  local day="" n=-1
  for offset in 0 1 2 3 4 5 6; do
    local d c
    d="$(TZ=Asia/Ho_Chi_Minh date -d "+$offset day" +%F)"
    c="$(curl -s "$base/api/v1/me/visits?date=$d" -H "authorization: Bearer $token" \
      | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["visits"]))')"
    if [ "$c" -gt "$n" ]; then day="$d"; n="$c"; fi
  done
  echo "   daily list: GET /api/v1/me/visits?date=$day ($n visits), wrk 2 threads, 32 connections, 15 s"
  wrk -t2 -c32 -d15s --latency -H "authorization: Bearer $token" "$base/api/v1/me/visits?date=$day" \
    | grep -E "Requests/sec|50%|90%|99%|Non-2xx|Socket errors" | sed 's/^/   /'
  # The team's busiest list of the four weeks, read by its leader (no phone numbers).
  local lead busiest
  lead="$(curl -s -X POST "$base/api/v1/auth/login" -H 'content-type: application/json' \
    -d '{"username":"totruong.haithanh","password":"doorstep-demo"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')"
  busiest="$(python3 - "$base" "$lead" <<'PY'
import collections, json, sys, urllib.request
base, token = sys.argv[1], sys.argv[2]
def get(path):
    request = urllib.request.Request(base + path, headers={"authorization": "Bearer " + token})
    return json.load(urllib.request.urlopen(request))
plans = get("/api/v1/teams/1/plans")
plans = plans.get("plans", plans) if isinstance(plans, dict) else plans
plan = next(p for p in plans if p["status"] == "published")
days = collections.Counter((v["member_id"], v["start"][:10]) for v in get(f"/api/v1/plans/{plan['id']}")["visits"])
(member, day), n = days.most_common(1)[0]
print(f"/api/v1/members/{member}/visits?date={day} {n}")
PY
)"
  echo "   busiest list: GET ${busiest% *} (${busiest##* } visits), read by the leader, same load"
  wrk -t2 -c32 -d15s --latency -H "authorization: Bearer $lead" "$base${busiest% *}" \
    | grep -E "Requests/sec|50%|90%|99%|Non-2xx|Socket errors" | sed 's/^/   /'
  kill "$pid"; wait "$pid" 2>/dev/null || true
}

if [ "$which" = sqlite ] || [ "$which" = both ]; then
  run SQLite "sqlite://$work/bench.sqlite"
fi
if [ "$which" = postgres ] || [ "$which" = both ]; then
  psql -h 127.0.0.1 -U postgres -d test -qc "DROP DATABASE IF EXISTS doorstep_bench WITH (FORCE)" >/dev/null
  psql -h 127.0.0.1 -U postgres -d test -qc "CREATE DATABASE doorstep_bench" >/dev/null
  run PostgreSQL "postgres://postgres@127.0.0.1:5432/doorstep_bench"
fi
