#!/usr/bin/env bash
# A volunteer's daily list under load, with a province in PostgreSQL:
#   1. `doorstep demo --province --history` (4,351 teams, 1,000,000
#      households, a published plan per team over the last four weeks and
#      the next two), unless DAYLIST_REUSE=1 finds it already loaded;
#   2. VOLUNTEERS volunteers (default 2,000) with visits today are given an
#      account and a session (the same rows a sign-in writes: the token's
#      SHA-256);
#   3. `GET /api/v1/me/visits` (today's list, in route order, with phone
#      numbers) by wrk, each request signed in as the next volunteer in
#      turn, CONNECTIONS connections (default 64) for DURATION (default 30 s),
#      after a 5 s warm-up; wrk prints requests/s and the latency
#      distribution (p50, p75, p90, p99).
# Usage: bash crates/doorstep/bench/daylist.sh [TEAMS]   (default: the whole province)
#   DOORSTEP_BIN=path uses that binary instead of building one.
#   DAYLIST_KEEP=1 keeps the database doorstep_bench_daylist; DAYLIST_REUSE=1 reuses it.
# Needs: PostgreSQL at 127.0.0.1:5432 (trust auth), curl, wrk (Debian package wrk).
set -euo pipefail
cd "$(dirname "$0")/../../.."
teams="${1:-}"
volunteers="${VOLUNTEERS:-2000}"
connections="${CONNECTIONS:-64}"
duration="${DURATION:-30s}"
db=doorstep_bench_daylist
psql_admin() { psql -h 127.0.0.1 -U postgres -d test -qAt "$@"; }
psql_bench() { psql -h 127.0.0.1 -U postgres -d "$db" -qAt "$@"; }
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }

if [ -z "${DOORSTEP_BIN:-}" ]; then cargo build --release -q -p doorstep; fi
bin="${DOORSTEP_BIN:-$PWD/target/release/doorstep}"
work="$(mktemp -d)"
cleanup() {
  kill $(jobs -p) 2>/dev/null || true
  wait 2>/dev/null || true
  if [ -z "${DAYLIST_KEEP:-}" ] && [ -z "${DAYLIST_REUSE:-}" ]; then
    psql_admin -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
export DOORSTEP_ENV=production RUST_LOG=warn
export DOORSTEP__DATABASE__URL="postgres://postgres@127.0.0.1:5432/$db?sslmode=disable"

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), \
$(free -g | awk '/^Mem:/ {print $2}') GB; PostgreSQL $(psql_admin -c 'SHOW server_version'); $(date -u +%FT%TZ)"
echo "   load average (other work on the machine): $(cut -d' ' -f1-3 /proc/loadavg)"
if [ -n "${DAYLIST_REUSE:-}" ] && psql_admin -c "SELECT 1 FROM pg_database WHERE datname = '$db'" | grep -q 1; then
  echo "== reusing the province in $db"
else
  psql_admin -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1
  psql_admin -c "CREATE DATABASE $db"
  echo "== doorstep demo --province --history${teams:+ --teams $teams}"
  /usr/bin/time -f "   wall %e s, peak %M KB (the loader)" \
    "$bin" demo --province --history ${teams:+--teams "$teams"} >/dev/null 2>"$work/load.err" \
    || { cat "$work/load.err"; exit 1; }
  tail -n1 "$work/load.err"
fi
echo "   $(psql_bench -c "SELECT (SELECT COUNT(*) FROM teams) || ' teams, ' || \
  (SELECT COUNT(*) FROM households) || ' households, ' || (SELECT COUNT(*) FROM visits) || ' visits'")"

# Accounts and sessions for volunteers with visits today (in their team's
# zone), as many as asked; the tokens go to a file for wrk.
psql_bench <<SQL >/dev/null
DELETE FROM sessions WHERE user_id IN (SELECT id FROM users WHERE username LIKE 'bench.tv.%');
DELETE FROM users WHERE username LIKE 'bench.tv.%';
INSERT INTO users (username, display_name, role, team_id, area_id, member_id, email,
                   password_hash, active, created_at)
SELECT 'bench.tv.' || m.id, m.full_name, 'volunteer', m.team_id, NULL, m.id, NULL, '!', true, now()
FROM members m
WHERE m.active AND NOT EXISTS (SELECT 1 FROM users u WHERE u.member_id = m.id)
  AND EXISTS (SELECT 1 FROM visits v JOIN plans p ON p.id = v.plan_id JOIN teams t ON t.id = m.team_id
              WHERE v.member_id = m.id AND p.status = 'published'
                AND (v.start_at AT TIME ZONE t.timezone)::date = (now() AT TIME ZONE t.timezone)::date)
ORDER BY m.id LIMIT $volunteers;
INSERT INTO sessions (user_id, token_hash, created_at, expires_at)
SELECT id, encode(sha256(convert_to('bench-' || member_id, 'UTF8')), 'hex'), now(), now() + interval '1 day'
FROM users WHERE username LIKE 'bench.tv.%';
ANALYZE users; ANALYZE sessions;
SQL
psql_bench -c "SELECT 'bench-' || member_id FROM users WHERE username LIKE 'bench.tv.%' ORDER BY id" >"$work/tokens"
echo "== $(wc -l <"$work/tokens") volunteers with visits today, each signed in; \
$(psql_bench -c "SELECT ROUND(AVG(n), 1) FROM (SELECT COUNT(*) AS n FROM visits v JOIN users u ON u.member_id = v.member_id \
  JOIN plans p ON p.id = v.plan_id JOIN teams t ON t.id = u.team_id WHERE u.username LIKE 'bench.tv.%' AND p.status = 'published' \
  AND (v.start_at AT TIME ZONE t.timezone)::date = (now() AT TIME ZONE t.timezone)::date GROUP BY u.id) s") visits a list on average"

"$bin" serve --address 127.0.0.1:0 >"$work/serve.log" 2>&1 &
pid=$!
for _ in $(seq 1 150); do grep -q "listening on" "$work/serve.log" && break; sleep 0.2; done
base="$(grep -o 'http://[0-9.:]*' "$work/serve.log" | head -n1)"
first="$(head -n1 "$work/tokens")"
curl -s -o "$work/one.json" -w "== one list: HTTP %{http_code}, %{size_download} bytes, %{time_total} s\n" \
  -H "authorization: Bearer $first" "$base/api/v1/me/visits"

cat >"$work/daylist.lua" <<LUA
local tokens = {}
for line in io.lines("$work/tokens") do tokens[#tokens + 1] = line end
local counter = 0
thread_id = 0
threads = 0
setup = function(thread) thread:set("thread_id", threads); threads = threads + 1 end
request = function()
  counter = counter + 1
  local token = tokens[((counter * 7 + thread_id) % #tokens) + 1]
  return wrk.format("GET", "/api/v1/me/visits", { ["authorization"] = "Bearer " .. token })
end
done = function(summary, latency, requests)
  io.write(string.format("   non-2xx or errors: %d\n", summary.errors.status + summary.errors.connect
    + summary.errors.read + summary.errors.write + summary.errors.timeout))
  io.write(string.format("   p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms\n",
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000))
end
LUA
wrk -t2 -c"$connections" -d5s -s "$work/daylist.lua" "$base" >/dev/null
echo "== GET /api/v1/me/visits, $connections connections, $duration (load average before: $(cut -d' ' -f1-3 /proc/loadavg))"
wrk -t2 -c"$connections" -d"$duration" --latency -s "$work/daylist.lua" "$base" | sed 's/^/   /'
echo "   the server's peak memory: $(awk '/^VmHWM/ {print $2 " " $3}' "/proc/$pid/status")"
