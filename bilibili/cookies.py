"""Cookie handling without a cookie jar: the shared client never stores a user's cookies.

Values are kept byte-for-byte as Bilibili sends them (SESSDATA stays percent-encoded).
"""
from __future__ import annotations

from typing import Iterable, Mapping
from urllib.parse import urlsplit

SESSION_COOKIES = ("SESSDATA", "bili_jct", "DedeUserID", "DedeUserID__ckMd5", "sid")


def cookie_header(cookies: Mapping[str, str]) -> str:
    """The ``Cookie:`` header value for a mapping of cookies."""
    return "; ".join(f"{name}={value}" for name, value in cookies.items() if name)


def from_set_cookie(headers: Iterable[str]) -> dict[str, str]:
    """Name -> value of each ``Set-Cookie`` header (attributes such as Expires ignored)."""
    cookies: dict[str, str] = {}
    for header in headers:
        pair = header.split(";", 1)[0]
        name, sep, value = pair.partition("=")
        if sep and name.strip():
            cookies[name.strip()] = value.strip()
    return cookies


def from_url_query(url: str) -> dict[str, str]:
    """Session cookies carried raw (still percent-encoded) in the QR success URL's query."""
    cookies: dict[str, str] = {}
    for part in urlsplit(url).query.split("&"):
        name, sep, value = part.partition("=")
        if sep and name in SESSION_COOKIES:
            cookies[name] = value
    return cookies
