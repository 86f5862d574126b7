"""The shared vectors give byte-identical tokens from Python (errors: test_error_vectors.py)."""

from __future__ import annotations

from typing import Any

import pytest

from conftest import VECTORS
from devtoken import Claims, Service, Signer


def claims_from(spec: dict[str, Any]) -> Claims:
    return Claims(**spec)


def signer_for(case: dict[str, Any]) -> Signer:
    key = VECTORS["key"]
    key_id = case.get("key_id", key["key_id"])
    return Signer.from_pem(key["pem"], key_id, clock_skew=case["clock_skew"])


@pytest.mark.parametrize("case", VECTORS["tokens"], ids=[c["name"] for c in VECTORS["tokens"]])
def test_token_vector(case: dict[str, Any]) -> None:
    token = signer_for(case).sign_token(
        Service(case["service"]), claims_from(case["claims"]), now=case["now"]
    )
    assert token == case["token"]
    key = VECTORS["key"]
    stock = Signer.from_pem(
        key["pem"],
        case.get("key_id", key["key_id"]),
        clock_skew=case["clock_skew"],
        stock_p256=True,
    )
    claims = claims_from(case["claims"])
    assert stock.sign_token(Service(case["service"]), claims, now=case["now"]) == token
