#!/usr/bin/env python3
"""Fuzzes the public Python API of devtoken with atheris (issue #17).

    python python/fuzz/fuzz_devtoken.py [libFuzzer flags...] python/fuzz/corpus
    python python/fuzz/fuzz_devtoken.py --write-seeds DIR    # the seed inputs, from the vectors

``one_input`` is the whole harness: it reads its arguments from the fuzzer's bytes with
``Input`` (this file's own reader, so the corpus replays without atheris, as
python/tests/test_fuzz_corpus.py does) and calls one part of the API:

- key loading: ``Signer.from_pem`` (str or bytes, any key id), ``Signer.from_file`` (any file
  name), public keys in ``verify_token``, ``inspect_token`` and ``verify_promotional_offer_v1``;
- ``Claims`` with any values (extreme and out-of-range ints, datetimes, timedeltas) signed by
  ``sign_token`` for any service at any ``now``;
- ``verify_token``, ``decode_token`` and ``inspect_token`` on any text;
- the StoreKit signatures (promotional offer V2 and V1, introductory-offer eligibility, Advanced
  Commerce) with any fields;
- ``ManualClock``, ``TokenProvider``, ``MapsTokenProvider`` and ``OAuthTokenProvider`` with any
  options; nothing that goes to the network is called (no ``access_token``, no ``probe``).

The oracle: an exception is one of devtoken's ``TokenError`` classes (its ``kind`` matching the
class, its message free of control characters and bounded), or a documented argument conversion
failure whose precondition the harness checks: ``OverflowError`` for an int outside the 64-bit
range of the parameter (or beyond a float), ``UnicodeEncodeError`` for a str holding a lone
surrogate, ``ValueError`` for an unknown service name or a naive datetime. A timedelta with a
fraction of a second is the core's ``InvalidClaimsError`` (rule ``whole_seconds``), and nothing
else may succeed or fail in its place. Anything else (``pyo3_runtime.PanicException``,
``SystemError``, ...) is a crash, and so is a call that succeeds although such a precondition
holds. What succeeds is checked: a key that loads signs a token that verifies; a signed token
verifies with the signer's public key, decodes to the same claims with PyJWT and inspects without
an error at the time it was signed; a V1 signature verifies with devtoken and with
``cryptography``.
"""

from __future__ import annotations

import base64
import hashlib
import importlib
import json
import os
import struct
import sys
import tempfile
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, TypeVar, Union

if __name__ == "__main__" and "--write-seeds" not in sys.argv:
    # Before devtoken is imported: atheris' libFuzzer with its symbols global, so that an
    # extension built with SanitizerCoverage (python/fuzz/run.sh) finds its __sanitizer_cov_*
    # hooks and libFuzzer counts the Rust core's coverage too. atheris is needed only here.
    sys.setdlopenflags(sys.getdlopenflags() | os.RTLD_GLOBAL)
    importlib.import_module("atheris.core_with_libfuzzer")
    sys.setdlopenflags(sys.getdlopenflags() & ~os.RTLD_GLOBAL)

import jwt  # noqa: E402
from cryptography.exceptions import InvalidSignature  # noqa: E402
from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402

import devtoken  # noqa: E402
from devtoken import (  # noqa: E402
    Claims,
    ManualClock,
    MapsTokenProvider,
    OAuthTokenProvider,
    Service,
    Signer,
    TokenError,
    TokenProvider,
)

T = TypeVar("T")

REPO = Path(__file__).resolve().parents[2]
VECTORS: dict[str, Any] = json.loads((REPO / "tests" / "vectors" / "tokens.json").read_text())
STOREKIT: list[dict[str, Any]] = json.loads(
    (REPO / "tests" / "vectors" / "storekit.json").read_text(encoding="utf-8")
)
KEY_PEM: str = VECTORS["key"]["pem"]
KEY_ID: str = VECTORS["key"]["key_id"]
NOW = 1_700_000_000

I64_MIN, I64_MAX = -(2**63), 2**63 - 1
U64_MAX = 2**64 - 1
# Ints the fuzzer picks by index: the edges of i64 and u64 and just past them.
EXTREME_INTS: tuple[int, ...] = (I64_MIN, I64_MAX, 0, -1, 1, I64_MIN - 1, I64_MAX + 1, U64_MAX)
EXTREME_INTS += (U64_MAX + 1, -(2**100), 2**100, 2**1100, NOW, 253_402_300_799, 253_402_300_800)
# Python's datetime range in UNIX seconds.
DATETIME_MIN, DATETIME_MAX = -62_135_596_800, 253_402_300_799
SERVICES = list(Service)
SERVICE_NAMES = frozenset(devtoken.service_names())
# Rust's `str::trim` strips Unicode White_Space (Python's `str.strip()` strips a different set).
RUST_WHITESPACE = "\t\n\x0b\x0c\r \x85\xa0\u1680" + "".join(map(chr, range(0x2000, 0x200B)))
RUST_WHITESPACE += "\u2028\u2029\u202f\u205f\u3000"
ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
CLASSES: dict[str, type[BaseException]] = {
    "invalid_key": devtoken.InvalidKeyError,
    "invalid_claim": devtoken.InvalidClaimsError,
    "malformed_token": devtoken.MalformedTokenError,
    "bad_signature": devtoken.SignatureError,
    "invalid_option": devtoken.InvalidOptionError,
    "refresh_too_soon": devtoken.RefreshTooSoonError,
    "apple_rejected": devtoken.AppleRejectedError,
    "quota_exceeded": devtoken.QuotaExceededError,
    "network": devtoken.NetworkError,
    "malformed_response": devtoken.MalformedResponseError,
}
# The longest message a devtoken exception or finding may carry (values from the caller or a
# token are cut by the core, not echoed whole).
MAX_MESSAGE_CHARS = 2048
LEVELS = frozenset({"error", "warning", "info"})
V1_SEPARATOR = "\u2063"
# PyJWT checks the signature only: the claims are devtoken's to judge.
PYJWT_OPTIONS: Any = {
    "verify_signature": True,
    "verify_exp": False,
    "verify_nbf": False,
    "verify_iat": False,
    "verify_aud": False,
    "verify_iss": False,
    "verify_sub": False,
    "verify_jti": False,
}


