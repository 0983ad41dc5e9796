#!/usr/bin/env python3
"""Load-and-soak test of doorstep.

Starts `doorstep serve --demo` from a given binary on a free loopback port with a fresh SQLite
database, signs in the demo's leader, volunteer and official (several sessions each), sends an
open-loop mix of their requests at a target rate for a set duration, records every answer's status
and latency, samples the server's RSS every 10 s, prints per-minute and final figures, stops the
server, and exits non-zero on any error or when the achieved rate is under 95 % of the target.

Latency is measured from the request's *scheduled* send time (open loop: no coordinated omission),
so it includes any wait for a free connection in the client; the time from the actual send is
reported too ("service").

    python3 scripts/load.py --binary target/release/doorstep --rate 500 --duration 1800

With `--each-kind N` it sends, instead, N requests of each kind one after the other (closed loop,
nothing else running) and prints for each kind its mean latency, the server's CPU time per request
and the answer's size: what each kind costs the server.

(it needs aiohttp: `python3 -m venv ~/.cache/doorstep-load/venv` and
`~/.cache/doorstep-load/venv/bin/pip install aiohttp`, then run it with that venv's python).
"""
from __future__ import annotations

import argparse
import array
import asyncio
import bisect
import datetime as dt
import json
import math
import os
import random
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections import deque
from zoneinfo import ZoneInfo

import aiohttp

try:
    import uvloop
except ImportError:  # pragma: no cover
    uvloop = None

PASSWORD = "doorstep-demo"
LEADER, VOLUNTEER, OFFICIAL = "totruong.haithanh", "tinhnguyen.haithanh", "canbo.thanhhoa"

# kind -> (weight in %, role, description). Writes: outcome 2 %, blackouts 0.5 % + 0.5 %.
MIX = [
    # volunteers: 47 %
    ("vol_day_api", 27.0, "volunteer", "GET /api/v1/me/visits?date=D"),
    ("vol_day_page", 14.0, "volunteer", "GET /lich-cua-toi?ngay=D (page)"),
    ("vol_households", 3.0, "volunteer", "GET /api/v1/teams/T/households (their visits')"),
    ("vol_outcome", 2.0, "volunteer", "POST /api/v1/visits/V/outcome (new key; 10 % resend same key)"),
    ("vol_me", 1.0, "volunteer", "GET /api/v1/me"),
    # leaders: 30 %
    ("lead_week_page", 7.0, "leader", "GET /teams/T/lich?tu=MONDAY (page)"),
    ("lead_households", 6.0, "leader", "GET /api/v1/teams/T/households?page=P&per_page=50"),
    ("lead_households_page", 2.0, "leader", "GET /teams/T?page=P (page)"),
    ("lead_member_day", 4.0, "leader", "GET /api/v1/members/M/visits?date=D"),
    ("lead_plans", 3.0, "leader", "GET /api/v1/teams/T/plans"),
    ("lead_plan", 3.0, "leader", "GET /api/v1/plans/P"),
    ("lead_blackouts", 2.0, "leader", "GET /api/v1/teams/T/blackouts"),
    ("lead_blackout_add", 0.5, "leader", "POST /api/v1/teams/T/blackouts"),
    ("lead_blackout_del", 0.5, "leader", "DELETE /api/v1/teams/T/blackouts/B"),
    ("lead_team", 2.0, "leader", "GET /api/v1/teams/T"),
    # officials: 23 %
    ("off_coverage", 7.0, "official", "GET /api/v1/areas/A/coverage"),
    ("off_unmet", 6.0, "official", "GET /api/v1/areas/A/unmet?limit=100"),
    ("off_area_page", 4.0, "official", "GET /vung/A (page)"),
    ("off_unmet_page", 3.0, "official", "GET /vung/A/chua-tham (page)"),
    ("off_teams", 3.0, "official", "GET /api/v1/teams"),
]
KINDS = [k for k, *_ in MIX]
KIND_INDEX = {k: i for i, k in enumerate(KINDS)}
WEIGHTS = [w for _, w, *_ in MIX]


def log(*a):
    print(*a, flush=True)


def pct(sorted_vals, p):
    if not sorted_vals:
        return float("nan")
    k = max(0, min(len(sorted_vals) - 1, math.ceil(p / 100.0 * len(sorted_vals)) - 1))
    return sorted_vals[k]


