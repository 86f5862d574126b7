"""The fleet test of issue 29: one APNs token for a whole fleet, without coordination.

Eight OS processes (six Python subprocesses started here, one Kotlin and one Swift process, which
the Kotlin and Swift suites ran before: FleetTest.kt, FleetTests.swift) sign with one key, each on
a manual clock offset from true time by up to 2 s (plan.json), every 10 s over 6 simulated hours,
with no sleeping. This checks what they wrote (target/fleet/*.tsv):

- at each instant (every 10 s, and every second within 5 s of a grid point) at most 2 distinct
  tokens across the fleet, and 2 only within 2 s of a boundary of the grid;
- one `iat`, one token: tokens with the same `iat` are byte-identical whichever language signed;
- about 9 tokens in all (6 hours / 40 minutes), one per grid period the clocks touched;
- no process renews within 20 minutes of its last token (Apple's 429), and no token is older than
  60 minutes at any instant (devtoken.inspect_token at the process's time finds no error).

    python tests/fleet/check.py [--without kotlin] [--without swift]

Prints the table (instant, distinct tokens) around each boundary and the totals; exits 1 on a
failed check.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

from worker import instants as planned_instants

import devtoken

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "target" / "fleet"
SEAM = 2  # seconds: the largest clock offset of the plan


def to_grid(now: int, period: int) -> int:
    """Seconds from `now` to the nearest point of the grid."""
    return min(now % period, period - now % period)


def read(name: str) -> dict[int, str]:
    lines = (OUT / f"{name}.tsv").read_text().splitlines()
    return {int(now): token for now, token in (line.split("\t") for line in lines)}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--without", action="append", default=[], help="a language not run here")
    args = parser.parse_args()
    plan = json.loads((ROOT / "tests" / "fleet" / "plan.json").read_text())
    processes = [p for p in plan["processes"] if p["language"] not in args.without]
    python = [p["name"] for p in processes if p["language"] == "python"]
    for name in python:
        (OUT / f"{name}.tsv").unlink(missing_ok=True)
    workers = [
        subprocess.Popen([sys.executable, str(ROOT / "tests" / "fleet" / "worker.py"), name])
        for name in python
    ]
    if any(worker.wait() != 0 for worker in workers):
        print("fleet: a Python worker failed")
        return 1
    missing = [p["name"] for p in processes if not (OUT / f"{p['name']}.tsv").is_file()]
    if missing:
        print(f"fleet: no output from {missing} (their suites write target/fleet/NAME.tsv)")
        return 1
    runs = {p["name"]: read(p["name"]) for p in processes}
    offsets = {p["name"]: p["offset"] for p in processes}
    instants = planned_instants(plan)
    period = plan["period"]
    problems: list[str] = []
    if devtoken.core_defaults()["apns_renew_after_secs"] != period:
        problems.append(f"plan.json's period {period} s is not the core's APNs renewal period")
    for name, run in runs.items():
        if sorted(run) != instants:
            problems.append(f"{name}: instants differ from the plan")
    if problems:
        print("\n".join(problems))
        return 1

    iat_of: dict[str, int] = {}
    by_iat: dict[int, set[str]] = defaultdict(set)
    table: list[tuple[int, int]] = []
    for now in instants:
        tokens = {run[now] for run in runs.values()}
        table.append((now, len(tokens)))
        distance = to_grid(now, period)
        if len(tokens) > 2 or (len(tokens) == 2 and distance > SEAM):
            problems.append(f"{now}: {len(tokens)} distinct tokens, {distance} s from a boundary")
        for token in tokens:
            if token not in iat_of:
                iat_of[token] = devtoken.decode_token(token)["claims"]["iat"]
                by_iat[iat_of[token]].add(token)
    for iat, tokens in by_iat.items():
        if len(tokens) != 1:
            problems.append(f"iat {iat}: {len(tokens)} different tokens (not byte-identical)")

    periods = {(now + offset) // period for now in instants for offset in set(offsets.values())}
    if len(iat_of) != len(periods):
        problems.append(f"{len(iat_of)} tokens for {len(periods)} grid periods")
    for name, run in runs.items():
        renewals = sorted({iat_of[token] for token in run.values()})
        for before, after in zip(renewals, renewals[1:]):
            if after - before < 1200:
                problems.append(f"{name}: renewed {after - before} s after its last token")
        for now, token in run.items():
            local = now + offsets[name]
            for finding in devtoken.inspect_token(token, devtoken.Service.APNS, now=local):
                if finding.level == "error":
                    problems.append(f"{name} at {local}: {finding.message}")

    print(f"fleet: {len(runs)} processes ({', '.join(sorted(runs))}), {len(table)} instants,")
    print(f"  {len(iat_of)} tokens in all over {plan['seconds'] // 3600} h; period {period} s")
    print("  instant     distinct tokens (the instants around each boundary; all others: 1)")
    for now, count in table:
        if to_grid(now, period) <= plan["seam_window"]:
            print(f"  {now}  {count}")
    others = [count for now, count in table if to_grid(now, period) > plan["seam_window"]]
    print(f"  other {len(others)} instants: {max(others)} distinct token(s) at most")
    if problems:
        print("fleet: FAILED\n  " + "\n  ".join(problems[:20]))
        return 1
    print("fleet: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