class Input:
    """Reads typed values from the front of the fuzzer's bytes; once they run out, zeros.

    The same reader runs under atheris and in the corpus replay, so a committed input means the
    same calls everywhere. ``surrogates`` (chosen by the first byte) makes ``text`` decode with
    ``surrogateescape``, so str arguments may hold lone surrogates.
    """

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0
        self.surrogates = False

    def take(self, n: int) -> bytes:
        chunk = self.data[self.pos : self.pos + max(n, 0)]
        self.pos += len(chunk)
        return chunk

    def u8(self) -> int:
        chunk = self.take(1)
        return chunk[0] if chunk else 0

    def flag(self) -> bool:
        return self.u8() % 2 == 1

    def u16(self) -> int:
        return int.from_bytes(self.take(2), "little")

    def i64(self) -> int:
        return int.from_bytes(self.take(8).ljust(8, b"\0"), "little", signed=True)

    def f64_bits(self) -> float:
        value: float = struct.unpack("<d", self.take(8).ljust(8, b"\0"))[0]
        return value

    def blob(self) -> bytes:
        return self.take(self.u16())

    def text(self) -> str:
        raw = self.blob()
        return raw.decode("utf-8", "surrogateescape" if self.surrogates else "replace")

    def rest(self) -> bytes:
        return self.take(len(self.data) - self.pos)

    def integer(self) -> int:
        """An int: an edge of i64/u64 (or past it), a realistic time, a small one, any i64."""
        mode = self.u8() % 4
        if mode == 0:
            return EXTREME_INTS[self.u8() % len(EXTREME_INTS)]
        if mode == 1:
            return NOW + (self.u8() - 128) * 600
        if mode == 2:
            return self.u8() - 128
        return self.i64()

    def number(self) -> float | int:
        """A float argument: any bit pattern (NaN, infinities), a small value, or an int."""
        mode = self.u8() % 3
        if mode == 0:
            return self.f64_bits()
        if mode == 1:
            return self.u8() / 4
        return self.integer()


Time = Union[int, datetime]
Duration = Union[int, timedelta]


class Why:
    """The argument conversion failures one call may raise, from what was passed to it."""

    def __init__(self) -> None:
        self.overflow = False
        self.surrogate = False
        self.unknown_service = False
        self.naive = False
        # Not a conversion failure: the core refuses a fractional duration (rule whole_seconds).
        self.fraction = False

    def bad(self) -> bool:
        return self.overflow or self.surrogate or self.unknown_service or self.naive

    def i64(self, value: int) -> int:
        if not I64_MIN <= value <= I64_MAX:
            self.overflow = True
        return value

    def opt_i64(self, value: int | None) -> int | None:
        return None if value is None else self.i64(value)

    def f64(self, value: float | int) -> float | int:
        if isinstance(value, int):
            try:
                float(value)
            except OverflowError:
                self.overflow = True
        return value

    def opt_f64(self, value: float | int | None) -> float | int | None:
        return None if value is None else self.f64(value)

    def text(self, value: str) -> str:
        if any(0xD800 <= ord(c) <= 0xDFFF for c in value):
            self.surrogate = True
        return value

    def opt_text(self, value: str | None) -> str | None:
        return None if value is None else self.text(value)

    def texts(self, value: str | list[str] | None) -> str | list[str] | None:
        for item in [value] if isinstance(value, str) else value or []:
            self.text(item)
        return value

    def pem(self, value: str | bytes) -> str | bytes:
        return self.text(value) if isinstance(value, str) else value

    def service(self, value: Service | str) -> Service | str:
        """A name is trimmed, ASCII-lower-cased and `_` read as `-` (as the core parses it)."""
        if isinstance(value, Service):
            return value
        if any(0xD800 <= ord(c) <= 0xDFFF for c in value):
            self.surrogate = True
        else:
            wanted = value.strip(RUST_WHITESPACE).translate(ASCII_LOWER).replace("_", "-")
            if wanted not in SERVICE_NAMES:
                self.unknown_service = True
        return value

    def time(self, value: Time | None) -> Time | None:
        if isinstance(value, datetime):
            if value.tzinfo is None:
                self.naive = True
        elif value is not None:
            self.i64(value)
        return value

    def duration(self, value: Duration | None) -> Duration | None:
        if isinstance(value, timedelta):
            if value.microseconds:
                self.fraction = True
        elif value is not None:
            self.i64(value)
        return value


def check_message(text: str, what: str) -> None:
    assert len(text) <= MAX_MESSAGE_CHARS, f"{what}: {len(text)} characters: {text[:200]!r}..."
    bad = [c for c in text if ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0]
    assert not bad, f"{what} holds control characters {bad[:5]}: {text[:300]!r}"


def check_error(error: TokenError) -> None:
    """A devtoken exception: its class is its kind's, its codes are strings, its text clean."""
    kind = error.kind
    assert type(error) is CLASSES[kind], f"{type(error).__name__} with kind {kind}"
    assert error.field is None or isinstance(error.field, str)
    assert error.rule is None or isinstance(error.rule, str)
    if isinstance(error, devtoken.InvalidKeyError):
        assert error.field == "key", error.field
    check_message(str(error), f"{type(error).__name__} message")
    check_message(repr(error), f"{type(error).__name__} repr")


