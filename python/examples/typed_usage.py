"""A typed tour of the devtoken API; `mypy --strict` checks it in CI."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import devtoken
from devtoken import Claims, Finding, InvalidClaimsError, Service, Signer


def app_store_server_token(signer: Signer) -> str:
    """A fresh token per request, as Apple asks for the App Store Server API."""
    claims = Claims(
        issuer="57246542-96fe-1a63-e053-0824d011072a",
        bundle_id="com.example.app",
        ttl=timedelta(minutes=5),
    )
    return signer.sign_token(Service.APP_STORE_SERVER, claims)


def music_token(signer: Signer) -> str:
    now = datetime.now(timezone.utc)
    claims = Claims(
        issuer="DEF123GHIJ",
        issued_at=now - timedelta(seconds=30),
        expires_at=now + timedelta(days=30),
        origins=["https://music.example.com"],
    )
    return signer.sign_token(Service.APPLE_MUSIC, claims)


def explain(token: str, service: Service, public_key_pem: str) -> list[str]:
    findings: list[Finding] = devtoken.inspect_token(token, service, public_key_pem)
    return [f"{f.level}: {f.message}" for f in findings if f.level != "info"]


def main() -> None:
    signer = Signer.from_pem(devtoken.generate_private_key_pem(), "ABC123DEFG")
    for token, service in (
        (app_store_server_token(signer), Service.APP_STORE_SERVER),
        (music_token(signer), Service.APPLE_MUSIC),
    ):
        decoded = devtoken.verify_token(token, signer.public_key_pem())
        print(service.value, decoded["claims"], explain(token, service, signer.public_key_pem()))
    try:
        signer.sign_token(Service.APPS_AND_BOOKS, Claims(issuer="not-a-team-id"))
    except InvalidClaimsError as error:
        print(f"refused: {error.field} ({error.rule}): {error}")


if __name__ == "__main__":
    main()
