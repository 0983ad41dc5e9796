#!/usr/bin/env bash
# Fuzzes doorstep's HTTP API with schemathesis, as each demo user and with no token
# (docs/reliability.md, "API robustness").
#
#   scripts/api-fuzz.sh [BINARY] [EXAMPLES]
#
# BINARY    a built doorstep binary (default target/debug/doorstep)
# EXAMPLES  max examples per operation (default $API_FUZZ_EXAMPLES or 10: a CI smoke run)
#
# Environment:
#   API_FUZZ_EXAMPLES  examples per operation when not given as $2 (default 10)
#   API_FUZZ_SEED      hypothesis seed (default 42)
#   API_FUZZ_USERS     users to run, space-separated; "-" = no token
#                      (default: "totruong.haithanh tinhnguyen.haithanh canbo.thanhhoa -")
#   API_FUZZ_TIMEOUT   seconds one user's schemathesis run may take (default 900)
#   API_FUZZ_OUT       folder for logs and reports (default: a new /tmp/api-fuzz.XXXXXX)
#   API_FUZZ_VENV      virtualenv to install schemathesis in when it is missing
#                      (default ${XDG_CACHE_HOME:-~/.cache}/doorstep-api-fuzz/venv)
#
# Each user gets a fresh server (temporary SQLite database + --demo) on a free loopback
# port, so one user's writes never change another's run. Only 127.0.0.1 is contacted.
# Prints one summary line per user and exits 1 on any failure (5xx, an answer that does
# not conform to the OpenAPI document, a dropped connection, a panic in the server log).
set -uo pipefail

ST_VERSION=4.32.5
BIN=${1:-target/debug/doorstep}
N=${2:-${API_FUZZ_EXAMPLES:-10}}
SEED=${API_FUZZ_SEED:-42}
USERS=${API_FUZZ_USERS:-"totruong.haithanh tinhnguyen.haithanh canbo.thanhhoa -"}
RUN_TIMEOUT=${API_FUZZ_TIMEOUT:-900}
PASSWORD=doorstep-demo
CHECKS=not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance

[ -x "$BIN" ] || { echo "api-fuzz: no executable binary at $BIN" >&2; exit 2; }
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
OUT=${API_FUZZ_OUT:-$(mktemp -d /tmp/api-fuzz.XXXXXX)}
mkdir -p "$OUT"; OUT=$(cd "$OUT" && pwd)
WORK=$(mktemp -d /tmp/api-fuzz-db.XXXXXX)
SERVER_PID=

stop_server() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null
    for _ in $(seq 1 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$SERVER_PID" 2>/dev/null
    wait "$SERVER_PID" 2>/dev/null
  fi
  SERVER_PID=
}
trap 'stop_server; rm -rf "$WORK"' EXIT
trap 'exit 130' INT TERM

# --- schemathesis, pinned -------------------------------------------------------------
ST=
if command -v schemathesis >/dev/null 2>&1 && schemathesis --version 2>/dev/null | grep -q "version $ST_VERSION\$"; then
  ST=$(command -v schemathesis); PY=python3
else
  VENV=${API_FUZZ_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/doorstep-api-fuzz/venv}
  if ! "$VENV/bin/schemathesis" --version 2>/dev/null | grep -q "version $ST_VERSION\$"; then
    echo "api-fuzz: installing schemathesis==$ST_VERSION into $VENV"
    python3 -m venv "$VENV" && "$VENV/bin/pip" install -q "schemathesis==$ST_VERSION" \
      || { echo "api-fuzz: could not install schemathesis" >&2; exit 2; }
  fi
  ST=$VENV/bin/schemathesis; PY=$VENV/bin/python
fi

# --- hooks: keep planner requests short (values the API accepts are cut down; values it
# must refuse are sent as generated) ---------------------------------------------------
cat > "$WORK/hooks.py" <<'EOF'
import schemathesis

PLANNING = {"create", "replan", "replan_calendar", "start"}