def check_conversion(error: BaseException, why: Why) -> None:
    """A Python exception from an argument conversion: allowed only when `why` says so."""
    message = str(error)
    if type(error) is OverflowError:
        assert why.overflow, f"OverflowError with every int in range: {message}"
    elif type(error) is UnicodeEncodeError:
        assert why.surrogate, f"UnicodeEncodeError without a surrogate: {message}"
    elif type(error) is ValueError and message.startswith("unknown service"):
        assert why.unknown_service, f"a known service refused: {message}"
        check_message(message, "unknown service message")
    elif type(error) is ValueError and "naive datetime" in message:
        assert why.naive, f"naive datetime error for an aware one: {message}"
    else:
        raise AssertionError(f"{type(error).__name__} is not a devtoken error: {message}") from (
            error
        )


def attempt(why: Why, call: Callable[[], T]) -> T | None:
    """Calls `call`; None when it raised an allowed exception, which the oracle checks."""
    try:
        result = call()
    except TokenError as error:
        check_error(error)
        if error.rule == "whole_seconds":
            # Arguments convert in order, so the core's refusal of a fractional timedelta may come
            # before another argument's conversion error.
            assert why.fraction, f"whole-seconds error for whole seconds: {error}"
            assert type(error) is devtoken.InvalidClaimsError, type(error).__name__
            return None
        assert not why.bad(), f"{type(error).__name__} where a conversion error was due: {error}"
        assert not why.fraction, f"{type(error).__name__} where whole_seconds was due: {error}"
        return None
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as error:  # noqa: B036 - PanicException is a BaseException
        check_conversion(error, why)
        return None
    assert not why.bad(), f"succeeded with an argument it cannot convert: {vars(why)}"
    assert not why.fraction, "succeeded with a timedelta of a fraction of a second"
    assert result is not None
    return result


# -- reading arguments ---------------------------------------------------------------------------


def read_service(inp: Input) -> Service | str:
    """A Service member, a spelling of a name (case, `_`, spaces), or any text."""
    choice = inp.u8()
    if choice < 200:
        return SERVICES[choice % len(SERVICES)]
    if choice < 240:
        name = SERVICES[choice % len(SERVICES)].value
        spelling = inp.u8()
        if spelling & 1:
            name = name.upper()
        if spelling & 2:
            name = name.replace("-", "_")
        if spelling & 4:
            name = f" {name}\t"
        return name
    return inp.text()


def read_int_or(inp: Input, modes: int, other: int, make: Callable[[int], T]) -> int | T | None:
    """None (mode 0), any int (modes 1 to `other` - 1), or `make(mode)` (the modes from `other`)."""
    mode = inp.u8() % modes
    if mode == 0:
        return None
    return inp.integer() if mode < other else make(mode)


def read_time(inp: Input) -> Time | None:
    """None, an int (any), or an aware or naive datetime within Python's range."""

    def moment(mode: int) -> datetime:
        secs = min(max(inp.integer(), DATETIME_MIN), DATETIME_MAX)
        aware = datetime.fromtimestamp(secs, timezone.utc)
        return aware if mode == 6 else aware.replace(tzinfo=None)

    return read_int_or(inp, 8, 6, moment)


def read_duration(inp: Input) -> Duration | None:
    """None, an int (any), or a timedelta (whole seconds, or with a quarter of a second)."""

    def span(_: int) -> timedelta:
        return timedelta(seconds=inp.u16() - 30_000, microseconds=inp.u8() % 2 * 250_000)

    return read_int_or(inp, 6, 5, span)


def read_opt_text(inp: Input) -> str | None:
    return inp.text() if inp.flag() else None


def read_texts(inp: Input) -> str | list[str] | None:
    mode = inp.u8() % 4
    if mode == 0:
        return None
    if mode == 1:
        return inp.text()
    return [inp.text() for _ in range(inp.u8() % 4)]


def read_claims(inp: Input, why: Why) -> Callable[[], Claims]:
    issuer = why.opt_text(read_opt_text(inp))
    issued_at = why.time(read_time(inp))
    expires_at = why.time(read_time(inp))
    ttl = why.duration(read_duration(inp))
    origins = why.texts(read_texts(inp))
    bundle_id = why.opt_text(read_opt_text(inp))
    subject = why.opt_text(read_opt_text(inp))
    scope = why.texts(read_texts(inp))
    jwt_id = why.opt_text(read_opt_text(inp))
    return lambda: Claims(
        issuer,
        issued_at=issued_at,
        expires_at=expires_at,
        ttl=ttl,
        origins=origins,
        bundle_id=bundle_id,
        subject=subject,
        scope=scope,
        jwt_id=jwt_id,
    )


def read_pem(inp: Input) -> str | bytes:
    return inp.blob() if inp.flag() else inp.text()


# -- checking what succeeds ----------------------------------------------------------------------


_PUBLIC_KEYS: dict[str, ec.EllipticCurvePublicKey] = {}


def public_key(pem: str) -> ec.EllipticCurvePublicKey:
    key = _PUBLIC_KEYS.get(pem)
    if key is None:
        loaded = serialization.load_pem_public_key(pem.encode())
        assert isinstance(loaded, ec.EllipticCurvePublicKey)
        assert isinstance(loaded.curve, ec.SECP256R1)
        key = _PUBLIC_KEYS[pem] = loaded
    return key


def check_token(token: str, signer: Signer, audience: str | None = None) -> dict[str, Any]:
    """A token devtoken signed: it verifies with devtoken and PyJWT to the same contents."""
    assert isinstance(token, str) and token.count(".") == 2, token
    pem = signer.public_key_pem()
    verified = devtoken.verify_token(token, pem)
    assert devtoken.decode_token(token) == verified
    assert verified["header"]["alg"] == "ES256"
    assert verified["header"]["kid"] == signer.key_id
    claims: dict[str, Any] = jwt.decode(
        token, public_key(pem), algorithms=["ES256"], options=PYJWT_OPTIONS
    )
    assert claims == verified["claims"], (claims, verified["claims"])
    assert jwt.get_unverified_header(token) == verified["header"]
    if audience is not None:
        assert claims["aud"] == audience, claims
    return verified


