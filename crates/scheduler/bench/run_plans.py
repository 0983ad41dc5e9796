#!/usr/bin/env python3
"""run_plans.py - benchmark `doorstep plan` on generated and public instances.

For every preset and seed it generates an instance with the shared generator, runs
`doorstep plan`, validates the plan with the shared validator, and prints one table row:
instance, objective, the bar to reach (public instances), the greedy floor, upper bounds
(validator's UB and UBcap, and the LP bound of the assignment relaxation solved with HiGHS),
the gap to the LP bound, coverage, travel, time and peak memory.  Then, optionally, the
re-plan stability figure, the balance spread and the province slice.

  python3 crates/scheduler/bench/run_plans.py                          # S and M, seeds 1-3, public S and M
  python3 crates/scheduler/bench/run_plans.py --presets S,M,L --seeds 1,2,3,4,5
  python3 crates/scheduler/bench/run_plans.py --stability --balance --slice 200
  python3 crates/scheduler/bench/run_plans.py --only-public --stability

The shared benchmark folder (gen_instance.py, validate.py, instances/, peers/) is taken from
--shared, else $DOORSTEP_SHARED, else ../shared next to the repository.  The binary is
target/release/doorstep (built with `cargo build --release -p doorstep` unless --no-build).
The LP bound needs `highspy` (the script runs `pip install highspy` if it is missing; if that
fails, the column says n/a).  The greedy floor needs numpy (same).

Timings are wall-clock on whatever else the machine is doing: on a shared 2-core machine
figures vary by a few percent between runs.
"""
import argparse
import datetime
import json
import os
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
LIMITS = {"S": 2.0, "M": 10.0, "L": 30.0}
# best peer objective at 60 s (S, M) from ../shared/bench/README.md and the bar derived from it;
# for generated instances --peers measures it (bar: S ≥ vrp-cli 60 s, M ≥ 1.03 × vrp-cli 60 s,
# L ≥ vrp-cli 300 s)
BARS = {"public-S-101": (309, 309), "public-M-202": (1355, 1396)}


def shared_dir(arg):
    d = arg or os.environ.get("DOORSTEP_SHARED") or os.path.join(REPO, "..", "shared")
    d = os.path.abspath(d)
    bench = os.path.join(d, "bench") if os.path.isdir(os.path.join(d, "bench")) else d
    if not os.path.exists(os.path.join(bench, "validate.py")):
        sys.exit("run_plans.py: no validate.py under %s; pass --shared DIR or set DOORSTEP_SHARED" % d)
    return bench


def ensure_module(name, pip_name):
    try:
        return __import__(name)
    except ImportError:
        r = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", pip_name],
                           capture_output=True, text=True)
        if r.returncode != 0:
            print("note: pip install %s failed; the column stays n/a" % pip_name, file=sys.stderr)
            return None
        try:
            return __import__(name)
        except ImportError:
            return None


TIME = "/usr/bin/time" if os.path.exists("/usr/bin/time") else None


def measured(cmd, tag):
    """cmd wrapped so that its own peak memory is recorded: a child forked from this (large)
    Python process would report Python's pages as its peak until it execs."""
    if TIME is None:
        return cmd, None
    path = os.path.join(tempfile.gettempdir(), "run_plans.%d.%s.rss" % (os.getpid(), tag))
    return [TIME, "-f", "%M", "-o", path] + cmd, path


def peak_mb(path):
    try:
        with open(path) as f:
            return int(f.read().strip().splitlines()[-1]) / 1024.0
    except (OSError, ValueError, IndexError):
        return float("nan")


def run_measured(cmd):
    """Runs cmd; returns (exit code, wall seconds, peak RSS in MB, stderr)."""
    cmd, rss = measured(cmd, "one")
    t0 = time.time()
    p = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    wall = time.time() - t0
    err = p.stderr
    if rss is not None:
        # /usr/bin/time reports a failing command's status on stderr
        err = "\n".join(line for line in err.splitlines() if not line.startswith("Command exited"))
    return p.returncode, wall, peak_mb(rss) if rss else float("nan"), err


def validate(bench, inst, plan):
    r = subprocess.run([sys.executable, os.path.join(bench, "validate.py"), inst, plan, "--quiet"],
                       capture_output=True, text=True)
    try:
        return json.loads(r.stdout)
    except ValueError:
        return {"valid": False, "error": r.stdout[-300:] + r.stderr[-300:]}


