"""``devtoken.doctor``: the core's setup checklist from Python, for a service to run at startup."""

from __future__ import annotations

import os
from pathlib import Path

from devtoken import Check, Claims, Service, doctor, generate_private_key_pem

TEAM = "DEF123GHIJ"


def by_name(report: list[Check]) -> dict[str, Check]:
    return {check.name: check for check in report}


def test_doctor_reports_setup_errors_with_fixes(tmp_path: Path) -> None:
    key = tmp_path / "AuthKey_ABC123DEFG.p8"
    key.write_text(generate_private_key_pem())
    os.chmod(key, 0o644)
    report = by_name(
        doctor(
            key, Service.APPLE_MUSIC, Claims("57246542-96fe-1a63-e053-0824d011072a"), offline=True
        )
    )
    assert report["key_file"].status == "error"
    assert report["key_file"].fix == f"chmod 600 {key}"
    assert report["identifiers"].status == "error"
    assert report["identifiers"].fix and "Team ID" in report["identifiers"].fix
    assert (report["clock"].status, report["probe"].status) == ("skipped", "skipped")
    mismatch = by_name(
        doctor(key, Service.APPLE_MUSIC, Claims(TEAM), key_id="XYZ987WVUT", offline=True)
    )
    assert mismatch["key_id"].status == "error"
    os.chmod(key, 0o600)
    fine = doctor(key, Service.APPLE_MUSIC, Claims(TEAM), offline=True)
    assert [c.status for c in fine if c.status not in ("ok", "skipped")] == []
    assert "ok key_file" in str(fine[0])
