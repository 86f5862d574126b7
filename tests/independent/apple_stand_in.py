"""A loopback stand-in for Apple's token endpoints, for tests and for trying devtoken out.

It answers like Apple's pages say: `GET /v1/token` (Maps) returns a TokenResponse and
`GET /v1/test` (Apple Music, Apps and Books) returns 200 for a bearer token whose ES256 signature
verifies with the configured public key (checked with pyca/cryptography, independent of
devtoken), and a 401 ErrorResponse otherwise. `POST /auth/oauth2/token` is the OAuth token
endpoint of Apple School and Business Manager and Apple Ads: it checks the form fields Apple
documents for the service the client id names and the assertion's signature and claims, keeps
each form in `forms`, and answers an access token for an hour or `400 {"error":
"invalid_client"}`. Scripted answers are served first.

Any other `GET` stands in for an API call made with an access token (for example Maps' `GET
/v1/geocode`): it answers 401 to a bearer token in `rejected` (or to every token while
`reject_all` is set) and to one it neither issued nor can verify as a developer token, 200
otherwise. `paths` counts the
requests per path (`GET /stand-in/paths` answers them as JSON, uncounted); `exchange_delay`
(seconds) slows every `/v1/token` answer down, for tests of callers that must not block while an
exchange is under way; `clock_behind` (seconds) sets every answer's `Date` that far in the past,
for tests of clock-offset measurement.

    python3 tests/independent/apple_stand_in.py --demo --port 8089
    devtoken maps-token --demo --issuer DEF123GHIJ --base-url http://127.0.0.1:8089

Needs `pip install cryptography`. Listens on 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import base64
import json
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

DEMO_KEY_SOURCE = Path(__file__).resolve().parents[2] / "src" / "token" / "demo.rs"


def b64url_decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def check_token(token: str, public_key: ec.EllipticCurvePublicKey) -> str | None:
    """None when Apple would accept the token's form and signature, else the reason."""
    try:
        header_b64, payload_b64, signature_b64 = token.split(".")
        header = json.loads(b64url_decode(header_b64))
        claims = json.loads(b64url_decode(payload_b64))
        signature = b64url_decode(signature_b64)
    except ValueError:
        return "not a JWS"
    if header.get("alg") != "ES256" or not header.get("kid") or not claims.get("iss"):
        return "missing alg, kid or iss"
    if len(signature) != 64:
        return "signature is not 64-byte r||s"
    der = encode_dss_signature(
        int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
    )
    try:
        public_key.verify(der, f"{header_b64}.{payload_b64}".encode(), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return "bad signature"
    return None


JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ACCOUNT_AUDIENCE = "https://account.apple.com/auth/oauth2/v2/token"
# client-id prefix: (scope, aud, form field of the assertion)
OAUTH_CLIENTS = {
    "SCHOOLAPI": ("school.api", ACCOUNT_AUDIENCE, "client_assertion"),
    "BUSINESSAPI": ("business.api", ACCOUNT_AUDIENCE, "client_assertion"),
    "SEARCHADS": ("searchadsorg", "https://appleid.apple.com", "client_secret"),
}


def check_oauth_form(form: dict[str, str], public_key: ec.EllipticCurvePublicKey) -> str | None:
    """None when Apple's token endpoint would accept the form, else the reason."""
    client_id = form.get("client_id", "")
    prefix = client_id.split(".", 1)[0]
    if prefix not in OAUTH_CLIENTS:
        return "unknown client_id"
    scope, audience, field = OAUTH_CLIENTS[prefix]
    if form.get("grant_type") != "client_credentials":
        return "grant_type is not client_credentials"
    if form.get("scope") != scope:
        return f"scope is not {scope}"
    if field == "client_assertion" and form.get("client_assertion_type") != JWT_BEARER:
        return "wrong client_assertion_type"
    other = "client_secret" if field == "client_assertion" else "client_assertion"
    if other in form or field not in form:
        return f"expected {field}"
    assertion = form[field]
    problem = check_token(assertion, public_key)
    if problem is not None:
        return problem
    header_b64, payload_b64, _ = assertion.split(".")
    header = json.loads(b64url_decode(header_b64))
    claims = json.loads(b64url_decode(payload_b64))
    if len(header["kid"]) != 36 or header["kid"].count("-") != 4:
        return "kid is not a UUID"
    if claims.get("aud") != audience or claims.get("sub") != client_id:
        return "aud or sub wrong"
    if prefix != "SEARCHADS" and (claims.get("iss") != client_id or not claims.get("jti")):
        return "iss or jti wrong"
    lifetime = claims.get("exp", 0) - claims.get("iat", 0)
    if not 0 < lifetime <= 180 * 86400:
        return "lifetime over 180 days"
    return None


class AppleStandIn(ThreadingHTTPServer):
    """The server; `script` holds (status, body, headers) answers served before the real rule."""

    # Room for a hundred clients connecting at once (socketserver's default backlog is 5).
    request_queue_size = 256

    def __init__(self, public_key_pem: str, port: int = 0) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        key = serialization.load_pem_public_key(public_key_pem.encode())
        assert isinstance(key, ec.EllipticCurvePublicKey)
        self.public_key = key
        self.script: list[tuple[int, str, dict[str, str]]] = []
        self.forms: list[dict[str, str]] = []
        self.requests = 0
        self.lock = threading.Lock()
        self.paths: Counter[str] = Counter()
        self.issued: set[str] = set()
        self.rejected: set[str] = set()
        self.reject_all = False
        self.exchange_delay = 0.0
        self.clock_behind = 0.0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def start(self) -> AppleStandIn:
        threading.Thread(target=self.serve_forever, daemon=True).start()
        return self


class _Handler(BaseHTTPRequestHandler):
    server: AppleStandIn

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass

    def do_GET(self) -> None:  # noqa: N802
        path = self.path.split("?", 1)[0]
        if path == "/stand-in/paths":  # for tests that run this as a process of its own
            with self.server.lock:
                counts = json.dumps(self.server.paths)
            self.answer((200, counts, {}))
            return
        with self.server.lock:
            self.server.requests += 1
            self.server.paths[path] += 1
            number = self.server.requests
            scripted = self.server.script.pop(0) if self.server.script else None
        if scripted is None:
            token = self.headers.get("Authorization", "").removeprefix("Bearer ")
            if path not in ("/v1/token", "/v1/test"):
                scripted = self.api_answer(token)
            elif (problem := check_token(token, self.server.public_key)) is not None:
                error = {"error": {"message": "Not Authorized", "details": [problem]}}
                scripted = (401, json.dumps(error), {})
            elif path == "/v1/token":
                time.sleep(self.server.exchange_delay)
                access_token = f"access-{number}"
                with self.server.lock:
                    self.server.issued.add(access_token)
                answer = {"accessToken": access_token, "expiresInSeconds": 1800}
                scripted = (200, json.dumps(answer), {})
            else:
                scripted = (200, '{"data": []}', {})
        self.answer(scripted)

    def api_answer(self, token: str) -> tuple[int, str, dict[str, str]]:
        """An API call: 401 for a rejected token, or one that is neither an access token this
        stand-in issued nor a developer token it can verify; 200 otherwise."""
        with self.server.lock:
            refused = self.server.reject_all or token in self.server.rejected
            known = token in self.server.issued
        if not refused and not known:
            refused = check_token(token, self.server.public_key) is not None
        if refused:
            error = {"errors": [{"status": "401", "code": "UNAUTHORIZED", "title": "Unauthorized"}]}
            return (401, json.dumps(error), {})
        return (200, '{"results": []}', {})

    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers.get("Content-Length", "0"))
        form = dict(parse_qsl(self.rfile.read(length).decode()))
        with self.server.lock:
            self.server.requests += 1
            self.server.paths[self.path] += 1
            number = self.server.requests
            self.server.forms.append(form)
            scripted = self.server.script.pop(0) if self.server.script else None
        if scripted is None:
            problem = (
                check_oauth_form(form, self.server.public_key)
                if self.path == "/auth/oauth2/token"
                else "not found"
            )
            if problem is None:
                with self.server.lock:
                    self.server.issued.add(f"oauth-{number}")
                answer = {
                    "access_token": f"oauth-{number}",
                    "token_type": "Bearer",
                    "expires_in": 3600,
                }
                scripted = (200, json.dumps(answer), {})
            else:
                error = {"error": "invalid_client", "error_description": problem}
                scripted = (400, json.dumps(error), {})
        self.answer(scripted)

    def date_time_string(self, timestamp: float | None = None) -> str:
        """The `Date` header: this stand-in's clock, `clock_behind` seconds behind the real one."""
        now = time.time() if timestamp is None else timestamp
        return super().date_time_string(now - self.server.clock_behind)

    def answer(self, scripted: tuple[int, str, dict[str, str]]) -> None:
        status, body, headers = scripted
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body.encode())