def fmt_ms(v):
    return "   n/a" if v != v else f"{v * 1000:7.1f}"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def read_proc_status(pid, key):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def proc_cpu_seconds(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            parts = f.read().rsplit(")", 1)[1].split()
        return (int(parts[11]) + int(parts[12])) / os.sysconf("SC_CLK_TCK")
    except OSError:
        return None


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def uptime_line():
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True, timeout=5).stdout.strip()
    except Exception:
        return "load average: " + loadavg()


# ---------------------------------------------------------------------------------------------
# server


class Server:
    def __init__(self, binary, workdir, startup_timeout, database=None):
        self.database = database
        self.binary = binary
        self.workdir = workdir
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.proc = None
        self.startup_timeout = startup_timeout
        self.log_path = os.path.join(workdir, "server.log")

    def start(self):
        db = os.path.join(self.workdir, "doorstep.sqlite")
        if os.path.exists(db) and not self.database:
            raise SystemExit(f"{db} exists: the test needs a fresh database")
        if self.database:
            # start from a copy of an existing database (e.g. one left by a soak)
            import shutil
            for suffix in ("", "-wal", "-shm"):
                if os.path.exists(self.database + suffix):
                    shutil.copyfile(self.database + suffix, db + suffix)
            log(f"# database: a copy of {self.database}")
        env = dict(os.environ)
        env["DOORSTEP__DATABASE__URL"] = "sqlite://" + db
        env.pop("DATABASE_URL", None)
        self.logf = open(self.log_path, "wb")
        cmd = [self.binary, "serve", "--demo", "--address", f"127.0.0.1:{self.port}"]
        log(f"# server: {' '.join(cmd)}  (cwd {self.workdir}, DOORSTEP__DATABASE__URL=sqlite://{db})")
        t = time.monotonic()
        self.proc = subprocess.Popen(cmd, cwd=self.workdir, env=env, stdout=self.logf,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     start_new_session=True)
        deadline = t + self.startup_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"server exited with {self.proc.returncode}; see {self.log_path}")
            try:
                with urllib.request.urlopen(self.base + "/healthz", timeout=2) as r:
                    if r.status == 200:
                        log(f"# server pid {self.proc.pid} healthy at {self.base} after "
                            f"{time.monotonic() - t:.1f} s")
                        return
            except Exception:
                pass
            time.sleep(0.5)
        raise SystemExit(f"server not healthy within {self.startup_timeout} s; see {self.log_path}")

    def stop(self):
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
        log(f"# server pid {self.proc.pid} stopped (exit {self.proc.returncode})")


# ---------------------------------------------------------------------------------------------
# set-up: sign in, find the team, areas, plans, dates, visits to record outcomes at


def http_json(base, method, path, token=None, body=None, timeout=60):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, method=method)
    if token:
        req.add_header("Authorization", "Bearer " + token)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req, timeout=timeout) as r:
        raw = r.read()
        return r.status, (json.loads(raw) if raw else None)


class Ctx:
    pass


