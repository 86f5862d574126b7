"""A loopback stand-in for Apple's token endpoints, for tests and for trying devtoken out.

It answers like Apple's pages say: `GET /v1/token` (Maps) returns a TokenResponse and
`GET /v1/test` (Apple Music, Apps and Books) returns 200 for a bearer token whose ES256 signature
verifies with the configured public key (checked with pyca/cryptography, independent of
devtoken), and a 401 ErrorResponse otherwise. Scripted answers are served first.

    python3 tests/independent/apple_stand_in.py --demo --port 8089
    devtoken maps-token --demo --issuer DEF123GHIJ --base-url http://127.0.0.1:8089

Needs `pip install cryptography`. Listens on 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import base64
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

DEMO_KEY_SOURCE = Path(__file__).resolve().parents[2] / "src" / "demo.rs"


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


class AppleStandIn(ThreadingHTTPServer):
    """The server; `script` holds (status, body, headers) answers served before the real rule."""

    def __init__(self, public_key_pem: str, port: int = 0) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        key = serialization.load_pem_public_key(public_key_pem.encode())
        assert isinstance(key, ec.EllipticCurvePublicKey)
        self.public_key = key
        self.script: list[tuple[int, str, dict[str, str]]] = []
        self.requests = 0
        self.lock = threading.Lock()

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
        with self.server.lock:
            self.server.requests += 1
            number = self.server.requests
            scripted = self.server.script.pop(0) if self.server.script else None
        if scripted is None:
            token = self.headers.get("Authorization", "").removeprefix("Bearer ")
            problem = check_token(token, self.server.public_key)
            if problem is not None:
                error = {"error": {"message": "Not Authorized", "details": [problem]}}
                scripted = (401, json.dumps(error), {})
            elif self.path == "/v1/token":
                answer = {"accessToken": f"access-{number}", "expiresInSeconds": 1800}
                scripted = (200, json.dumps(answer), {})
            else:
                scripted = (200, '{"data": []}', {})
        status, body, headers = scripted
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body.encode())


def demo_public_key_pem() -> str:
    """The public half of devtoken's published demo key (read from src/demo.rs)."""
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
    args = parser.parse_args()
    pem = demo_public_key_pem() if args.demo else args.public_key.read_text()
    server = AppleStandIn(pem, args.port)
    # Flushed, so a test that starts this with --port 0 can read the address at once.
    print(
        f"Apple stand-in on {server.base_url} (GET /v1/token, GET /v1/test); Ctrl-C stops it",
        flush=True,
    )
    server.serve_forever()


if __name__ == "__main__":
    main()
