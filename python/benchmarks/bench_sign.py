"""Per-token signing cost in one run: devtoken vs PyJWT + cryptography vs raw cryptography,
and the cost of a cached `TokenProvider.token()`.

    python python/benchmarks/bench_sign.py [--repeat 15] [--number 2000]

Prints the median time per token of each and the ratios. "devtoken core" is the Rust
`sign_token` timed inside Rust in this same process, so "Python overhead" is what the binding
adds per call (argument conversion, releasing the GIL, building the str).
"""

from __future__ import annotations

import argparse
import statistics
import timeit

import jwt
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

import devtoken
from devtoken import Claims, Service, Signer

NOW = 1_700_000_000
ISSUER = "57246542-96fe-1a63-e053-0824d011072a"


def median_us(fn: object, number: int, repeat: int) -> float:
    times = timeit.repeat(fn, number=number, repeat=repeat)  # type: ignore[arg-type]
    return statistics.median(times) / number * 1e6


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--number", type=int, default=2000)
    args = parser.parse_args()

    pem = devtoken.generate_private_key_pem()
    signer = Signer.from_pem(pem, "ABC123DEFG")
    stock = Signer.from_pem(pem, "ABC123DEFG", stock_p256=True)
    key = serialization.load_pem_private_key(pem.encode(), password=None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    claims = Claims(issuer=ISSUER, bundle_id="com.example.app", issued_at=NOW, ttl=300)
    payload = {
        "iss": ISSUER,
        "iat": NOW,
        "exp": NOW + 300,
        "aud": "appstoreconnect-v1",
        "bid": "com.example.app",
    }
    headers = {"kid": "ABC123DEFG", "typ": "JWT"}
    service = Service.APP_STORE_SERVER
    message = signer.sign_token(service, claims, now=NOW).rpartition(".")[0].encode()
    provider = devtoken.TokenProvider(
        signer, Service.APPLE_MUSIC, Claims(issuer="DEF123GHIJ", ttl=3600)
    )
    provider.token()

    results = {
        "devtoken sign_token (Python call)": median_us(
            lambda: signer.sign_token(service, claims, now=NOW), args.number, args.repeat
        ),
        "devtoken sign_token, stock p256 backend": median_us(
            lambda: stock.sign_token(service, claims, now=NOW), args.number, args.repeat
        ),
        "devtoken core (Rust, same process)": statistics.median(
            signer._time_core_signing(service, claims, args.number, now=NOW) / args.number * 1e6
            for _ in range(args.repeat)
        ),
        "PyJWT jwt.encode ES256 (loaded key)": median_us(
            lambda: jwt.encode(payload, key, algorithm="ES256", headers=headers),
            args.number,
            args.repeat,
        ),
        "PyJWT jwt.encode ES256 (PEM per call)": median_us(
            lambda: jwt.encode(payload, pem, algorithm="ES256", headers=headers),
            args.number // 2,
            args.repeat,
        ),
        "devtoken TokenProvider.token() (cached)": median_us(
            provider.token, args.number * 10, args.repeat
        ),
        "cryptography raw ECDSA sign": median_us(
            lambda: key.sign(message, ec.ECDSA(hashes.SHA256())), args.number, args.repeat
        ),
    }
    for name, us in results.items():
        print(f"{name:<40} {us:8.2f} µs")
    ours = results["devtoken sign_token (Python call)"]
    core = results["devtoken core (Rust, same process)"]
    print(f"{'Python overhead per call':<40} {ours - core:8.2f} µs")
    loaded = results["PyJWT jwt.encode ES256 (loaded key)"]
    per_call = results["PyJWT jwt.encode ES256 (PEM per call)"]
    raw = results["cryptography raw ECDSA sign"]
    print(f"PyJWT (loaded key) / devtoken: {loaded / ours:.2f}")
    print(f"PyJWT (PEM per call) / devtoken: {per_call / ours:.2f}")
    print(f"devtoken / raw cryptography sign: {ours / raw:.2f}")


if __name__ == "__main__":
    main()