@schemathesis.hook
def before_call(context, case, kwargs):
    op = getattr(case.operation.definition, "raw", {}) or {}
    if op.get("operationId") not in PLANNING or not isinstance(case.body, dict):
        return
    t = case.body.get("time_limit_s")
    if isinstance(t, (int, float)) and not isinstance(t, bool) and 0.5 < t <= 120:
        case.body["time_limit_s"] = 0.5
    it = case.body.get("iterations")
    if isinstance(it, int) and not isinstance(it, bool) and 2000 < it <= 5_000_000:
        case.body["iterations"] = 2000
EOF

# --- failures of a run, grouped, with a curl command each -----------------------------
cat > "$WORK/failures.py" <<'EOF'
import base64, json, shlex, sys
def text(x):
    if isinstance(x, dict) and "$base64" in x:
        return base64.b64decode(x["$base64"]).decode("utf-8", "replace")
    return x if isinstance(x, str) or x is None else json.dumps(x)
def curl(req):
    p = ["curl", "-sS", "-i", "-X", req["method"]]
    for k, vs in (req.get("headers") or {}).items():
        if k.lower() in ("user-agent", "accept-encoding", "accept", "connection", "content-length", "x-schemathesis-testcaseid"):
            continue
        for v in vs:
            p += ["-H", "Authorization: Bearer $TOKEN" if k.lower() == "authorization" else f"{k}: {v}"]
    b = text(req.get("body"))
    if b is not None:
        p += ["--data-binary", b]
    p.append(req["uri"])
    return " ".join('"' + a + '"' if "$TOKEN" in a else shlex.quote(a) for a in p)
groups, errors = {}, []
for line in open(sys.argv[1]):
    ev = json.loads(line)
    if "NonFatalError" in ev:
        errors.append(ev["NonFatalError"]); continue
    rec = ev.get("ScenarioFinished", {}).get("recorder")
    if not rec:
        continue
    for cid, checks in (rec.get("checks") or {}).items():
        for c in checks:
            if c["status"] != "failure":
                continue
            f = c["failure_info"]["failure"]
            it = rec["interactions"].get(cid) or {}
            resp = it.get("response") or {}
            msg = f.get("message", "").split("\n")[0]
            if f["code"] == "ST103":
                msg = f"status {resp.get('status_code')} not documented"
            g = groups.setdefault((f["code"], f["title"], f["operation"], msg),
                                  {"n": 0, "req": it.get("request"), "resp": resp})
            g["n"] += 1
for (code, title, op, msg), g in sorted(groups.items()):
    print(f"{code} {title} | {op} | {msg} | x{g['n']}")
    if g["req"]:
        print("    " + curl(g["req"]))
        body = (text(g["resp"].get("content")) or "")[:300].replace("\n", " ")
        print(f"    -> {g['resp'].get('status_code')} {body}")
for e in errors:
    print(f"NETWORK ERROR | {e.get('label')} | {e['value'].get('type')}: {e['value'].get('message')}")
EOF

start_server() {  # $1: label; sets BASE
  local db=$WORK/$1; rm -rf "$db"; mkdir -p "$db"
  ( cd "$db" && exec env DOORSTEP__DATABASE__URL="sqlite://$db/doorstep.sqlite" \
      DOORSTEP__MAIL__FILE_DIR="$db/mail" DOORSTEP__MAIL__SMTP_URL= \
      DOORSTEP__PLANNING__THREADS=1 DOORSTEP__PLANNING__WORKERS=1 \
      DOORSTEP__PLANNING__TIME_LIMIT_S=0.5 DOORSTEP__PLANNING__DEMO_TIME_LIMIT_S=0.5 \
      "$BIN" serve --demo --address 127.0.0.1:0 ) > "$OUT/server-$1.log" 2>&1 &
  SERVER_PID=$!
  BASE=
  for _ in $(seq 1 300); do
    kill -0 "$SERVER_PID" 2>/dev/null || { echo "api-fuzz: server exited, see $OUT/server-$1.log" >&2; return 1; }
    BASE=$(grep -o 'listening on http://127\.0\.0\.1:[0-9]*' "$OUT/server-$1.log" | head -1 | sed 's/listening on //')
    if [ -n "$BASE" ] && curl -sf -m 5 "$BASE/healthz" >/dev/null; then return 0; fi
    sleep 0.5
  done
  echo "api-fuzz: server not up after 150 s, see $OUT/server-$1.log" >&2; return 1
}