def prepare(base, sessions, rng):
    c = Ctx()
    c.tokens = {"leader": [], "volunteer": [], "official": []}
    c.users = {}
    for role, user in (("leader", LEADER), ("volunteer", VOLUNTEER), ("official", OFFICIAL)):
        for _ in range(sessions):
            _, j = http_json(base, "POST", "/api/v1/auth/login",
                             body={"username": user, "password": PASSWORD})
            c.tokens[role].append(j["token"])
            c.users[role] = j["user"]
    lead, vol, off = c.users["leader"], c.users["volunteer"], c.users["official"]
    c.team = lead["team_id"]
    c.vol_member = vol["member_id"]
    c.area = off["area_id"]
    L, V, O = c.tokens["leader"][0], c.tokens["volunteer"][0], c.tokens["official"][0]
    _, team = http_json(base, "GET", f"/api/v1/teams/{c.team}", L)
    c.tz = ZoneInfo(team.get("timezone") or "Asia/Ho_Chi_Minh")
    c.today = dt.datetime.now(c.tz).date()
    _, members = http_json(base, "GET", f"/api/v1/teams/{c.team}/members", L)
    c.members = [m["id"] for m in members]
    _, cov = http_json(base, "GET", f"/api/v1/areas/{c.area}/coverage", O)
    c.areas = [c.area] + [ch["area"]["id"] for ch in cov.get("children", [])]
    _, hh = http_json(base, "GET", f"/api/v1/teams/{c.team}/households?page=1&per_page=50", L)
    total = hh.get("total") or hh.get("total_households") or 300
    c.household_pages = max(1, math.ceil(total / 50))

    def vol_days():
        days = {}
        for i in range(28):
            d = c.today + dt.timedelta(days=i)
            _, j = http_json(base, "GET", f"/api/v1/me/visits?date={d}", V)
            days[d] = j["visits"]
        return days

    days = vol_days()
    if not any(days.values()):
        log("# the volunteer's calendar is empty: planning and publishing the team's 28 days")
        _, plan = http_json(base, "POST", f"/api/v1/teams/{c.team}/plans", L,
                            {"start": str(c.today), "days": 28, "time_limit_s": 3}, timeout=300)
        http_json(base, "POST", f"/api/v1/plans/{plan['id']}/publish", L, {}, timeout=120)
        days = vol_days()
    c.vol_visit_days = sum(1 for v in days.values() if v)
    c.vol_visits_28 = sum(len(v) for v in days.values())
    _, plans = http_json(base, "GET", f"/api/v1/teams/{c.team}/plans", L)
    plans = plans if isinstance(plans, list) else plans.get("plans", plans.get("items", []))
    c.plans = [p["id"] for p in plans] or [1]
    # outcome targets: today's published visits (a day not come is refused)
    c.outcome_targets = []  # (visit_id, role, [(resident_id, result)])
    for v in days.get(c.today, []):
        c.outcome_targets.append((v["id"], "volunteer", [r["id"] for r in v["residents"]]))
    if not c.outcome_targets:
        for m in c.members:
            _, j = http_json(base, "GET", f"/api/v1/members/{m}/visits?date={c.today}", L)
            for v in j["visits"]:
                c.outcome_targets.append((v["id"], "leader", [r["id"] for r in v["residents"]]))
    c.monday = c.today - dt.timedelta(days=c.today.weekday())
    return c


# ---------------------------------------------------------------------------------------------
# the load


class Stats:
    def __init__(self, n_kinds):
        self.kind = array.array("B")
        self.status = array.array("h")
        self.lat = array.array("f")  # from the scheduled time, s
        self.svc = array.array("f")  # from the actual send, s
        self.tsched = array.array("f")  # scheduled offset from start, s
        self.tdone = array.array("f")
        self.errors = []  # samples
        self.error_count = 0
        self.error_by_kind = [0] * n_kinds
        self.error_kinds = {}
        self.sent = 0
        self.lag = array.array("f")  # actual send - scheduled, s