def lp_bound(bench, inst_path, highspy):
    """Assignment relaxation: each household in at most one shift where it fits alone, each
    (volunteer, day) within max_visits_per_day, each shift's service minutes within its length."""
    if highspy is None:
        return None
    sys.path.insert(0, bench)
    import validate as V  # the validator's own model: same feasibility rule
    inst = json.load(open(inst_path))
    m = V.Model(inst)
    cols = []  # (hid, vid, shift k, prio, svc)
    for hid, h in m.hhs.items():
        for vid in m.eligible(hid):
            v = m.vols[vid]
            tt = m.travel(v["home"], m.loc(hid, vid))
            for k, (sa, sb) in enumerate(v["shifts"]):
                if any(max(wa, sa + tt) + h["svc"] <= min(wb, sb - tt) for wa, wb in h["wins"]):
                    cols.append((hid, vid, k, h["prio"], h["svc"]))
    if not cols:
        return 0.0
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(os.open(os.devnull, os.O_WRONLY), 1)  # HiGHS prints a banner on creation
    try:
        hs = highspy.Highs()
        hs.setOptionValue("output_flag", False)
    finally:
        os.dup2(saved, 1)
        os.close(saved)
    inf = highspy.kHighsInf
    n = len(cols)
    for _ in range(n):
        hs.addVar(0.0, 1.0)
    hs.changeColsCost(n, list(range(n)), [-float(c[3]) for c in cols])
    rows_h, rows_day, rows_min = {}, {}, {}
    for j, (hid, vid, k, prio, svc) in enumerate(cols):
        rows_h.setdefault(hid, []).append((j, 1.0))
        d = m.day(m.vols[vid]["shifts"][k][0])
        rows_day.setdefault((vid, d), []).append((j, 1.0))
        rows_min.setdefault((vid, k), []).append((j, float(svc)))
    for hid, lst in rows_h.items():
        hs.addRow(-inf, 1.0, len(lst), [j for j, _ in lst], [a for _, a in lst])
    for (vid, d), lst in rows_day.items():
        hs.addRow(-inf, float(m.vols[vid]["maxd"]), len(lst), [j for j, _ in lst], [a for _, a in lst])
    for (vid, k), lst in rows_min.items():
        sa, sb = m.vols[vid]["shifts"][k]
        hs.addRow(-inf, float(sb - sa), len(lst), [j for j, _ in lst], [a for _, a in lst])
    hs.run()
    return -hs.getInfo().objective_function_value


def greedy(bench, inst, out):
    plan = os.path.join(out, os.path.basename(inst).replace(".json", ".greedy.json"))
    if not os.path.exists(plan):
        r = subprocess.run([sys.executable, os.path.join(bench, "peers", "peer_greedy.py"), inst, "--out", plan],
                           capture_output=True, text=True)
        if r.returncode != 0:
            return None
    s = validate(bench, inst, plan)
    return s.get("objective") if s.get("valid") else None


def vrpcli(bench, inst, out, limit):
    """Best peer's objective: vrp-cli with the given time limit (cached)."""
    plan = os.path.join(out, os.path.basename(inst).replace(".json", ".vrpcli%ds.json" % limit))
    if not os.path.exists(plan):
        r = subprocess.run([sys.executable, os.path.join(bench, "peers", "peer_vrpcli.py"), inst,
                            "--time-limit", str(limit), "--out", plan], capture_output=True, text=True)
        if r.returncode != 0:
            print("note: vrp-cli failed on %s: %s" % (inst, r.stderr.strip()[-200:]), file=sys.stderr)
            return None
    s = validate(bench, inst, plan)
    return s.get("objective") if s.get("valid") else None


def plan_cmd(args, inst, out_plan, limit, extra=(), iterations=None):
    budget = ["--iterations", str(iterations)] if iterations else ["--time-limit", str(limit)]
    return [args.doorstep, "plan", "--input", inst, *budget, "--seed", str(args.seed),
            "--threads", str(args.threads), "--output", out_plan, *extra]