def check_findings(findings: Sequence[devtoken.Finding]) -> None:
    for finding in findings:
        assert finding.level in LEVELS, finding.level
        assert isinstance(finding.code, str) and finding.code
        check_message(finding.message, f"finding {finding.code}")
        str(finding)
        repr(finding)


def check_no_token_in(text: str, *tokens: str | None) -> None:
    for token in tokens:
        if token:
            assert token not in text, f"a token in {text[:100]!r}"


# -- the parts of the API ------------------------------------------------------------------------

_SIGNERS: dict[tuple[str, int | None, bool], Signer | None] = {}


def signer_for(key_id: str, clock_skew: int | None, stock: bool = False) -> Signer | None:
    """The vector key as a Signer with this key id, skew and backend (None when devtoken refuses
    them)."""
    cache_key = (key_id, clock_skew, stock)
    if cache_key not in _SIGNERS:
        if len(_SIGNERS) > 256:
            _SIGNERS.clear()
        why = Why()
        why.text(key_id)
        why.opt_i64(clock_skew)
        _SIGNERS[cache_key] = attempt(
            why, lambda: Signer.from_pem(KEY_PEM, key_id, clock_skew=clock_skew, stock_p256=stock)
        )
    return _SIGNERS[cache_key]


def read_signer(inp: Input) -> Signer | None:
    """The vector key with any key id and skew; bit 1 of the first byte picks the stock P-256
    backend (which signs the same bytes, RFC 6979)."""
    choice = inp.u8()
    key_id = inp.text() if choice & 1 else KEY_ID
    clock_skew = inp.integer() if inp.flag() else None
    return signer_for(key_id, clock_skew, bool(choice & 2))


def fuzz_generate(inp: Input) -> None:
    """Signer.generate with any key id and skew; a fresh PEM; the core's defaults."""
    key_id = inp.text() if inp.flag() else KEY_ID
    clock_skew = inp.integer() if inp.flag() else None
    stock = inp.flag()
    why = Why()
    why.text(key_id)
    why.opt_i64(clock_skew)
    signer = attempt(why, lambda: Signer.generate(key_id, clock_skew=clock_skew, stock_p256=stock))
    if signer is not None:
        assert signer.key_id == key_id
        assert clock_skew is None or signer.clock_skew == clock_skew
        repr(signer)
        token = attempt(Why(), lambda: signer.sign_token(*service_for(key_id)))
        if token is not None:
            check_token(token, signer)
    pem = devtoken.generate_private_key_pem()
    check_loaded_key(Signer.from_pem(pem, KEY_ID, stock_p256=stock), pem)
    defaults = devtoken.core_defaults()
    assert all(value is not None for value in defaults.values()), defaults
    assert sorted(devtoken.service_names()) == sorted(s.value for s in SERVICES)


def fuzz_keys(inp: Input) -> None:
    """Private keys from any text or bytes with any key id; public keys from any text."""
    key_id = inp.text() if inp.flag() else KEY_ID
    clock_skew = inp.integer() if inp.flag() else None
    stock = inp.flag()
    pem = read_pem(inp)
    why = Why()
    why.pem(pem)
    why.text(key_id)
    why.opt_i64(clock_skew)
    signer = attempt(
        why, lambda: Signer.from_pem(pem, key_id, clock_skew=clock_skew, stock_p256=stock)
    )
    if signer is not None:
        check_loaded_key(signer, pem)
    check_public_key(pem, why=Why())


def service_for(key_id: str) -> tuple[Service, Claims]:
    """A service and claims that a signer with this key id signs: a 10-character key id signs
    Apple Music tokens, a UUID key id (the only other shape a Signer takes) Apple School Manager
    client assertions."""
    if len(key_id) == 10:
        return Service.APPLE_MUSIC, Claims("FUZZTEAM01")
    client_id = "SCHOOLAPI.27478e71-3bb0-4588-998c-182e2b405577"
    return Service.SCHOOL_MANAGER, Claims(client_id, subject=client_id)


def check_loaded_key(signer: Signer, pem: str | bytes) -> None:
    """A key that loads signs a token that verifies; where cryptography reads the same PEM, it
    is the same key."""
    repr(signer)
    public_pem = signer.public_key_pem()
    token = signer.sign_token(*service_for(signer.key_id), now=NOW)
    check_token(token, signer)
    text = pem.encode("utf-8", "surrogateescape") if isinstance(pem, str) else pem
    try:
        theirs = serialization.load_pem_private_key(text, password=None)
    except Exception:  # cryptography's refusals are not under test
        return
    if isinstance(theirs, ec.EllipticCurvePrivateKey):
        ours = public_key(public_pem).public_numbers()
        assert theirs.public_key().public_numbers() == ours, "another key than cryptography's"


def check_public_key(pem: str | bytes, why: Why) -> None:
    why.pem(pem)
    verified = attempt(why, lambda: devtoken.verify_token(SIGNED_TOKEN, pem))
    if verified is not None:
        assert verified == devtoken.decode_token(SIGNED_TOKEN)
    findings = attempt(why, lambda: devtoken.inspect_token(SIGNED_TOKEN, None, pem, now=NOW))
    if findings is not None:
        check_findings(findings)


def fuzz_key_file(inp: Input) -> None:
    """Signer.from_file: the key id from any file name, or given."""
    # One path component of at most 200 bytes (NAME_MAX is 255).
    name = inp.text().replace("/", "_").replace("\0", "_").encode("utf-8", "replace")[:200]
    if name in (b"", b".", b".."):
        name = b"AuthKey_" + KEY_ID.encode() + b".p8"
    key_id = read_opt_text(inp)
    contents = KEY_PEM.encode() if inp.flag() else inp.blob()
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(os.fsencode(folder), name)
        with open(path, "wb") as file:
            file.write(contents)
        why = Why()
        why.opt_text(key_id)
        text_path = os.fsdecode(path)
        signer = attempt(why, lambda: Signer.from_file(text_path, key_id))
    if signer is not None:
        check_loaded_key(signer, contents)


