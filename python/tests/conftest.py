"""Shared fixtures: the cross-language vectors (tokens, errors) and the test keys of the repo."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
VECTORS: dict[str, Any] = json.loads((REPO / "tests" / "vectors" / "tokens.json").read_text())
ERRORS: dict[str, Any] = json.loads((REPO / "tests" / "vectors" / "errors.json").read_text())
STOREKIT: list[dict[str, Any]] = json.loads(
    (REPO / "tests" / "vectors" / "storekit.json").read_text(encoding="utf-8")
)
STOREKIT_ERRORS: dict[str, Any] = json.loads(
    (REPO / "tests" / "vectors" / "storekit_errors.json").read_text(encoding="utf-8")
)
KEYS = REPO / "tests" / "vectors" / "keys"
APPLE_TEST_KEY = REPO.parent / "shared" / "fixtures" / "apple-testSigningKey.p8"

# The loopback stand-in for Apple's endpoints lives with the independent checks.
sys.path.insert(0, str(REPO / "tests" / "independent"))


@pytest.fixture
def vector_pem() -> str:
    pem: str = VECTORS["key"]["pem"]
    return pem