def fmt(x, spec="{}"):
    return "n/a" if x is None else spec.format(x)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--shared", help="the shared benchmark folder (default $DOORSTEP_SHARED or ../shared)")
    ap.add_argument("--doorstep", default=os.path.join(REPO, "target", "release", "doorstep"))
    ap.add_argument("--no-build", action="store_true")
    ap.add_argument("--presets", default="S,M")
    ap.add_argument("--seeds", default="1,2,3")
    ap.add_argument("--only-public", action="store_true")
    ap.add_argument("--no-public", action="store_true")
    ap.add_argument("--limits", default="", help="e.g. S=2,M=10,L=30 (defaults are the bars' budgets)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--no-lp", action="store_true")
    ap.add_argument("--no-greedy", action="store_true")
    ap.add_argument("--peers", action="store_true",
                    help="also run vrp-cli (the best peer) for 60 s (S, M) or 300 s (L) on generated instances; "
                         "plans are cached in --out; needs vrp-cli on PATH or $VRP_CLI")
    ap.add_argument("--stability", action="store_true", help="re-plan public M without one volunteer, with a hint")
    ap.add_argument("--stability-all", action="store_true", help="remove each volunteer in turn (default: the busiest)")
    ap.add_argument("--stability-iterations", type=int, default=95000,
                    help="iterations per thread of each stability plan (about 10 s on 2 cores; the same figures on any machine)")
    ap.add_argument("--balance", action="store_true", help="spread with and without --balance on public M")
    ap.add_argument("--slice", type=int, default=0, help="province slice with this many teams")
    ap.add_argument("--out", default=os.path.join(REPO, "target", "bench-plans"))
    args = ap.parse_args()
    bench = shared_dir(args.shared)
    os.makedirs(args.out, exist_ok=True)
    limits = dict(LIMITS)
    for kv in filter(None, args.limits.split(",")):
        k, v = kv.split("=")
        limits[k] = float(v)
    if not args.no_build:
        subprocess.run(["cargo", "build", "--release", "--quiet", "-p", "doorstep"], cwd=REPO, check=True)
    highspy = None if args.no_lp else ensure_module("highspy", "highspy")
    if not args.no_greedy and ensure_module("numpy", "numpy") is None:
        args.no_greedy = True

    instances = []  # (name, path, preset)
    if not args.no_public:
        for name in ("public-S-101", "public-M-202"):
            instances.append((name, os.path.join(bench, "instances", name + ".json"), name.split("-")[1]))
    if not args.only_public:
        for preset in filter(None, args.presets.split(",")):
            for seed in filter(None, args.seeds.split(",")):
                name = "%s-%s" % (preset, seed)
                path = os.path.join(args.out, name + ".json")
                if not os.path.exists(path):
                    subprocess.run([sys.executable, os.path.join(bench, "gen_instance.py"), "--preset", preset,
                                    "--seed", seed, "--out", path], check=True, capture_output=True)
                instances.append((name, path, preset))

    head = ("instance", "objective", "bar", "vrp-cli", "greedy", "UB", "UBcap", "LP bound", "gap to LP", "coverage",
            "travel", "time s", "peak MB", "valid")
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    rows = {}
    for name, path, preset in instances:
        out_plan = os.path.join(args.out, name + ".plan.json")
        code, wall, mb, err = run_measured(plan_cmd(args, path, out_plan, limits[preset]))
        if code != 0:
            print("| %s | failed (exit %d): %s |" % (name, code, err.strip()[-200:]))
            continue
        s = validate(bench, path, out_plan)
        lp = lp_bound(bench, path, highspy)
        gr = None if args.no_greedy else greedy(bench, path, args.out)
        peer, bar = BARS.get(name, (None, None))
        if peer is None and args.peers:
            peer = vrpcli(bench, path, args.out, 300 if preset == "L" else 60)
            if peer is not None:
                bar = round(peer * 1.03) if preset == "M" else peer
        obj = s.get("objective")
        gap = None if lp in (None, 0) or obj is None else 100.0 * (lp - obj) / lp
        rows[name] = s
        print("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %.2f | %.0f | %s |" % (
            name, fmt(obj), fmt(bar, "≥ {}") if bar else "", fmt(peer), fmt(gr), fmt(s.get("upper_bound")),
            fmt(s.get("upper_bound_capacity")), fmt(lp, "{:.1f}"), fmt(gap, "{:.1f} %"),
            fmt(s.get("coverage"), "{:.3f}"), fmt(s.get("travel_minutes")), wall, mb,
            "yes" if s.get("valid") else "NO %s" % s.get("violations", s.get("error"))))
        sys.stdout.flush()

    if args.stability:
        stability(args, bench, limits)
    if args.balance:
        balance(args, bench, limits)
    if args.slice:
        province_slice(args, bench)