def fuzz_tokens(inp: Input) -> None:
    """verify_token, decode_token and inspect_token on any text (a token from the vectors,
    mutated, or anything)."""
    service = read_service(inp) if inp.flag() else None
    now = inp.integer() if inp.flag() else None
    key = inp.u8() % 4
    pem: str | bytes | None = [None, PUBLIC_PEM, PUBLIC_PEM.encode(), None][key]
    if key == 3:
        pem = read_pem(inp)
    token = inp.rest().decode("utf-8", "surrogateescape" if inp.surrogates else "replace")
    why = Why()
    why.text(token)
    decoded = attempt(why, lambda: devtoken.decode_token(token))
    verified = attempt(why, lambda: devtoken.verify_token(token, PUBLIC_PEM))
    if verified is not None:
        assert decoded == verified
        # What devtoken accepts, PyJWT accepts with the same contents, once the token is read
        # as devtoken reads it: surrounding whitespace and a `Bearer ` prefix are dropped.
        compact = token.strip(RUST_WHITESPACE)
        if compact.startswith(("Bearer ", "bearer ")):
            compact = compact[len("Bearer ") :].strip(RUST_WHITESPACE)
        claims = jwt.decode(
            compact, public_key(PUBLIC_PEM), algorithms=["ES256"], options=PYJWT_OPTIONS
        )
        assert claims == verified["claims"]
    why = Why()
    why.text(token)
    if service is not None:
        why.service(service)
    if pem is not None:
        why.pem(pem)
    why.opt_i64(now)
    findings = attempt(why, lambda: devtoken.inspect_token(token, service, pem, now=now))
    if findings is not None:
        check_findings(findings)


def read_signing(
    inp: Input,
) -> tuple[Signer | None, Service | str, Callable[[], Claims], Claims | None]:
    """A signer, a service and claims with any values (None where devtoken refuses them)."""
    signer = read_signer(inp)
    service = read_service(inp)
    why = Why()
    make_claims = read_claims(inp, why)
    return signer, service, make_claims, attempt(why, make_claims)


def fuzz_sign(inp: Input) -> None:
    """Claims with any values, signed for any service at any time."""
    signer, service, make_claims, claims = read_signing(inp)
    now = inp.integer() if inp.flag() else None
    if signer is None or claims is None:
        return
    repr(claims)
    assert claims == make_claims() and hash(claims) == hash(make_claims())
    why = Why()
    why.service(service)
    why.opt_i64(now)
    token = attempt(why, lambda: signer.sign_token(service, claims, now=now))
    if token is None:
        return
    check_token(token, signer)
    if now is not None:
        # What the core signs at `now`, it finds nothing wrong with at `now`.
        findings = devtoken.inspect_token(token, service, signer.public_key_pem(), now=now)
        check_findings(findings)
        errors = [f for f in findings if f.level == "error"]
        assert not errors, f"signed for {service} at {now}, then {errors}"


def fuzz_storekit(inp: Input) -> None:
    """The StoreKit JWS signatures with any fields and times."""
    signer = read_signer(inp)
    kind = inp.u8() % 3
    issuer = inp.text()
    bundle = inp.text()
    nonce = read_opt_text(inp)
    now = read_time(inp)
    why = Why()
    why.text(issuer)
    why.text(bundle)
    why.opt_text(nonce)
    why.time(now)
    if signer is None:
        return
    audience: str
    call: Callable[[], str]
    if kind == 0:
        product, offer, transaction = inp.text(), inp.text(), read_opt_text(inp)
        why.text(product)
        why.text(offer)
        why.opt_text(transaction)
        audience = "promotional-offer"

        def call() -> str:
            return signer.promotional_offer(
                issuer, bundle, product, offer, transaction_id=transaction, nonce=nonce, now=now
            )

    elif kind == 1:
        product, allow, transaction_id = inp.text(), inp.flag(), inp.text()
        why.text(product)
        why.text(transaction_id)
        audience = "introductory-offer-eligibility"

        def call() -> str:
            return signer.intro_offer_eligibility(
                issuer, bundle, product, allow, transaction_id, nonce=nonce, now=now
            )

    else:
        request: str | bytes = inp.blob() if inp.flag() else inp.text()
        if isinstance(request, str):
            why.text(request)
        audience = "advanced-commerce-api"

        def call() -> str:
            return signer.advanced_commerce_request(issuer, bundle, request, nonce=nonce, now=now)

    token = attempt(why, call)
    if token is not None:
        claims = check_token(token, signer, audience)["claims"]
        assert claims["iss"] == issuer and claims["bid"] == bundle, claims
        if nonce is not None:
            assert claims["nonce"] == nonce, (claims["nonce"], nonce)


