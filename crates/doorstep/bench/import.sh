#!/usr/bin/env bash
# The village register import at size, on SQLite and on PostgreSQL:
#   1. a synthetic register of ROWS rows (default 1,000,000, about 300,000
#      households; import_register.py, the same bytes for the same ROWS),
#      the same with every 1,000th resident renamed, and the same with a bad
#      birth year on its last line;
#   2. for each database, a fresh one with the demo (the register goes to
#      its team 1, Hải Thanh), then `doorstep import households` timed four
#      times: the first import, the same file again (nothing changes), the
#      changed register (only the renamed residents are written) and the
#      file with the bad last row (refused, nothing written);
#   3. wall time, peak memory (/usr/bin/time) and rows per second.
# Usage: bash crates/doorstep/bench/import.sh [ROWS] [sqlite|postgres|both]
#   IMPORT_DB=name chooses the PostgreSQL database (default
#   doorstep_bench_import), dropped and created again, dropped at the end.
# Needs: python3; PostgreSQL at 127.0.0.1:5432 (trust auth) for postgres.
set -euo pipefail
cd "$(dirname "$0")/../../.."
rows="${1:-1000000}"
which="${2:-both}"
db="${IMPORT_DB:-doorstep_bench_import}"
psql_admin() { psql -h 127.0.0.1 -U postgres -d test -qAt "$@"; }

cargo build --release -q -p doorstep
bin="$PWD/target/release/doorstep"
work="$(mktemp -d)"
cleanup() {
  if [ "$which" != sqlite ]; then
    psql_admin -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
export DOORSTEP_ENV=production RUST_LOG=warn

echo "== machine: $(nproc) cores, $(free -g | awk '/^Mem:/ {print $2}') GB; $(date -u +%FT%TZ)"
echo "== registers of $rows rows"
generate="crates/doorstep/bench/import_register.py"
/usr/bin/time -f "   generated in %e s" python3 "$generate" "$rows" "$work/register.csv"
python3 "$generate" "$rows" "$work/changed.csv" --change 1000
python3 "$generate" "$rows" "$work/bad.csv" --bad-line "$((rows + 1))"
echo "   $(du -h "$work/register.csv" | cut -f1), $(python3 -c "
import csv, sys
with open(sys.argv[1], encoding='utf-8-sig', newline='') as f:
    print(len({r[0] for r in list(csv.reader(f))[1:]}), 'households')" "$work/register.csv")"

# One timed import: NAME FILE.
timed() {
  local name="$1" file="$2" status=0
  /usr/bin/time -f "%e %M" -o "$work/time" "$bin" import households "$file" --team 1 \
    >"$work/out" 2>"$work/err" || status=$?
  read -r wall peak < <(tail -n 1 "$work/time")
  python3 - "$name" "$rows" "$wall" "$peak" "$status" <<'PY'
import sys
name, rows, wall, peak, status = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
print(f"   {name}: wall {wall:.1f} s, peak {peak / 1024:.0f} MB, {rows / wall:,.0f} rows/s, exit {status}")
PY
  grep -v -e "^Đã đọc" -e "^Trong" -e "^Hộ mới" -e "^sổ hộ" "$work/out" "$work/err" | sed 's/^[^:]*:/      /' | head -n 4
  echo "      load average $(cut -d' ' -f1-3 /proc/loadavg)"
}

run() {
  local name="$1" url="$2"
  export DOORSTEP__DATABASE__URL="$url"
  echo "== $name"
  "$bin" demo >/dev/null
  timed "first import" "$work/register.csv"
  timed "the same file again" "$work/register.csv"
  timed "every 1,000th resident renamed" "$work/changed.csv"
  timed "a bad birth year on the last line" "$work/bad.csv"
}

if [ "$which" != postgres ]; then
  run "SQLite" "sqlite://$work/import.sqlite"
fi
if [ "$which" != sqlite ]; then
  psql_admin -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1
  psql_admin -c "CREATE DATABASE $db"
  run "PostgreSQL $(psql_admin -c 'SHOW server_version' | cut -d' ' -f1)" \
    "postgres://postgres@127.0.0.1:5432/$db?sslmode=disable"
fi
