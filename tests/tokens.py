"""Sign-in tokens for tests: honest ones from PyJWT, and hostile ones built by hand."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

import jwt

SECRET = "test-jwt-key-" + "k" * 40


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def token(sub: Any = "alice", *, secret: str = SECRET, lifetime: float = 300, **claims: Any) -> str:
    """A token as a host site would sign it: HS256, `iat` now, `exp` after `lifetime` seconds."""
    now = int(time.time())
    payload = {"sub": sub, "iat": now, "exp": now + int(lifetime), **claims}
    return jwt.encode({k: v for k, v in payload.items() if v is not None}, secret, algorithm="HS256")


def forged(header: dict[str, Any], payload: dict[str, Any], key: bytes | None = None, digest: str = "sha256") -> str:
    """A token built by hand: any header, signed with HMAC-`digest` under `key` (or unsigned)."""
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(payload).encode())}"
    signature = b"" if key is None else hmac.new(key, signing_input.encode(), getattr(hashlib, digest)).digest()
    return f"{signing_input}.{b64(signature)}"


def claims(sub: Any = "mallory", **more: Any) -> dict[str, Any]:
    now = int(time.time())
    return {"sub": sub, "iat": now, "exp": now + 300, **more}


PUBLIC_KEY_PEM = (
    "-----BEGIN PUBLIC KEY-----\n"
    "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAu1SU1LfVLPHCozMxH2Mo\n"
    "4lgOEePzNm0tRgeLezV6ffAt0gunVTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u\n"
    "-----END PUBLIC KEY-----\n"
)


def hostile_tokens() -> dict[str, tuple[str, str]]:
    """name -> (token, words the refusal must contain)."""
    now = int(time.time())
    bad = "could not be verified"
    return {
        "alg none": (forged({"alg": "none", "typ": "JWT"}, claims()), "not signed the way"),
        "alg None, signed anyway": (forged({"alg": "None"}, claims(), SECRET.encode()), "not signed the way"),
        "HS512 with the right key": (
            forged({"alg": "HS512", "typ": "JWT"}, claims(), SECRET.encode(), "sha512"),
            "not signed the way",
        ),
        "RS256 header": (forged({"alg": "RS256", "typ": "JWT"}, claims(), b"whatever"), "not signed the way"),
        "HS256 keyed with a public key (RS/HS confusion)": (
            forged({"alg": "HS256", "typ": "JWT"}, claims(), PUBLIC_KEY_PEM.encode()),
            bad,
        ),
        "wrong key": (token("mallory", secret="another-key-" + "z" * 40), bad),
        "tampered payload": (_tampered(), bad),
        "expired": (token("mallory", lifetime=-3600), "has expired"),
        "future nbf": (token("mallory", nbf=now + 3600), "not valid yet"),
        "future iat": (token("mallory", iat=now + 3600), "not valid yet"),
        "missing sub": (token(None), "does not say who you are"),
        "empty sub": (token("   "), "does not say who you are"),
        "numeric sub": (token(42), "does not say who you are"),
        "list sub": (token(["alice"]), "does not say who you are"),
        "garbage": ("not.a.token", "damaged"),
        "over-long": (token("mallory", pad="x" * 9000), "too long"),
    }


def _tampered() -> str:
    header, _, signature = token("mallory").split(".")
    return f"{header}.{b64(json.dumps(claims('mallory', op=True)).encode())}.{signature}"