def fuzz_offer_v1(inp: Input) -> None:
    """Promotional offer V1: signed with any fields, checked by devtoken and by cryptography;
    any signature and public key through the V1 check."""
    signer = read_signer(inp)
    bundle, product, offer = inp.text(), inp.text(), inp.text()
    username, nonce = read_opt_text(inp), read_opt_text(inp)
    timestamp = inp.integer() if inp.flag() else None
    why = Why()
    for text in (bundle, product, offer):
        why.text(text)
    why.opt_text(username)
    why.opt_text(nonce)
    why.opt_i64(timestamp)
    if signer is not None:
        signed = attempt(
            why,
            lambda: signer.promotional_offer_v1(
                bundle,
                product,
                offer,
                application_username=username,
                nonce=nonce,
                timestamp_ms=timestamp,
            ),
        )
        if signed is not None:
            check_v1(signer, signed, bundle, product, offer, username, nonce)
    # Any signature text with any public key through the check.
    signature = inp.text()
    pem: str | bytes = PUBLIC_PEM if inp.flag() else read_pem(inp)
    check_nonce = nonce if nonce is not None else inp.text()
    check_time = timestamp if timestamp is not None else inp.integer()
    why.text(signature)
    why.pem(pem)
    why.text(check_nonce)
    why.i64(check_time)
    verdict = attempt(
        why,
        lambda: devtoken.verify_promotional_offer_v1(
            pem,
            signature,
            key_id=KEY_ID,
            bundle_id=bundle,
            product_id=product,
            offer_id=offer,
            nonce=check_nonce,
            timestamp_ms=check_time,
            application_username=username,
        ),
    )
    assert verdict is None or isinstance(verdict, bool)


def check_v1(
    signer: Signer,
    signed: devtoken.PromotionalOfferV1Signature,
    bundle: str,
    product: str,
    offer: str,
    username: str | None,
    nonce: str | None,
) -> None:
    assert signed.key_id == signer.key_id
    if nonce is not None:
        assert signed.nonce == nonce.lower(), (signed.nonce, nonce)
    repr(signed)
    assert devtoken.verify_promotional_offer_v1(
        signer.public_key_pem(),
        signed.signature,
        key_id=signed.key_id,
        bundle_id=bundle,
        product_id=product,
        offer_id=offer,
        nonce=signed.nonce,
        timestamp_ms=signed.timestamp_ms,
        application_username=username,
    )
    # Apple's V1 payload: the fields joined by U+2063, the username and nonce lower-cased.
    fields = [bundle, signed.key_id, product, offer, (username or "").lower(), signed.nonce]
    payload = V1_SEPARATOR.join([*fields, str(signed.timestamp_ms)])
    try:
        public_key(signer.public_key_pem()).verify(
            base64.b64decode(signed.signature, validate=True),
            payload.encode(),
            ec.ECDSA(hashes.SHA256()),
        )
    except InvalidSignature:
        raise AssertionError(f"cryptography refuses the V1 signature over {payload!r}") from None


def read_clock(inp: Input, why: Why) -> Callable[[], ManualClock | None]:
    """No clock (the system's), or a manual one at any time."""
    if not inp.flag():
        return lambda: None
    start = why.i64(inp.integer())
    return lambda: ManualClock(start)


def _move(clock: ManualClock, advance: bool, amount: int) -> bool:
    if advance:
        clock.advance(amount)
    else:
        clock.set(amount)
    return True


def move_clock(inp: Input, clock: ManualClock) -> None:
    """Sets the clock to any time, or advances it by any amount (saturating at the i64 ends)."""
    amount = inp.integer()
    advance = inp.flag()
    why = Why()
    why.i64(amount)
    before = clock.now()
    if attempt(why, lambda: _move(clock, advance, amount)):
        expected = min(max(before + amount, I64_MIN), I64_MAX) if advance else amount
        assert clock.now() == expected, (
            f"{before} {'+' if advance else '->'} {amount}: {clock.now()}"
        )
    repr(clock)


def fuzz_token_provider(inp: Input) -> None:
    """TokenProvider with any options on a manual clock moved to any time."""
    signer, service, _, claims = read_signing(inp)
    why = Why()
    margin = why.opt_f64(inp.number() if inp.flag() else None)
    min_margin = why.opt_i64(inp.integer() if inp.flag() else None)
    renew_after = why.opt_i64(inp.integer() if inp.flag() else None)
    reuse = inp.flag() if inp.flag() else None
    why.service(service)
    start = inp.integer() if inp.flag() else NOW
    clock_why = Why()
    clock_why.i64(start)
    clock = attempt(clock_why, lambda: ManualClock(start))
    if signer is None or claims is None or clock is None:
        return
    provider = attempt(
        why,
        lambda: TokenProvider(
            signer,
            service,
            claims,
            margin_fraction=margin,
            min_margin=min_margin,
            renew_after=renew_after,
            reuse_per_request_tokens=reuse,
            clock=clock,
        ),
    )
    if provider is None:
        return
    options = provider.options
    if margin is not None:
        assert options["margin_fraction"] == margin, (options, margin)
    if min_margin is not None:
        assert options["min_margin_secs"] == min_margin, (options, min_margin)
    if renew_after is not None:
        assert options["renew_after_secs"] == renew_after, (options, renew_after)
    if reuse is not None:
        assert options["reuse_per_request_tokens"] == reuse, (options, reuse)
    assert provider.signature_count == 0 and provider.expires_at() is None
    tokens: list[str] = []
    for _ in range(inp.u8() % 5):
        step = inp.u8() % 3
        token = None
        if step == 0:
            token = attempt(Why(), provider.token)
        elif step == 1:
            token = attempt(Why(), provider.force_refresh)
        else:
            move_clock(inp, clock)
        if token is not None:
            tokens.append(token)
            check_token(token, signer)
        provider.seconds_left()
        current = provider.claims
        assert current is None or isinstance(current, dict)
    assert provider.signature_count >= len(set(tokens))
    check_no_token_in(repr(provider) + str(provider), *tokens)


def read_http(inp: Input, why: Why) -> dict[str, Any]:
    """The network options: any values (nothing is asked of the network)."""
    given: dict[str, Any] = {}
    if inp.flag():
        given["margin_fraction"] = why.f64(inp.number())
    if inp.flag():
        given["min_margin"] = why.i64(inp.integer())
    for name in ("connect_timeout", "read_timeout", "deadline"):
        if inp.flag():
            given[name] = why.f64(inp.number())
    for name in ("user_agent", "extra_ca_pem"):
        if inp.flag():
            given[name] = why.text(inp.text())
    if inp.flag():
        given["max_retries"] = why.i64(inp.integer())
    return given


