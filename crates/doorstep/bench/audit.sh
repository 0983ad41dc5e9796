#!/usr/bin/env bash
# The officials' audit on a synthetic province, on PostgreSQL:
#   1. `doorstep demo --province --history` (4,351 teams, 1,000,000
#      households, a published plan per team with its outcomes), timed, with
#      the time it took to count the audit's kept counts (tallies) of every
#      team at its end;
#   2. the province's coverage, read by the province's official over HTTP
#      (curl, loopback), three times, and checked against plain counts of
#      the tables;
#   3. a page of its unmet households, at the start of the list and deep in
#      it, three times each;
#   4. the unmet households as CSV streamed to a file, with the server's
#      peak memory (VmHWM) before and after;
#   5. outcomes recorded on province teams (RECORDINGS of them, default 7):
#      each request's time, and what the kept counts' refresh inside it cost
#      the server (its statements' durations, from PostgreSQL's log, when
#      the log is readable).
# Every figure is printed with the load average it was measured under.
# Usage: bash crates/doorstep/bench/audit.sh [TEAMS]   (default: the whole province)
#   AUDIT_DB=name uses that database (default doorstep_bench_audit; it is
#   dropped and created again); AUDIT_KEEP=1 keeps it afterwards (for
#   EXPLAIN ANALYZE).
# Needs: PostgreSQL at 127.0.0.1:5432 (trust auth), curl, python3.
set -euo pipefail
cd "$(dirname "$0")/../../.."
teams="${1:-}"
db="${AUDIT_DB:-doorstep_bench_audit}"
recordings="${RECORDINGS:-7}"
psql_admin() { psql -h 127.0.0.1 -U postgres -d test -qAt "$@"; }
psql_bench() { psql -h 127.0.0.1 -U postgres -d "$db" -qAt "$@"; }
load() { cut -d' ' -f1-3 /proc/loadavg; }

cargo build --release -q -p doorstep
bin="$PWD/target/release/doorstep"
work="$(mktemp -d)"
cleanup() {
  kill $(jobs -p) 2>/dev/null || true
  wait 2>/dev/null || true
  psql_admin -c "ALTER DATABASE $db RESET log_min_duration_statement" >/dev/null 2>&1 || true
  if [ -z "${AUDIT_KEEP:-}" ]; then
    psql_admin -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
export DOORSTEP_ENV=production RUST_LOG=warn
export DOORSTEP__DATABASE__URL="postgres://postgres@127.0.0.1:5432/$db?sslmode=disable"

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), \
$(free -g | awk '/^Mem:/ {print $2}') GB; PostgreSQL $(psql_admin -c 'SHOW server_version'), \
shared_buffers $(psql_admin -c 'SHOW shared_buffers'), work_mem $(psql_admin -c 'SHOW work_mem'); $(date -u +%FT%TZ)"
echo "   load average (other work on the machine): $(load)"
psql_admin -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1
psql_admin -c "CREATE DATABASE $db"

echo "== doorstep demo --province --history${teams:+ --teams $teams} (load average before: $(load))"
/usr/bin/time -f "   wall %e s, peak %M KB (the loader)" -o "$work/load.time" \
  "$bin" demo --province --history ${teams:+--teams "$teams"} >"$work/load.out" 2>"$work/load.err" \
  || { cat "$work/load.err"; exit 1; }
sed 's/^/   /' "$work/load.out" | grep -v -e "Tài khoản" -e "canbo"
cat "$work/load.time"
echo "   the kept counts of every team, counted at the end of the load: \
$(psql_bench -c "SELECT (detail::json -> 'summary' ->> 'tallies_ms') FROM audit_log \
  WHERE action = 'load_province'") ms; $(psql_bench -c "SELECT (SELECT COUNT(*) FROM tallies) || ' counts, ' || \
  (SELECT COUNT(*) FROM tally_quarters) || ' quarter hours'") (load average after: $(load))"
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
timed() { # label url: three runs, each with the load average before it
  local label="$1" url="$2"
  echo "== GET $label, the official, 3 runs"
  for i in 1 2 3; do
    local before
    before="$(load)"
    curl -s -o "$work/answer.json" \
      -w "   run $i: HTTP %{http_code}, %{time_total} s, %{size_download} bytes (load average $before)\n" \
      "${auth[@]}" "$url"
  done
}

