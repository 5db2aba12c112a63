"""WBI request signing (the ``w_rid`` / ``wts`` query parameters), as a pure module.

The algorithm is the one documented in bilibili-API-collect ``docs/misc/sign/wbi.md``: the two
keys from ``nav.wbi_img`` are shuffled into a 32-character mixin key; the request parameters plus
``wts`` are filtered, sorted and percent-encoded like JavaScript's ``encodeURIComponent``; and
``w_rid`` is the MD5 of that query string followed by the mixin key.
"""
from __future__ import annotations

import hashlib
from typing import Mapping
from urllib.parse import quote, urlsplit

MIXIN_KEY_ENC_TAB = (
    46, 47, 18, 2, 53, 8, 23, 32, 15, 50, 10, 31, 58, 3, 45, 35, 27, 43, 5, 49,
    33, 9, 42, 19, 29, 28, 14, 39, 12, 38, 41, 13, 37, 48, 7, 16, 24, 55, 40,
    61, 26, 17, 0, 1, 60, 51, 30, 4, 22, 25, 54, 21, 56, 59, 6, 63, 57, 62, 11,
    36, 20, 34, 44, 52,
)
_DROPPED_CHARS = str.maketrans("", "", "!'()*")


def key_from_url(url: str) -> str:
    """The WBI key hidden in a ``wbi_img`` URL: its file name without the extension."""
    name = urlsplit(url).path.rsplit("/", 1)[-1]
    return name.split(".", 1)[0]


def mixin_key(img_key: str, sub_key: str) -> str:
    """The 32-character key mixed from ``img_key + sub_key`` through the fixed index table."""
    raw = img_key + sub_key
    if len(raw) < 64:
        raise ValueError("WBI keys must be 32 characters each")
    return "".join(raw[i] for i in MIXIN_KEY_ENC_TAB)[:32]


def clean_value(value: object) -> str:
    """A parameter value as signed and sent: a string without the characters ``!'()*``."""
    if isinstance(value, bool):
        value = int(value)
    return str(value).translate(_DROPPED_CHARS)


def query_string(params: Mapping[str, object]) -> str:
    """Sorted ``k=v&…`` with encodeURIComponent-style encoding (uppercase hex, space as %20)."""
    return "&".join(
        f"{quote(str(key), safe='-_.~')}={quote(clean_value(value), safe='-_.~')}"
        for key, value in sorted(params.items(), key=lambda item: str(item[0]))
    )


def w_rid(params: Mapping[str, object], mixin: str) -> str:
    """The signature of params (which must already contain ``wts``) under a mixin key."""
    return hashlib.md5((query_string(params) + mixin).encode("utf-8")).hexdigest()


def sign(params: Mapping[str, object], img_key: str, sub_key: str, wts: int) -> dict[str, str]:
    """Signed copy of params: cleaned values plus ``wts`` and ``w_rid``; the input is unchanged."""
    signed = {str(key): clean_value(value) for key, value in params.items()
              if key not in ("w_rid", "wts")}
    signed["wts"] = str(int(wts))
    signed["w_rid"] = w_rid(signed, mixin_key(img_key, sub_key))
    return signed


def verify(params: Mapping[str, str], img_key: str, sub_key: str) -> bool:
    """Whether received params carry a correct ``w_rid`` for their ``wts`` (used by the fake)."""
    received = params.get("w_rid")
    if not received or "wts" not in params:
        return False
    unsigned = {k: v for k, v in params.items() if k != "w_rid"}
    return w_rid(unsigned, mixin_key(img_key, sub_key)) == received