def check_options(options: dict[str, Any] | Any, given: dict[str, Any]) -> None:
    for name, value in given.items():
        core_name = {"min_margin": "min_margin_secs"}.get(name, name)
        if name in ("connect_timeout", "read_timeout", "deadline"):
            core_name = f"{name}_secs"
        if name == "extra_ca_pem":
            continue
        assert core_name in options, (core_name, options)
        if isinstance(value, float) and name.endswith(("timeout", "deadline")):
            # Durations hold nanoseconds.
            assert abs(options[core_name] - value) <= 1e-6 * max(1.0, value), (options, given)
        elif name != "max_retries" or value <= 10:
            assert options[core_name] == value, (core_name, options[core_name], value)


def fuzz_maps_provider(inp: Input) -> None:
    """MapsTokenProvider with any options; only the signed Maps token is asked for."""
    signer = read_signer(inp)
    why = Why()
    make_claims = read_claims(inp, why)
    claims = attempt(why, make_claims)
    why = Why()
    base_url = why.opt_text(read_opt_text(inp))
    given = read_http(inp, why)
    make_clock = read_clock(inp, why)
    if signer is None or claims is None:
        return
    provider = attempt(
        why,
        lambda: MapsTokenProvider(signer, claims, base_url, clock=make_clock(), **given),
    )
    if provider is None:
        return
    check_options(provider.options, given)
    assert provider.expires_at() is None and provider.exchange_count == 0
    token = attempt(Why(), provider.maps_token)
    if token is not None:
        check_token(token, signer)
    assert provider.exchange_count == 0
    check_no_token_in(repr(provider) + str(provider), token)


def fuzz_oauth_provider(inp: Input) -> None:
    """OAuthTokenProvider with any client id, team id and options; only the signed client
    assertion is asked for, and invalidate with any token."""
    signer = read_signer(inp)
    service = read_service(inp)
    client_id = inp.text()
    team_id = read_opt_text(inp)
    why = Why()
    why.service(service)
    why.text(client_id)
    why.opt_text(team_id)
    base_url = why.opt_text(read_opt_text(inp))
    given = read_http(inp, why)
    make_clock = read_clock(inp, why)
    if signer is None:
        return
    provider = attempt(
        why,
        lambda: OAuthTokenProvider(
            signer, service, client_id, team_id, base_url, clock=make_clock(), **given
        ),
    )
    if provider is None:
        return
    check_options(provider.options, given)
    assert provider.expires_at() is None and provider.exchange_count == 0
    assertion = attempt(Why(), provider.assertion)
    if assertion is not None:
        check_token(assertion, signer)
    rejected = read_opt_text(inp)
    why = Why()
    why.opt_text(rejected)
    forgot = attempt(why, lambda: provider.invalidate(rejected))
    assert forgot in (None, False), "forgot an access token that was never obtained"
    assert provider.exchange_count == 0
    check_no_token_in(repr(provider) + str(provider), assertion)


def fuzz_clock(inp: Input) -> None:
    """ManualClock at any time, moved by any amount."""
    start = inp.integer()
    why = Why()
    why.i64(start)
    clock = attempt(why, lambda: ManualClock(start))
    if clock is not None:
        for _ in range(inp.u8() % 4):
            move_clock(inp, clock)


OPERATIONS: tuple[Callable[[Input], None], ...] = (
    fuzz_keys,
    fuzz_key_file,
    fuzz_tokens,
    fuzz_sign,
    fuzz_sign,
    fuzz_storekit,
    fuzz_offer_v1,
    fuzz_token_provider,
    fuzz_maps_provider,
    fuzz_oauth_provider,
    fuzz_clock,
    fuzz_generate,
)


def one_input(data: bytes) -> None:
    """The harness: the first byte picks the text decoding and the part of the API."""
    inp = Input(data)
    first = inp.u8()
    inp.surrogates = first >= 0xF0
    OPERATIONS[first % len(OPERATIONS)](inp)


PUBLIC_PEM: str = Signer.from_pem(KEY_PEM, KEY_ID).public_key_pem()
SIGNED_TOKEN: str = VECTORS["tokens"][0]["token"]


# -- seeds and the command line ------------------------------------------------------------------


class Writer:
    """Writes what `Input` reads: the seed inputs are built from the repository's vectors."""

    def __init__(self, operation: Callable[[Input], None]) -> None:
        self.out = bytearray([OPERATIONS.index(operation)])

    def u8(self, value: int) -> Writer:
        self.out.append(value & 0xFF)
        return self

    def flag(self, value: bool) -> Writer:
        return self.u8(int(value))

    def blob(self, value: bytes) -> Writer:
        self.out += len(value).to_bytes(2, "little") + value
        return self

    def text(self, value: str) -> Writer:
        return self.blob(value.encode())

    def opt_text(self, value: str | None) -> Writer:
        return self.flag(False) if value is None else self.flag(True).text(value)

    def integer(self, value: int) -> Writer:
        if value in EXTREME_INTS:
            return self.u8(0).u8(EXTREME_INTS.index(value))
        self.u8(3)
        self.out += value.to_bytes(8, "little", signed=True)
        return self

    def opt_integer(self, value: int | None) -> Writer:
        return self.flag(False) if value is None else self.flag(True).integer(value)

    def number(self, value: float) -> Writer:
        self.u8(0)
        self.out += struct.pack("<d", value)
        return self

    def service(self, name: str) -> Writer:
        return self.u8(SERVICES.index(Service(name)))

    def time(self, value: int | None) -> Writer:
        return self.u8(0) if value is None else self.u8(1).integer(value)

    def texts(self, value: list[str] | None) -> Writer:
        if not value:
            return self.u8(0)
        self.u8(2).u8(len(value))
        for item in value:
            self.text(item)
        return self

    def signer(
        self, key_id: str = KEY_ID, clock_skew: int | None = None, stock: bool = False
    ) -> Writer:
        self.u8(int(key_id != KEY_ID) | int(stock) << 1)
        if key_id != KEY_ID:
            self.text(key_id)
        return self.opt_integer(clock_skew)

    def claims(self, given: dict[str, Any]) -> Writer:
        self.opt_text(given.get("issuer"))
        self.time(given.get("issued_at")).time(given.get("expires_at")).time(given.get("ttl"))
        self.texts(given.get("origins")).opt_text(given.get("bundle_id"))
        self.opt_text(given.get("subject")).texts(given.get("scope"))
        return self.opt_text(given.get("jwt_id"))

    def seed(self) -> bytes:
        return bytes(self.out)


