"""Shared fixtures: the cross-language vectors (tokens, errors) and the test keys of the repo."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import devtoken

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
from apple_stand_in import AppleStandIn  # noqa: E402


@pytest.fixture
def vector_pem() -> str:
    pem: str = VECTORS["key"]["pem"]
    return pem


@pytest.fixture
def signer() -> devtoken.Signer:
    """A fresh random key (`ABC123DEFG`) for the tests against the stand-in."""
    return devtoken.Signer.generate("ABC123DEFG")


@pytest.fixture
def server(signer: devtoken.Signer) -> Iterator[AppleStandIn]:
    """The loopback stand-in for Apple's endpoints, trusting `signer`'s key."""
    server = AppleStandIn(signer.public_key_pem()).start()
    yield server
    server.shutdown()