timed "/api/v1/areas/$province/coverage (the whole province, its $(psql_bench -c \
  "SELECT COUNT(*) FROM areas WHERE parent_id = $province") communes, 12 weeks)" \
  "$base/api/v1/areas/$province/coverage"
psql_bench -c "SELECT json_build_object('households', (SELECT COUNT(*) FROM households), \
  'residents', (SELECT COUNT(*) FROM residents), \
  'reached', (SELECT COUNT(DISTINCT household_id) FROM visits WHERE status = 'done'), \
  'met', (SELECT COUNT(DISTINCT v.household_id) FROM visits v JOIN outcomes o ON o.visit_id = v.id \
          WHERE o.result = 'done'), \
  'needs', (SELECT json_object_agg(status, n) FROM (SELECT status, COUNT(*) AS n FROM needs \
            GROUP BY status) s), \
  'visits_done', (SELECT COUNT(*) FROM visits WHERE status = 'done'))" >"$work/counted.json"
python3 - "$work/answer.json" "$work/counted.json" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
t = report["total"]
counted = json.load(open(sys.argv[2]))
print(f"   households {t['households']:,}, residents {t['residents']:,}, reached {t['reached']:,} "
      f"({t['percent_reached']} %), met {t['met']:,}")
needs = {s: sum(n[s] for n in t["needs"]) for s in ("open", "done", "not_applicable")}
mine = {"households": t["households"], "residents": t["residents"], "reached": t["reached"],
        "met": t["met"], "needs": needs}
theirs = dict(counted)
theirs["needs"] = {s: theirs["needs"].get(s, 0) for s in needs}
visits_done = counted.pop("visits_done")
theirs.pop("visits_done")
weeks = sum(w["visits_done"] for w in report["weeks"])
same = mine == theirs
print(f"   plain counts of the tables: {'the same' if same else 'DIFFERENT: ' + json.dumps(theirs)}; "
      f"visits done in the {len(report['weeks'])} weeks {weeks:,} of {visits_done:,} in all")
if not same:
    sys.exit(1)
PY

timed "/api/v1/areas/$province/unmet?limit=100 (the first page)" \
  "$base/api/v1/areas/$province/unmet?limit=100"
python3 - "$work/answer.json" <<'PY'
import collections, json, sys
page = json.load(open(sys.argv[1]))["households"]
print(f"   {len(page)} households; reasons: "
      + ", ".join(f"{r} {n}" for r, n in collections.Counter(h["reason"] for h in page).most_common()))
PY
deep="$(psql_bench -c "SELECT id FROM households ORDER BY id OFFSET (SELECT COUNT(*) * 9 / 10 FROM households) LIMIT 1")"
timed "/api/v1/areas/$province/unmet?limit=100&after=$deep (nine tenths into the list)" \
  "$base/api/v1/areas/$province/unmet?limit=100&after=$deep"

echo "== GET /api/v1/areas/$province/unmet?format=csv, streamed to a file (load average $(load))"
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

# Outcomes recorded by the volunteers of visits planned for today, each
# signed in (the rows a sign-in writes); every statement of the database is
# logged with its duration meanwhile, to find the refresh's.
echo "== POST /api/v1/visits/{id}/outcome, $recordings visits of today on as many teams"
psql_bench >"$work/visits" <<SQL
DELETE FROM sessions WHERE user_id IN (SELECT id FROM users WHERE username LIKE 'bench.audit.%');
DELETE FROM users WHERE username LIKE 'bench.audit.%';
CREATE TEMP TABLE picked AS
SELECT DISTINCT ON (p.team_id) v.id AS visit_id, v.member_id, m.team_id,
       CAST(v.residents::json ->> 0 AS INTEGER) AS resident_id
FROM visits v JOIN plans p ON p.id = v.plan_id JOIN members m ON m.id = v.member_id
JOIN teams t ON t.id = p.team_id
WHERE p.status = 'published' AND v.status = 'proposed' AND json_array_length(v.residents::json) > 0
  AND (v.start_at AT TIME ZONE t.timezone)::date = (now() AT TIME ZONE t.timezone)::date