sign_in() {  # $1: username -> token on stdout
  curl -sf -m 10 -X POST "$BASE/api/v1/auth/login" -H 'Content-Type: application/json' \
    -d "{\"username\":\"$1\",\"password\":\"$PASSWORD\"}" \
  | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["token"])'
}

echo "api-fuzz: $BIN, schemathesis $ST_VERSION, $N examples/operation, seed $SEED, reports in $OUT"
STATUS=0; T0=$(date +%s); SUMMARY=()
for user in $USERS; do
  label=${user//[^a-zA-Z0-9]/_}; [ "$user" = "-" ] && label=anonymous
  start_server "$label" || { STATUS=1; SUMMARY+=("$label: server did not start"); stop_server; continue; }
  args=()
  if [ "$user" != "-" ]; then
    token=$(sign_in "$user") || { STATUS=1; SUMMARY+=("$label: sign-in failed"); stop_server; continue; }
    args=(-H "Authorization: Bearer $token" --exclude-operation-id logout)  # logout would end the session
  fi
  rep=$OUT/report-$label; rm -rf "$rep"
  t1=$(date +%s)
  SCHEMATHESIS_HOOKS=$WORK/hooks.py timeout -k 10 "$RUN_TIMEOUT" "$ST" run "$BASE/api/v1/openapi.json" --url "$BASE" \
    "${args[@]}" -c "$CHECKS" -n "$N" --seed "$SEED" -w 1 --generation-database none \
    --continue-on-failure --request-timeout 30 --no-color \
    --report json,ndjson,junit --report-dir "$rep" > "$OUT/schemathesis-$label.log" 2>&1
  rc=$?; secs=$(( $(date +%s) - t1 ))
  panics=$(grep -c "panicked at" "$OUT/server-$label.log")
  stop_server
  json=$(ls "$rep"/json-*.json 2>/dev/null | head -1)
  if [ -z "$json" ]; then
    STATUS=1; SUMMARY+=("$label: schemathesis gave no report (exit $rc), see $OUT/schemathesis-$label.log"); continue
  fi
  line=$("$PY" - "$json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
t = d["test_cases"]; o = d["operations"]
fail = sum(f["count"] for f in d["failures"])
by = ", ".join(f"{f['code']} {f['title']}: {f['count']}" for f in d["failures"])
print(f"{o['tested']}/{o['total']} operations, {t['generated']} examples, {t['unique_failures']} failures, "
      f"{t['errored']} errored" + (f" ({by})" if by else ""))
EOF
)
  "$PY" "$WORK/failures.py" "$rep"/ndjson-*.ndjson > "$OUT/failures-$label.txt"
  # dropped connections and other errors: schemathesis prints their curl commands
  sed -n '/^=* ERRORS =*$/,/^\(=* FAILURES =*\|Need more help?\)$/p' "$OUT/schemathesis-$label.log" \
    | grep -v '^\(=* FAILURES =*\|Need more help?\)$' | sed "s#'Authorization: \[Filtered\]'#\"Authorization: Bearer \$TOKEN\"#" \
    >> "$OUT/failures-$label.txt"
  if [ "$panics" -gt 0 ]; then
    { echo "SERVER PANICS ($panics):"; grep -A1 "panicked at" "$OUT/server-$label.log" | grep -v '^--' \
        | sed 's/ ([0-9]*)//' | paste - - | sort | uniq -c; } >> "$OUT/failures-$label.txt"
  fi
  [ "$rc" -ne 0 ] || [ "$panics" -gt 0 ] && STATUS=1
  SUMMARY+=("$label: $line, $panics server panics, ${secs}s, exit $rc")
done

echo
echo "api-fuzz summary (seed $SEED, $N examples/operation, $(( $(date +%s) - T0 ))s):"
for s in "${SUMMARY[@]}"; do echo "  $s"; done
echo "failures with curl reproductions: $OUT/failures-*.txt (TOKEN: sign in as that user)"
exit $STATUS
