"""One Python process of the fleet test: signs with its own TokenProvider on its own manual clock.

    python tests/fleet/worker.py NAME    # writes target/fleet/NAME.tsv (see plan.json)

The Kotlin (FleetTest.kt) and Swift (FleetTests.swift) processes do the same from their suites.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from devtoken import Claims, ManualClock, Service, Signer, TokenProvider

ROOT = Path(__file__).resolve().parents[2]


def instants(plan: dict[str, Any]) -> list[int]:
    """Every `step` s from `start`, and every second within `seam_window` of a grid point."""
    start, period, window = plan["start"], plan["period"], plan["seam_window"]
    return [
        now
        for now in range(start, start + plan["seconds"])
        if (now - start) % plan["step"] == 0 or min(now % period, period - now % period) <= window
    ]


def main(name: str) -> None:
    plan = json.loads((ROOT / "tests" / "fleet" / "plan.json").read_text())
    (me,) = [p for p in plan["processes"] if p["name"] == name]
    key = json.loads((ROOT / "tests" / "vectors" / "tokens.json").read_text())["key"]
    start, offset = plan["start"], me["offset"]
    clock = ManualClock(start + offset)
    provider = TokenProvider(
        Signer.from_pem(key["pem"], key["key_id"]),
        Service.APNS,
        Claims(plan["team_id"]),
        clock=clock,
    )
    lines = []
    for now in instants(plan):
        clock.set(now + offset)
        lines.append(f"{now}\t{provider.token()}\n")
    out = ROOT / "target" / "fleet" / f"{name}.tsv"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("".join(lines))


if __name__ == "__main__":
    main(sys.argv[1])