class Load:
    def __init__(self, args, base, ctx, rng):
        self.args, self.base, self.c, self.rng = args, base, ctx, rng
        self.stats = Stats(len(KINDS))
        self.blackouts = deque()
        self.last_outcome = None
        self.inflight = 0
        self.max_inflight = 0

    def pick_date(self, spread=28):
        r = self.rng.random()
        if r < 0.5:
            d = 0
        elif r < 0.7:
            d = 1
        else:
            d = self.rng.randrange(spread)
        return self.c.today + dt.timedelta(days=d)

    def build(self, kind):
        c, rng = self.c, self.rng
        role = MIX[KIND_INDEX[kind]][2]
        method, path, body = "GET", None, None
        if kind == "vol_day_api":
            path = f"/api/v1/me/visits?date={self.pick_date()}"
        elif kind == "vol_day_page":
            path = f"/lich-cua-toi?ngay={self.pick_date()}"
        elif kind == "vol_households":
            path = f"/api/v1/teams/{c.team}/households"
        elif kind == "vol_outcome":
            if not c.outcome_targets:
                path = f"/api/v1/me/visits?date={c.today}"
            elif self.last_outcome is not None and rng.random() < 0.1:
                method, path, body, role = self.last_outcome  # a resend: same key, same body
            else:
                vid, role, residents = rng.choice(c.outcome_targets)
                # one fixed result per resident, so a later record never contradicts the first
                lines = [{"resident_id": r, "result": "done" if r % 3 == 0 else "not_home"}
                         for r in residents]
                body = {"idempotency_key": str(uuid.uuid4()), "outcomes": lines,
                        "note": "load test"}
                method, path = "POST", f"/api/v1/visits/{vid}/outcome"
                self.last_outcome = (method, path, body, role)
        elif kind == "vol_me":
            path = "/api/v1/me"
        elif kind == "lead_week_page":
            path = f"/teams/{c.team}/lich?tu={c.monday + dt.timedelta(weeks=rng.randrange(4))}"
        elif kind == "lead_households":
            path = (f"/api/v1/teams/{c.team}/households?page="
                    f"{rng.randrange(c.household_pages) + 1}&per_page=50")
        elif kind == "lead_households_page":
            path = f"/teams/{c.team}?page={rng.randrange(c.household_pages) + 1}"
        elif kind == "lead_member_day":
            path = f"/api/v1/members/{rng.choice(c.members)}/visits?date={self.pick_date()}"
        elif kind == "lead_plans":
            path = f"/api/v1/teams/{c.team}/plans"
        elif kind == "lead_plan":
            path = f"/api/v1/plans/{rng.choice(c.plans)}"
        elif kind == "lead_blackouts":
            path = f"/api/v1/teams/{c.team}/blackouts"
        elif kind == "lead_blackout_add" or (kind == "lead_blackout_del" and not self.blackouts):
            day = dt.date(2027, 6, 1) + dt.timedelta(days=rng.randrange(60))
            body = {"label": "kiểm tra tải / load test",
                    "between": [f"{day}T12:00", f"{day}T13:00"], "village_id": None}
            method, path = "POST", f"/api/v1/teams/{c.team}/blackouts"
            kind = "lead_blackout_add"
        elif kind == "lead_blackout_del":
            method, path = "DELETE", f"/api/v1/teams/{c.team}/blackouts/{self.blackouts.popleft()}"
        elif kind == "lead_team":
            path = f"/api/v1/teams/{c.team}"
        elif kind == "off_coverage":
            path = f"/api/v1/areas/{rng.choice(c.areas)}/coverage"
        elif kind == "off_unmet":
            path = f"/api/v1/areas/{rng.choice(c.areas)}/unmet?limit=100"
        elif kind == "off_area_page":
            path = f"/vung/{rng.choice(c.areas)}"
        elif kind == "off_unmet_page":
            path = f"/vung/{rng.choice(c.areas)}/chua-tham"
        elif kind == "off_teams":
            path = "/api/v1/teams"
        token = rng.choice(c.tokens[role])
        return kind, method, path, body, token

    async def one(self, session, kind, t_sched_abs, t0):
        st = self.stats
        kind, method, path, body, token = self.build(kind)
        loop = asyncio.get_running_loop()
        t_send = loop.time()
        st.lag.append(t_send - t_sched_abs)
        headers = {"Authorization": "Bearer " + token, "Accept-Language": "vi"}
        status, detail = 0, None
        self.inflight += 1
        self.max_inflight = max(self.max_inflight, self.inflight)
        try:
            async with session.request(method, self.base + path, json=body, headers=headers,
                                       allow_redirects=False) as r:
                raw = await r.read()
                status = r.status
                if status >= 400:
                    detail = raw[:400].decode("utf-8", "replace")
                elif kind == "lead_blackout_add" and status == 201:
                    try:
                        self.blackouts.append(json.loads(raw)["id"])
                    except Exception:
                        pass
        except asyncio.TimeoutError:
            status, detail = -1, "timeout"
        except aiohttp.ClientError as e:
            status, detail = -2, f"{type(e).__name__}: {e}"
        except OSError as e:
            status, detail = -2, f"{type(e).__name__}: {e}"
        finally:
            self.inflight -= 1
        t_end = loop.time()
        ki = KIND_INDEX[kind]
        st.kind.append(ki)
        st.status.append(status)
        st.lat.append(t_end - t_sched_abs)
        st.svc.append(t_end - t_send)
        st.tsched.append(t_sched_abs - t0)
        st.tdone.append(t_end - t0)
        if not (200 <= status < 400):
            st.error_count += 1
            st.error_by_kind[ki] += 1
            key = (kind, status)
            st.error_kinds[key] = st.error_kinds.get(key, 0) + 1
            if len(st.errors) < 50:
                st.errors.append((round(t_sched_abs - t0, 3), kind, method, path,
                                  json.dumps(body, ensure_ascii=False) if body else "", status,
                                  detail))

    async def run(self, server_pid):
        a = self.args
        loop = asyncio.get_running_loop()
        conn = aiohttp.TCPConnector(limit=a.connections, limit_per_host=a.connections,
                                    force_close=False, enable_cleanup_closed=True)
        timeout = aiohttp.ClientTimeout(total=a.timeout)
        samples = []  # (t, rss_kb, server_cpu_s, loadavg, client_cpu_s, inflight)
        tasks = set()
        async with aiohttp.ClientSession(connector=conn, timeout=timeout,
                                         cookie_jar=aiohttp.DummyCookieJar()) as session:
            t0 = loop.time()
            wall0 = time.time()
            self.t0 = t0
            duration, rate = a.duration, a.rate
            kinds_seq = self.rng.choices(KINDS, weights=WEIGHTS, k=int(duration * rate) + 10)

            def sample():
                ru = resource.getrusage(resource.RUSAGE_SELF)
                samples.append((loop.time() - t0, read_proc_status(server_pid, "VmRSS"),
                                proc_cpu_seconds(server_pid), loadavg(), ru.ru_utime + ru.ru_stime,
                                self.inflight))

            sample()
            next_sample = 10.0
            next_minute = 60.0
            minute_idx = 0
            reported = [0]  # index into stats arrays already reported per minute (by completion)
            sent_at_minute = [0]
            i = 0
            overflow = 0
            log(f"# start {dt.datetime.fromtimestamp(wall0, dt.timezone.utc):%Y-%m-%dT%H:%M:%SZ}: "
                f"{rate} req/s for {duration} s, {a.connections} connections, timeout {a.timeout} s")
            log("# minute |   sent  answered  rate/s | errors | p50 ms  p95 ms  p99 ms | "
                "send-lag p99 ms | in-flight | RSS MB | load avg")
            while True:
                now = loop.time() - t0
                if now >= duration:
                    break
                due = min(int(now * rate) + 1, int(duration * rate))  # requests i with i/rate <= now
                while i < due:
                    if len(tasks) >= a.max_inflight:
                        overflow += 1
                        st = self.stats
                        st.error_count += 1
                        key = ("client_overflow", -3)
                        st.error_kinds[key] = st.error_kinds.get(key, 0) + 1
                        i += 1
                        continue
                    ts = t0 + i / rate
                    t = loop.create_task(self.one(session, kinds_seq[i], ts, t0))
                    tasks.add(t)
                    t.add_done_callback(tasks.discard)
                    i += 1
                self.stats.sent = i
                if now >= next_sample:
                    sample()
                    next_sample += 10.0
                if now >= next_minute:
                    minute_idx += 1
                    self.report_minute(minute_idx, reported, sent_at_minute, i, samples)
                    next_minute += 60.0
                await asyncio.sleep(0.002)
            self.stats.sent = i
            self.send_end = loop.time() - t0
            # drain, bounded by the request timeout
            if tasks:
                await asyncio.wait(list(tasks), timeout=a.timeout + 5)
            sample()
            if len(self.stats.kind) > reported[0]:
                minute_idx += 1
                self.report_minute(minute_idx, reported, sent_at_minute, i, samples, partial=True)
            self.drain_end = loop.time() - t0
            self.overflow = overflow
            self.samples = samples
            self.wall0 = wall0

    def report_minute(self, m, reported, sent_at, sent_now, samples, partial=False):
        st = self.stats
        lo, hi = reported[0], len(st.kind)
        lats = sorted(st.lat[lo:hi])
        errs = sum(1 for s in st.status[lo:hi] if not (200 <= s < 400))
        ok = (hi - lo) - errs
        lags = sorted(st.lag[lo:hi])
        rss = samples[-1][1] / 1024 if samples and samples[-1][1] else float("nan")
        span = 60.0
        log(f"  {m:5d}{'*' if partial else ' '} | {sent_now - sent_at[0]:7d} {hi - lo:8d} "
            f"{ok / span:7.1f} | {errs:6d} | {fmt_ms(pct(lats, 50))} {fmt_ms(pct(lats, 95))} "
            f"{fmt_ms(pct(lats, 99))} | {fmt_ms(pct(lags, 99)):>15} | {self.inflight:9d} | "
            f"{rss:6.1f} | {loadavg()}")
        reported[0] = hi
        sent_at[0] = sent_now


