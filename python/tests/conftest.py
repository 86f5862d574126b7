"""Shared fixtures: the cross-language vectors and the test keys of the repository."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
VECTORS: dict[str, Any] = json.loads((REPO / "tests" / "vectors" / "tokens.json").read_text())
KEYS = REPO / "tests" / "vectors" / "keys"
APPLE_TEST_KEY = REPO.parent / "shared" / "fixtures" / "apple-testSigningKey.p8"


@pytest.fixture
def vector_pem() -> str:
    pem: str = VECTORS["key"]["pem"]
    return pem