def seeds() -> list[bytes]:
    """One input per vector (tokens, StoreKit, keys), and providers with their defaults."""
    out: list[bytes] = []
    keys = sorted((REPO / "tests" / "vectors" / "keys").iterdir())
    for path in [p for p in keys if p.suffix in (".pem", ".der")]:
        raw = path.read_bytes()
        out.append(
            Writer(fuzz_keys).flag(False).flag(False).flag(False).flag(True).blob(raw).seed()
        )
    for text in (KEY_PEM, KEY_PEM.replace("\n", "\\n"), "".join(KEY_PEM.split("\n")[1:-2])):
        out.append(
            Writer(fuzz_keys)
            .flag(False)
            .flag(True)
            .integer(30)
            .flag(True)
            .flag(False)
            .text(text)
            .seed()
        )
    out.append(Writer(fuzz_key_file).text(f"AuthKey_{KEY_ID}.p8").opt_text(None).flag(True).seed())
    out.append(Writer(fuzz_key_file).text("key.p8").opt_text(KEY_ID).flag(True).seed())
    for i, case in enumerate(VECTORS["tokens"]):
        key_id, skew = case.get("key_id", KEY_ID), case.get("clock_skew")
        w = Writer(fuzz_sign).signer(key_id, skew, stock=i % 2 == 1)
        out.append(
            w.service(case["service"]).claims(case["claims"]).opt_integer(case["now"]).seed()
        )
        w = Writer(fuzz_tokens).flag(True).service(case["service"]).opt_integer(case["now"]).u8(1)
        out.append(bytes(w.out) + case["token"].encode())
    for case in STOREKIT:
        given, kind, now = case["input"], case["kind"], case.get("now")
        if kind == "promotional-offer-v1":
            w = Writer(fuzz_offer_v1).signer().text(given["bundle_id"]).text(given["product_id"])
            w.text(given["offer_id"]).opt_text(given.get("application_username"))
            w.opt_text(given.get("nonce")).opt_integer(given.get("timestamp_ms"))
            out.append(w.text(case["signature"]).flag(True).seed())
            continue
        w = Writer(fuzz_storekit).signer()
        w.u8(["promotional-offer", "intro-eligibility", "advanced-commerce"].index(kind))
        w.text(given["issuer_id"]).text(given["bundle_id"]).opt_text(given.get("nonce"))
        w.time(now)
        if kind == "promotional-offer":
            w.text(given["product_id"]).text(given["offer_id"])
            w.opt_text(given.get("transaction_id"))
        elif kind == "intro-eligibility":
            w.text(given["product_id"]).flag(given["allow_introductory_offer"])
            w.text(given["transaction_id"])
        else:
            w.flag(False).text(given["request"])
        out.append(w.seed())
    for service, claims in (("apns", {"issuer": "DEF123GHIJ"}), ("maps", {"issuer": "DEF123GHIJ"})):
        w = Writer(fuzz_token_provider).signer().service(service).claims(claims)
        w.flag(False).flag(False).flag(False).flag(False).flag(False)
        out.append(w.u8(4).u8(0).u8(2).integer(1800).flag(True).u8(0).u8(1).seed())
    w = Writer(fuzz_maps_provider).signer().claims({"issuer": "DEF123GHIJ"}).opt_text(None)
    out.append(w.flag(True).number(0.5).flag(False).flag(True).number(2.5).seed())
    for case in VECTORS["tokens"]:
        if case["service"] in ("school-manager", "business-manager", "apple-ads"):
            w = Writer(fuzz_oauth_provider).signer(case["key_id"]).service(case["service"])
            issuer = case["claims"]["issuer"]
            w.text(case["claims"].get("subject", issuer))
            w.opt_text(issuer if case["service"] == "apple-ads" else None).opt_text(None)
            out.append(w.u8(0).u8(0).u8(0).u8(0).u8(0).u8(0).u8(0).u8(0).u8(0).seed())
    out.append(Writer(fuzz_clock).integer(I64_MAX - 5).u8(2).integer(10).flag(True).seed())
    out.append(Writer(fuzz_generate).flag(False).flag(True).integer(0).flag(True).seed())
    return out


def main(argv: list[str]) -> None:
    if len(argv) == 3 and argv[1] == "--write-seeds":
        folder = Path(argv[2])
        folder.mkdir(parents=True, exist_ok=True)
        for seed in seeds():
            one_input(seed)  # every seed passes the oracle
            (folder / f"seed-{hashlib.sha1(seed).hexdigest()}").write_bytes(seed)
        return
    # atheris is only needed here, not for the replay: it has no wheels for every Python.
    atheris = importlib.import_module("atheris")
    for function in list(globals().values()):
        if callable(function) and getattr(function, "__module__", None) == __name__:
            if hasattr(function, "__code__"):
                atheris.instrument_func(function)
    # The libFuzzer loaded above, not one atheris might find elsewhere.
    atheris.Setup(argv, one_input, internal_libfuzzer=True)
    atheris.Fuzz()


if __name__ == "__main__":
    main(sys.argv)
