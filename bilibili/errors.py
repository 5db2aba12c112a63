"""The few exception types every Bilibili fault is mapped to.

Messages name the endpoint path and the Bilibili code only: never a cookie, a token or a URL
query, so they are safe to log and to show.
"""
from __future__ import annotations


class BilibiliError(Exception):
    """Any failure talking to Bilibili. ``endpoint`` is the URL path, ``code`` Bilibili's code
    (or the HTTP status for HTTP-level faults, None when there was no answer)."""

    def __init__(self, endpoint: str, detail: str, code: int | None = None) -> None:
        self.endpoint = endpoint
        self.code = code
        self.detail = detail
        text = f"{endpoint}: {detail}" if code is None else f"{endpoint}: code {code} ({detail})"
        super().__init__(text)


class NotLoggedIn(BilibiliError):
    """The session is missing, expired or retired (-101): refresh the cookies or log in again."""


class RiskControl(BilibiliError):
    """Bilibili's risk control stopped the request (-352, -412, HTTP 412, -799, v_voucher).

    Back off for minutes; retrying at once makes it worse. ``wbi_suspect`` is True for the
    answers a stale WBI key can cause (-352, v_voucher), after which the keys are re-read once."""

    def __init__(self, endpoint: str, detail: str, code: int | None = None, *,
                 wbi_suspect: bool = False) -> None:
        super().__init__(endpoint, detail, code)
        self.wbi_suspect = wbi_suspect


class VideoUnavailable(BilibiliError):
    """The video is gone, hidden, under review or visible to its uploader only."""


class BilibiliUnavailable(BilibiliError):
    """Bilibili did not answer usefully: 5xx, -500/-503/-509, timeout, connection error,
    malformed JSON. The client has already retried a bounded number of times."""