def slope_mb_per_10min(points):
    if len(points) < 2:
        return float("nan")
    n = len(points)
    mx = sum(p[0] for p in points) / n
    my = sum(p[1] for p in points) / n
    sxx = sum((p[0] - mx) ** 2 for p in points)
    if sxx == 0:
        return float("nan")
    sxy = sum((p[0] - mx) * (p[1] - my) for p in points)
    return sxy / sxx * 600.0


def final_report(load, args, server_pid, up_before, up_after):
    st = load.stats
    n = len(st.kind)
    D = args.duration
    ok_idx = [j for j in range(n) if 200 <= st.status[j] < 400]
    ok_in_window = sum(1 for j in ok_idx if st.tdone[j] <= D)
    achieved = ok_in_window / D
    lats = sorted(st.lat)
    svcs = sorted(st.svc)
    log("")
    log("# ===== totals =====")
    log(f"target rate {args.rate}/s for {D} s; sent {st.sent} ({st.sent / load.send_end:.1f}/s); "
        f"answered {n}; answered 2xx/3xx {len(ok_idx)}; errors {st.error_count} "
        f"(client overflow {load.overflow}); unanswered after drain {st.sent - n - load.overflow}")
    log(f"achieved rate (2xx/3xx answers completed within the {D} s window / {D} s): "
        f"{achieved:.1f}/s = {100 * achieved / args.rate:.1f} % of target; all answers by "
        f"{load.drain_end:.1f} s")
    log(f"latency from scheduled send: p50 {fmt_ms(pct(lats, 50))} ms  p95 {fmt_ms(pct(lats, 95))} ms"
        f"  p99 {fmt_ms(pct(lats, 99))} ms  max {fmt_ms(lats[-1] if lats else float('nan'))} ms")
    log(f"latency from actual send:    p50 {fmt_ms(pct(svcs, 50))} ms  p95 {fmt_ms(pct(svcs, 95))} ms"
        f"  p99 {fmt_ms(pct(svcs, 99))} ms")
    lags = sorted(st.lag)
    log(f"client send lag (actual - scheduled): p50 {fmt_ms(pct(lags, 50))} ms  p99 "
        f"{fmt_ms(pct(lags, 99))} ms  max {fmt_ms(lags[-1] if lags else float('nan'))} ms; "
        f"max in flight {load.max_inflight}")
    log("")
    log("# per kind (latency from scheduled send, ms)")
    log(f"{'kind':22s} {'share':>6s} {'count':>8s} {'errors':>6s} {'p50':>7s} {'p95':>7s} "
        f"{'p99':>7s} {'max':>7s}  request")
    by = [[] for _ in KINDS]
    for j in range(n):
        by[st.kind[j]].append(st.lat[j])
    for ki, (k, w, role, desc) in enumerate(MIX):
        v = sorted(by[ki])
        log(f"{k:22s} {w:5.1f}% {len(v):8d} {st.error_by_kind[ki]:6d} {fmt_ms(pct(v, 50))} "
            f"{fmt_ms(pct(v, 95))} {fmt_ms(pct(v, 99))} {fmt_ms(v[-1] if v else float('nan'))}  "
            f"{desc}")
    log("")
    s = load.samples
    log("# server RSS / CPU / machine load, every 10 s (t s, RSS MB, server CPU % of one core "
        "over the interval, load avg, client CPU %, in flight)")
    prev = None
    for smp in s:
        t, rss, cpu, la, ccpu, infl = smp
        if prev and t > prev[0]:
            scpu = 100 * (cpu - prev[2]) / (t - prev[0]) if cpu is not None and prev[2] is not None else float("nan")
            ccp = 100 * (ccpu - prev[4]) / (t - prev[0])
        else:
            scpu = ccp = float("nan")
        log(f"  {t:7.1f} {rss / 1024 if rss else float('nan'):7.1f} {scpu:6.1f} {la:>17s} "
            f"{ccp:6.1f} {infl:6d}")
        prev = smp
    rss_pts = [(t, rss / 1024) for t, rss, *_ in s if rss]
    start_rss = rss_pts[0][1] if rss_pts else float("nan")
    warm = [p for p in rss_pts if p[0] >= args.warmup]
    warm_rss = warm[0][1] if warm else float("nan")
    end_rss = rss_pts[-1][1] if rss_pts else float("nan")
    peak = max((p[1] for p in rss_pts), default=float("nan"))
    sl = slope_mb_per_10min(warm)
    log(f"RSS: start {start_rss:.1f} MB, after warm-up ({args.warmup} s) {warm_rss:.1f} MB, "
        f"end {end_rss:.1f} MB, peak {peak:.1f} MB; slope after warm-up {sl:+.2f} MB per 10 min "
        f"(least squares over {len(warm)} samples)")
    if len(s) >= 2 and s[-1][2] is not None and s[0][2] is not None:
        log(f"server CPU over the run: {100 * (s[-1][2] - s[0][2]) / (s[-1][0] - s[0][0]):.0f} % of "
            f"one core on average; client CPU {100 * (s[-1][4] - s[0][4]) / (s[-1][0] - s[0][0]):.0f} %")
    log(f"machine before: {up_before}")
    log(f"machine after:  {up_after}")
    log(f"blackouts added by the test and not yet deleted: {len(load.blackouts)}")
    if st.error_kinds:
        log("")
        log("# errors by kind and status (-1 timeout, -2 connection error, -3 client overflow)")
        for (k, code), cnt in sorted(st.error_kinds.items(), key=lambda x: -x[1]):
            log(f"  {k:22s} {code:5d} {cnt}")
        log("# first errors (t s, kind, method, path, body, status, answer)")
        for e in st.errors[:20]:
            log("  " + " | ".join(str(x) for x in e))
    failed = []
    if st.error_count:
        failed.append(f"{st.error_count} errors")
    if achieved < 0.95 * args.rate:
        failed.append(f"achieved {achieved:.1f}/s < 95 % of {args.rate}/s")
    log("")
    log("RESULT: " + ("FAIL: " + "; ".join(failed) if failed else "PASS"))
    return 1 if failed else 0