def demo_public_key_pem() -> str:
    """The public half of devtoken's published demo key (read from src/token/demo.rs)."""
    source = DEMO_KEY_SOURCE.read_text()
    pem = source[
        source.index("-----BEGIN PRIVATE KEY-----") : source.index("-----END PRIVATE KEY-----")
    ]
    pem += "-----END PRIVATE KEY-----\n"
    key = serialization.load_pem_private_key(pem.encode(), password=None)
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--demo", action="store_true", help="accept tokens of devtoken's demo key")
    group.add_argument("--public-key", type=Path, help="accept tokens of this public key (PEM)")
    parser.add_argument("--port", type=int, default=8089)
    parser.add_argument(
        "--script",
        type=json.loads,
        default=[],
        help="answers to serve first, as JSON: [[status, body, {header: value}], ...]",
    )
    parser.add_argument("--reject-all", action="store_true", help="answer 401 to every API call")
    parser.add_argument(
        "--exchange-delay", type=float, default=0.0, help="seconds each /v1/token answer waits"
    )
    parser.add_argument(
        "--clock-behind", type=float, default=0.0, help="seconds the Date header is behind"
    )
    args = parser.parse_args()
    pem = demo_public_key_pem() if args.demo else args.public_key.read_text()
    server = AppleStandIn(pem, args.port)
    server.script.extend((status, body, headers) for status, body, headers in args.script)
    server.reject_all = args.reject_all
    server.exchange_delay = args.exchange_delay
    server.clock_behind = args.clock_behind
    # Flushed, so a test that starts this with --port 0 can read the address at once.
    print(
        f"Apple stand-in on {server.base_url} (GET /v1/token, GET /v1/test, "
        "POST /auth/oauth2/token); Ctrl-C stops it",
        flush=True,
    )
    server.serve_forever()


if __name__ == "__main__":
    main()