def stability(args, bench, limits):
    """Remove one volunteer's shifts from public M, re-plan with the original plan as a hint,
    count the other volunteers' visits that stay (same household, volunteer, start)."""
    path = os.path.join(bench, "instances", "public-M-202.json")
    base_plan = os.path.join(args.out, "public-M-202.stability-base.plan.json")
    run_measured(plan_cmd(args, path, base_plan, limits["M"], iterations=args.stability_iterations))
    inst = json.load(open(path))
    plan = json.load(open(base_plan))
    counts = {}
    for v in plan["visits"]:
        counts[v["volunteer"]] = counts.get(v["volunteer"], 0) + 1
    print("\nRe-plan stability (public-M-202, one volunteer's shifts removed, original plan as --hint, "
          "%d iterations a thread):" % args.stability_iterations)
    before = validate(bench, path, base_plan).get("objective")
    print("| volunteer removed | its visits | others' visits | unchanged | share | within 30 min | objective before → after |")
    print("|---|---|---|---|---|---|---|")
    for vid in sorted(counts, key=lambda v: -counts[v]):
        changed = json.loads(json.dumps(inst))
        for vol in changed["volunteers"]:
            if vol["id"] == vid:
                vol["shifts"] = []
        cpath = os.path.join(args.out, "M-202-without-%s.json" % vid)
        json.dump(changed, open(cpath, "w"))
        new_plan = os.path.join(args.out, "M-202-without-%s.plan.json" % vid)
        code, _, _, err = run_measured(plan_cmd(args, cpath, new_plan, limits["M"], ["--hint", base_plan],
                                                iterations=args.stability_iterations))
        if code != 0:
            print("| %s | failed: %s |" % (vid, err.strip()[-200:]))
            continue
        s = validate(bench, cpath, new_plan)
        new_visits = json.load(open(new_plan))["visits"]
        new = {(v["household"], v["volunteer"], v["start"]) for v in new_visits}
        others = [v for v in plan["visits"] if v["volunteer"] != vid]
        same = sum(1 for v in others if (v["household"], v["volunteer"], v["start"]) in new)
        starts = {(v["household"], v["volunteer"]): v["start"] for v in new_visits}

        def near(v):
            s2 = starts.get((v["household"], v["volunteer"]))
            if s2 is None:
                return False
            a = datetime.datetime.fromisoformat(v["start"])
            b = datetime.datetime.fromisoformat(s2)
            return a.date() == b.date() and abs((a - b).total_seconds()) <= 30 * 60

        close = sum(1 for v in others if near(v))
        print("| %s | %d | %d | %d | %.1f %% | %.1f %% | %d → %d%s |" % (
            vid, counts[vid], len(others), same, 100.0 * same / max(1, len(others)),
            100.0 * close / max(1, len(others)),
            before, s.get("objective", -1),
            "" if s.get("valid") else " INVALID"))
        sys.stdout.flush()
        if not args.stability_all:
            break


def balance(args, bench, limits):
    path = os.path.join(bench, "instances", "public-M-202.json")
    print("\nBalance (public-M-202, %g s): visits per volunteer" % limits["M"])
    print("| mode | objective | min | max | spread |")
    print("|---|---|---|---|---|")
    for label, extra in (("default", []), ("--balance", ["--balance"])):
        out_plan = os.path.join(args.out, "public-M-202%s.plan.json" % ("-balance" if extra else ""))
        run_measured(plan_cmd(args, path, out_plan, limits["M"], extra))
        plan = json.load(open(out_plan))
        inst = json.load(open(path))
        counts = {v["id"]: 0 for v in inst["volunteers"] if v["shifts"]}
        for v in plan["visits"]:
            counts[v["volunteer"]] += 1
        s = validate(bench, path, out_plan)
        lo, hi = min(counts.values()), max(counts.values())
        print("| %s | %s | %d | %d | %d |" % (label, s.get("objective"), lo, hi, hi - lo))


def province_slice(args, bench):
    d = os.path.join(args.out, "slice-%d" % args.slice)
    if not os.path.exists(os.path.join(d, "index.json")):
        subprocess.run([sys.executable, os.path.join(bench, "gen_instance.py"), "--preset", "province-slice",
                        "--seed", "1", "--teams", str(args.slice), "--out", d], check=True, capture_output=True)
    teams = json.load(open(os.path.join(d, "index.json")))["teams"]
    # two single-threaded planners side by side use both cores with no waiting between teams
    per_team = 0.35
    t0 = time.time()
    procs, results = [], []
    queue = list(teams)
    peak = 0.0
    while queue or procs:
        while queue and len(procs) < 2:
            t = queue.pop(0)
            inst = os.path.join(d, t["file"])
            out_plan = inst.replace(".json", ".plan.json")
            cmd, rss = measured([args.doorstep, "plan", "--input", inst, "--time-limit", str(per_team),
                                 "--threads", "1", "--seed", str(args.seed), "--output", out_plan], t["file"])
            procs.append((subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL),
                          inst, out_plan, rss))
        pid, status = os.wait()
        for i, (p, inst, out_plan, rss) in enumerate(procs):
            if p.pid == pid:
                p.returncode = os.waitstatus_to_exitcode(status)
                results.append((inst, out_plan, p.returncode))
                if rss:
                    peak = max(peak, peak_mb(rss))
                procs.pop(i)
                break
    wall = time.time() - t0
    obj = ub = valid = 0
    for inst, out_plan, code in results:
        if code != 0:
            continue
        s = validate(bench, inst, out_plan)
        valid += 1 if s.get("valid") else 0
        obj += s.get("objective", 0)
        ub += s.get("upper_bound", 0)
    print("\nProvince slice: %d teams, %.1f s wall for all (2 planners side by side, %.2f s each), "
          "peak memory per planner %.0f MB, %d/%d plans valid, objective %d of upper bound %d (%.1f %%)"
          % (len(teams), wall, per_team, peak, valid, len(teams), obj, ub, 100.0 * obj / max(1, ub)))


if __name__ == "__main__":
    main()