ORDER BY p.team_id, v.id;
CREATE TEMP TABLE chosen AS SELECT * FROM picked ORDER BY md5(visit_id::text) LIMIT $recordings;
INSERT INTO users (username, display_name, role, team_id, area_id, member_id, email,
                   password_hash, active, created_at)
SELECT 'bench.audit.' || c.member_id, 'bench', 'volunteer', c.team_id, NULL, c.member_id, NULL, '!',
       true, now()
FROM chosen c WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.member_id = c.member_id);
INSERT INTO sessions (user_id, token_hash, created_at, expires_at)
SELECT u.id, encode(sha256(convert_to('bench-audit-' || u.member_id, 'UTF8')), 'hex'), now(),
       now() + interval '1 day'
FROM users u JOIN chosen c ON c.member_id = u.member_id;
SELECT visit_id || ' ' || member_id || ' ' || team_id || ' ' || resident_id FROM chosen;
SQL
pglog=/var/log/postgresql/postgresql-15-main.log
logged=""
if [ -r "$pglog" ]; then
  psql_admin -c "ALTER DATABASE $db SET log_min_duration_statement = 0"
  logged="$(stat -c %s "$pglog")"
fi
# A new session of the server's pool reads the setting: restart the server.
kill "$pid"; wait "$pid" 2>/dev/null || true
"$bin" serve --address 127.0.0.1:0 >"$work/serve.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do grep -q "listening on" "$work/serve.log" && break; sleep 0.2; done
base="$(grep -o 'http://[0-9.:]*' "$work/serve.log" | head -n1)"
: >"$work/recordings"
while read -r visit member team resident; do
  [ -n "$visit" ] || continue
  before="$(load)"
  curl -s -o "$work/recorded.json" -X POST -H "authorization: Bearer bench-audit-$member" \
    -H 'content-type: application/json' \
    -d "{\"idempotency_key\": \"bench-$visit\", \"outcomes\": [{\"resident_id\": $resident, \"result\": \"done\"}]}" \
    -w "%{http_code} %{time_total}" "$base/api/v1/visits/$visit/outcome" >"$work/one" || true
  echo "$visit $team $(cat "$work/one") $before" >>"$work/recordings"
done <"$work/visits"
sleep 1
if [ -n "$logged" ]; then
  tail -c +"$((logged + 1))" "$pglog" | grep -a "@$db " >"$work/statements" || true
  psql_admin -c "ALTER DATABASE $db RESET log_min_duration_statement"
else
  : >"$work/statements"
fi
python3 - "$work/recordings" "$work/statements" <<'PY'
import re, statistics, sys
recordings = [line.split() for line in open(sys.argv[1]) if line.strip()]
for visit, team, code, seconds, *load in recordings:
    print(f"   visit {visit} (team {team}): HTTP {code}, {float(seconds) * 1000:.1f} ms "
          f"(load average {' '.join(load)})")
times = [float(r[3]) * 1000 for r in recordings if r[2] == "200"]
if times:
    print(f"   the request: median {statistics.median(times):.1f} ms of {len(times)}")
# Each refresh: the teams' rows locked, the rows deleted and counted again.
refresh, current = [], None
pattern = re.compile(r"\[(\d+)\].*duration: ([0-9.]+) ms\s+(?:statement|execute [^:]*):\s*(.*)")
for line in open(sys.argv[2], errors="replace"):
    m = pattern.search(line)
    if not m:
        continue
    ms, sql = float(m.group(2)), m.group(3)
    if sql.startswith("SELECT id FROM teams WHERE id IN"):
        current = ms
        refresh.append(current)
    elif current is not None and ("tallies" in sql or "tally_quarters" in sql):
        refresh[-1] += ms
        if "INSERT INTO tally_quarters" in sql:
            current = None
if refresh:
    print(f"   the kept counts' refresh inside it (server time of its 5 statements): median "
          f"{statistics.median(refresh):.1f} ms, min {min(refresh):.1f}, max {max(refresh):.1f} "
          f"of {len(refresh)}")
else:
    print("   (PostgreSQL's log is not readable here: the refresh's share is not measured)")
PY
kill "$pid"
wait "$pid" 2>/dev/null || true
echo "== load average at the end: $(load)"