def write_requests_csv(load, path):
    st = load.stats
    with open(path, "w") as f:
        f.write("t_sched_s,t_done_s,kind,status,latency_ms,service_ms\n")
        for j in range(len(st.kind)):
            f.write(f"{st.tsched[j]:.4f},{st.tdone[j]:.4f},{KINDS[st.kind[j]]},{st.status[j]},"
                    f"{st.lat[j] * 1000:.2f},{st.svc[j] * 1000:.2f}\n")


def each_kind(base, ctx, rng, n, pid):
    """N requests of each kind in turn, one at a time: the server's CPU per request."""
    load = Load.__new__(Load)
    load.c, load.rng, load.blackouts, load.last_outcome = ctx, rng, deque(), None
    log(f"# each kind, {n} requests one after the other")
    log(f"{'kind':22s} {'share':>6s} {'mean ms':>8s} {'CPU ms':>7s} {'KB':>7s}  request")
    failures = 0
    weighted = 0.0
    for kind, weight, _, description in MIX:
        cpu0, t0, size = proc_cpu_seconds(pid), time.monotonic(), 0
        for _ in range(n):
            built, method, path, body, token = load.build(kind)
            data = None if body is None else json.dumps(body).encode()
            req = urllib.request.Request(base + path, data=data, method=method)
            req.add_header("Authorization", "Bearer " + token)
            req.add_header("Accept-Language", "vi")
            if data is not None:
                req.add_header("Content-Type", "application/json")
            try:
                with urllib.request.urlopen(req, timeout=60) as r:
                    raw = r.read()
                    size += len(raw)
                    if built == "lead_blackout_add":
                        load.blackouts.append(json.loads(raw)["id"])
            except urllib.error.HTTPError as e:
                failures += 1
                log(f"# {kind}: {method} {path} answered {e.code}: {e.read()[:200]!r}")
        wall = (time.monotonic() - t0) / n
        cpu = (proc_cpu_seconds(pid) - cpu0) / n
        weighted += weight / 100.0 * cpu
        log(f"{kind:22s} {weight:5.1f}% {wall * 1000:8.2f} {cpu * 1000:7.2f} "
            f"{size / n / 1024:7.1f}  {description}")
    log(f"# the mix's mean: {weighted * 1000:.2f} ms of the server's CPU a request")
    return 1 if failures else 0


