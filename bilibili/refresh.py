"""Pieces of Bilibili's cookie refresh flow that need no HTTP: correspondPath and refresh_csrf.

Source: bilibili-API-collect ``docs/login/cookie_refresh.md`` (the public key below is copied
from there; it is Bilibili's, not a secret).
"""
from __future__ import annotations

import re

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

BILIBILI_REFRESH_PUBLIC_KEY_PEM = """-----BEGIN PUBLIC KEY-----
MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDLgd2OAkcGVtoE3ThUREbio0Eg
Uc/prcajMKXvkCKFCWhJYJcLkcM2DKKcSeFpD/j6Boy538YXnR6VhcuUJOhH2x71
nzPjfdTcqMz7djHum0qSZA0AyCBDABUqCrfNgCiJ00Ra7GmRj+YCK1NJEuewlb40
JNrRuoEUXpabUzGB8QIDAQAB
-----END PUBLIC KEY-----
"""

_REFRESH_CSRF = re.compile(r'<div\s+id\s*=\s*["\']1-name["\']\s*>\s*([^<\s]+)\s*</div>')

OAEP_SHA256 = padding.OAEP(mgf=padding.MGF1(algorithm=hashes.SHA256()),
                           algorithm=hashes.SHA256(), label=None)


def load_public_key(pem: str | bytes) -> rsa.RSAPublicKey:
    """Parse a PEM public key; ValueError when it is not an RSA key."""
    key = serialization.load_pem_public_key(pem.encode() if isinstance(pem, str) else pem)
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("the cookie refresh key must be an RSA public key")
    return key


def correspond_path(public_key: rsa.RSAPublicKey, timestamp_ms: int) -> str:
    """Lowercase hex of RSA-OAEP(SHA-256) of ``refresh_{timestamp_ms}`` (random each call)."""
    return public_key.encrypt(f"refresh_{int(timestamp_ms)}".encode(), OAEP_SHA256).hex()


def parse_refresh_csrf(html: str) -> str | None:
    """The text of ``<div id="1-name">`` in the correspond page, or None when absent."""
    match = _REFRESH_CSRF.search(html)
    return match.group(1) if match else None
