#!/usr/bin/env bash
# Planning a whole synthetic province on PostgreSQL with `doorstep plan
# --area` (28 days, one run, teams in parallel, each saved in its own
# transaction): a quarter, a half and all of it, each in a database of its
# own loaded by `doorstep demo --province --teams N` (without history).
# For each: wall time and peak memory of the run (/usr/bin/time), teams/s,
# households, visits, unmet by reason, the cost per team (read, plan, save)
# and the load average before and after (the machine may be shared).
# Usage: bash crates/doorstep/bench/plan-area.sh [FRACTIONS]
#   FRACTIONS: any of quarter half all (default: all three, smallest first)
#   PLAN_WORKERS=K (default: planning.workers, one per core),
#   PLAN_TIME_LIMIT=S (default: planning.area_time_limit_s),
#   PLAN_DB_PREFIX=name (default doorstep_bench_plan; the databases are
#   dropped and created again, and dropped at the end unless PLAN_KEEP=1).
# Needs: PostgreSQL at 127.0.0.1:5432 (trust auth).
set -euo pipefail
cd "$(dirname "$0")/../../.."
fractions=("${@:-quarter half all}")
read -r -a fractions <<<"${fractions[*]}"
prefix="${PLAN_DB_PREFIX:-doorstep_bench_plan}"
psql_admin() { psql -h 127.0.0.1 -U postgres -d test -qAt "$@"; }
load() { cut -d' ' -f1-3 /proc/loadavg; }

cargo build --release -q -p doorstep
bin="$PWD/target/release/doorstep"
work="$(mktemp -d)"
made=()
cleanup() {
  if [ -z "${PLAN_KEEP:-}" ]; then
    for db in "${made[@]}"; do
      psql_admin -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
    done
  fi
  rm -rf "$work"
}
trap cleanup EXIT
export DOORSTEP_ENV=production RUST_LOG=warn

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), \
$(free -g | awk '/^Mem:/ {print $2}') GB; PostgreSQL $(psql_admin -c 'SHOW server_version'), \
shared_buffers $(psql_admin -c 'SHOW shared_buffers'); $(date -u +%FT%TZ)"

for fraction in "${fractions[@]}"; do
  case "$fraction" in
    quarter) teams=1088 ;;
    half) teams=2176 ;;
    all) teams=4351 ;;
    *) echo "unknown fraction $fraction: expected quarter, half or all" >&2; exit 2 ;;
  esac
  db="${prefix}_${fraction}"
  made+=("$db")
  export DOORSTEP__DATABASE__URL="postgres://postgres@127.0.0.1:5432/$db?sslmode=disable"
  psql_admin -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1
  psql_admin -c "CREATE DATABASE $db"
  echo
  echo "== $fraction: $teams teams — doorstep demo --province --teams $teams (load average before: $(load))"
  /usr/bin/time -f "   loaded: wall %e s, peak %M KB" -o "$work/load.time" \
    "$bin" demo --province --teams "$teams" >"$work/load.out" 2>"$work/load.err" \
    || { cat "$work/load.err"; exit 1; }
  cat "$work/load.time"
  area=$(sed -n 's/.*id \([0-9]*\)).*/\1/p' "$work/load.out" | head -n1)
  echo "   load average before planning: $(load)"
  /usr/bin/time -f "   wall %e s, peak %M KB (the planning process)" -o "$work/plan.time" \
    "$bin" plan --area "$area" --from 2026-12-07 --days 28 \
    ${PLAN_WORKERS:+--workers "$PLAN_WORKERS"} ${PLAN_TIME_LIMIT:+--time-limit "$PLAN_TIME_LIMIT"} \
    >"$work/plan.out" 2>"$work/plan.err" || { cat "$work/plan.out" "$work/plan.err"; exit 1; }
  echo "   load average after planning: $(load)"
  cat "$work/plan.time"
  sed 's/^/   /' "$work/plan.out"
  wall=$(sed -n 's/.*wall \([0-9.]*\) s.*/\1/p' "$work/plan.time")
  echo "   $(awk -v t="$teams" -v w="$wall" 'BEGIN { printf "%.2f teams/s, %.3f s of wall time per team", t / w, w / t }')"
  psql -h 127.0.0.1 -U postgres -d "$db" -qAt -F ' ' -c \
    "SELECT 'objective / upper bound: ' || SUM(p.objective) || ' / ' || SUM(p.upper_bound) || ' (' || ROUND(100.0 * SUM(p.objective) / NULLIF(SUM(p.upper_bound), 0), 2) || ' %)'
       FROM plan_jobs j JOIN plans p ON p.id = j.plan_id" | sed 's/^/   /'
  echo "   database size: $(psql_admin -c "SELECT pg_size_pretty(pg_database_size('$db'))")"
done