def run_load(args, server, ctx, rng, up_before):
    """The open-loop load and its report; the exit code."""
    load = Load(args, server.base, ctx, rng)
    if uvloop is not None:
        uvloop.install()
    asyncio.run(load.run(server.proc.pid))
    try:
        _, bl = http_json(server.base, "GET", f"/api/v1/teams/{ctx.team}/blackouts",
                          ctx.tokens["leader"][0])
        left = sum(1 for b in bl if b.get("label") == "kiểm tra tải / load test")
        log(f"# blackouts of the test still stored at the end: {left} (of {len(bl)}); "
            f"adds that timed out in the client may still have been stored")
    except Exception as e:
        log(f"# could not count the blackouts left: {e}")
    up_after = uptime_line()
    rc = final_report(load, args, server.proc.pid, up_before, up_after)
    if args.requests_csv:
        write_requests_csv(load, os.path.join(server.workdir, "requests.csv"))
        log(f"# every request: {os.path.join(server.workdir, 'requests.csv')}")
    if server.proc.poll() is not None:
        log(f"# the server died during the run (exit {server.proc.returncode})")
        rc = 1
    return rc


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", default="target/release/doorstep")
    ap.add_argument("--rate", type=float, default=500.0, help="requests per second (default 500)")
    ap.add_argument("--duration", type=float, default=60.0, help="seconds of load (default 60)")
    ap.add_argument("--warmup", type=float, default=120.0,
                    help="seconds after which RSS is 'after warm-up' (default 120)")
    ap.add_argument("--sessions", type=int, default=3, help="sign-ins per user (default 3)")
    ap.add_argument("--connections", type=int, default=128, help="client connection pool")
    ap.add_argument("--timeout", type=float, default=10.0, help="per-request timeout, s")
    ap.add_argument("--max-inflight", type=int, default=20000)
    ap.add_argument("--workdir", default=None, help="fresh directory for the database and logs")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--database", default=None,
                    help="start from a copy of this SQLite file instead of a fresh one")
    ap.add_argument("--startup-timeout", type=float, default=300.0)
    ap.add_argument("--requests-csv", action="store_true", help="write every request to requests.csv")
    ap.add_argument("--each-kind", type=int, default=0, metavar="N",
                    help="instead of the load: N requests of each kind, one at a time")
    args = ap.parse_args()
    if args.duration <= 0 or args.duration > 4 * 3600 or args.rate <= 0 or args.rate > 5000:
        raise SystemExit("duration must be in (0, 4 h] and rate in (0, 5000]")
    binary = os.path.abspath(args.binary)
    workdir = args.workdir or tempfile.mkdtemp(prefix="doorstep-load-")
    os.makedirs(workdir, exist_ok=True)
    rng = random.Random(args.seed)
    log(f"# doorstep load test: {' '.join(sys.argv)}")
    log(f"# binary {binary} ({os.path.getsize(binary)} bytes); workdir {workdir}; "
        f"{os.cpu_count()} CPUs")
    up_before = uptime_line()
    log(f"# machine before: {up_before}")
    server = Server(binary, workdir, args.startup_timeout,
                    os.path.abspath(args.database) if args.database else None)

    def on_signal(signum, frame):
        server.stop()
        raise SystemExit(130)

    signal.signal(signal.SIGTERM, on_signal)
    rc = 2
    try:
        server.start()
        ctx = prepare(server.base, args.sessions, rng)
        log(f"# team {ctx.team} (members {ctx.members}), volunteer member {ctx.vol_member} with "
            f"{ctx.vol_visits_28} visits on {ctx.vol_visit_days} of the next 28 days, official "
            f"area {ctx.area} and children {ctx.areas[1:]}, plans {ctx.plans}, today {ctx.today} "
            f"({ctx.tz.key}), {ctx.household_pages} household pages, "
            f"{len(ctx.outcome_targets)} visits of today for outcomes "
            f"({ctx.outcome_targets[0][1] if ctx.outcome_targets else 'none'} records them)")
        log(f"# sessions: {args.sessions} per user")
        log("# mix: " + ", ".join(f"{k} {w:g}%" for k, w, *_ in MIX))
        if args.each_kind > 0:
            rc = each_kind(server.base, ctx, rng, args.each_kind, server.proc.pid)
        else:
            rc = run_load(args, server, ctx, rng, up_before)
    finally:
        server.stop()
        log(f"# server log: {server.log_path}")
    sys.exit(rc)


if __name__ == "__main__":
    main()
