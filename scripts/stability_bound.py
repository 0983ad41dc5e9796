#!/usr/bin/env python3
"""How much of a calendar any re-plan can keep after a storm: an upper bound.

Reads a planning instance with the benchmark's independent validator (`validate.py` of the
planning benchmark: travel, days, who may serve whom), clears the horizon's 3rd to 5th day as
the stability benchmark does (`cargo bench -p doorstep-demo --bench stability`), and solves a
relaxation of the planning problem as a mixed-integer program: every plan of the stormy instance
satisfies it, so what it cannot reach, no planner can.

The relaxation, per volunteer's shift (one a day):
- a household is visited at most once, in a shift it fits into alone (its window, the shift, the
  way there and back);
- at most the volunteer's daily cap of visits;
- the visits' minutes, each with its cheapest way in (from home or another household of the
  shift), fit in the shift;
- in every stretch of time, the least the chosen visits must spend in it (their earliest and
  latest starts) fits in it;
- a visit of the calendar is kept when it stays with its volunteer and day and starts within 30
  minutes of its time (the benchmark's rule), which narrows its start.

    python3 scripts/stability_bound.py INSTANCE.json --calendar FIRST.json \\
        --min-objective 263 --min-kept 79

answers "infeasible" when no plan reaches both, or the most visits of the calendar kept (with
--min-objective alone). It needs OR-Tools (`pip install ortools`) and the benchmark's folder
(`--bench`, by default ../shared/bench). docs/planning.md, "Figure: stability of a re-plan".
"""
from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("instance")
    ap.add_argument("--calendar", required=True, help="the plan published before the storm")
    ap.add_argument("--min-objective", type=int, help="the least sum of priorities")
    ap.add_argument("--min-kept", type=int, help="the least visits of the calendar kept")
    ap.add_argument("--bench", default="../shared/bench", help="the folder of validate.py")
    ap.add_argument("--solver", default="SCIP", help="OR-Tools' MIP solver (SCIP, HIGHS, CBC)")
    ap.add_argument("--time-limit", type=float, default=600.0, help="seconds")
    a = ap.parse_args()

    sys.path.insert(0, a.bench)
    import validate  # the benchmark's independent validator
    from ortools.linear_solver import pywraplp

    minutes = lambda text: validate.parse_time(text, "time")[0]
    with open(a.instance) as f:
        instance = json.load(f)
    start = minutes(instance["horizon"]["start"])
    storm_from, storm_to = start + 2 * 1440, start + 5 * 1440
    outside = lambda iv: minutes(iv["end"]) <= storm_from or minutes(iv["start"]) >= storm_to
    for v in instance["volunteers"]:
        v["shifts"] = [s for s in v["shifts"] if outside(s)]
    for h in instance["households"]:
        h["windows"] = [w for w in h["windows"] if outside(w)]
    m = validate.Model(instance)
    if m.errors:
        print("the instance does not read:", m.errors, file=sys.stderr)
        return 2

    # Shifts, and where each household fits alone: its start ranges per shift.
    shifts = [(vid, a_, b_) for vid, v in m.vols.items() for a_, b_ in v["shifts"]]
    starts = {}
    for hid, h in m.hhs.items():
        eligible = set(m.eligible(hid))
        for si, (vid, a_, b_) in enumerate(shifts):
            if vid not in eligible:
                continue
            way = m.travel(m.vols[vid]["home"], m.loc(hid, vid))
            ranges = [(max(wa, a_ + way), min(wb, b_ - way) - h["svc"]) for wa, wb in h["wins"]]
            ranges = [(lo, hi) for lo, hi in ranges if lo <= hi]
            if ranges:
                starts[hid, si] = sorted(ranges)

    solver = pywraplp.Solver.CreateSolver(a.solver)
    if solver is None:
        print(f"OR-Tools has no solver {a.solver}", file=sys.stderr)
        return 2
    solver.SetNumThreads(1)
    x = {key: solver.BoolVar(f"x{n}") for n, key in enumerate(starts)}
    in_shift, of_household = defaultdict(list), defaultdict(list)
    for hid, si in starts:
        in_shift[si].append(hid)
        of_household[hid].append(si)
    for hid, sis in of_household.items():
        solver.Add(sum(x[hid, si] for si in sis) <= 1)
    for si, hids in in_shift.items():
        vid, a_, b_ = shifts[si]
        home = m.vols[vid]["home"]
        solver.Add(sum(x[h, si] for h in hids) <= m.vols[vid]["maxd"])
        way_in = {
            h: min([m.travel(home, m.loc(h, vid))] + [m.travel(m.loc(g, vid), m.loc(h, vid)) for g in hids if g != h])
            for h in hids
        }
        solver.Add(sum((m.hhs[h]["svc"] + way_in[h]) * x[h, si] for h in hids) <= b_ - a_)

    # The calendar's visits outside the storm, and whether each is kept.
    with open(a.calendar) as f:
        calendar = [
            (v["household"], v["volunteer"], minutes(v["start"]))
            for v in json.load(f)["visits"]
            if not storm_from <= minutes(v["start"]) < storm_to
        ]
    kept = {}
    for hid, vid, t in calendar:
        si = next((i for i, (v, a_, b_) in enumerate(shifts) if v == vid and a_ <= t < b_), None)
        if si is None or (hid, si) not in starts:
            continue
        near = [(max(lo, t - 30), min(hi, t + 30)) for lo, hi in starts[hid, si]]
        near = [(lo, hi) for lo, hi in near if lo <= hi]
        if near:
            k = solver.BoolVar(f"k{len(kept)}")
            solver.Add(k <= x[hid, si])
            kept[hid] = (k, si, near)

    # Every stretch [from, to) of a shift holds the least minutes its visits must spend in it.
    def least(lo, hi, svc, begin, end):
        return max(0, min(svc, end - begin, lo + svc - begin, end - hi))

    for si, hids in in_shift.items():
        spans = []
        for h in hids:
            svc = m.hhs[h]["svc"]
            spans.append((starts[h, si][0][0], starts[h, si][-1][1], svc, h, False))
            if h in kept and kept[h][1] == si:
                near = kept[h][2]
                spans.append((near[0][0], near[-1][1], svc, h, True))
        for begin in sorted({s[0] for s in spans}):
            for end in sorted({s[1] + s[2] for s in spans}):
                if end <= begin:
                    continue
                loose = {h: least(lo, hi, svc, begin, end) for lo, hi, svc, h, near in spans if not near}
                terms, total = [], 0
                for lo, hi, svc, h, near in spans:
                    if not near and loose[h]:
                        terms.append(loose[h] * x[h, si])
                        total += loose[h]
                    elif near:
                        extra = least(lo, hi, svc, begin, end) - loose[h]
                        if extra > 0:
                            terms.append(extra * kept[h][0])
                            total += extra
                if total > end - begin:
                    solver.Add(sum(terms) <= end - begin)

    objective = sum(m.hhs[h]["prio"] * var for (h, _), var in x.items())
    kept_sum = sum(k for k, _, _ in kept.values())
    if a.min_objective is not None:
        solver.Add(objective >= a.min_objective)
    if a.min_kept is not None:
        solver.Add(kept_sum >= a.min_kept)
    solver.Maximize(kept_sum)
    solver.SetTimeLimit(int(a.time_limit * 1000))
    print(f"{len(calendar)} calendar visits outside the storm, {len(kept)} of them can be kept at all")
    status = solver.Solve()
    wanted = []
    if a.min_objective is not None:
        wanted.append(f"objective >= {a.min_objective}")
    if a.min_kept is not None:
        wanted.append(f"kept >= {a.min_kept}")
    if status == pywraplp.Solver.INFEASIBLE:
        print(f"infeasible: no plan has {' and '.join(wanted) or 'a visit'}")
        return 0
    if status == pywraplp.Solver.OPTIMAL:
        most = round(solver.Objective().Value())
        share = 100.0 * most / len(calendar) if calendar else 100.0
        print(f"at most {most} of {len(calendar)} kept ({share:.1f} %) with {' and '.join(wanted) or 'no bar'}")
        return 0
    print(f"not solved within the time limit (status {status}); bound {solver.Objective().BestBound():.1f}")
    return 1


if __name__ == "__main__":
    sys.exit(main())
