"""Parsing of command arguments: the list size of /hot and /explore, and /digest's forms."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

from bot.settings import valid_timezone

DEFAULT_COUNT = 10
MAX_COUNT = 20
_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


class ArgumentError(ValueError):
    """A malformed argument; ``key`` names the text that explains it, ``values`` fill it."""

    def __init__(self, key: str, **values: object) -> None:
        super().__init__(key)
        self.key = key
        self.values = values


def parse_count(args: Sequence[str], *, default: int | None = DEFAULT_COUNT,
                maximum: int = MAX_COUNT) -> int | None:
    """The n of "/hot [n]": default when absent; ArgumentError("bad_count") unless 1..maximum."""
    if not args:
        return default
    if len(args) > 1 or not re.fullmatch(r"\d{1,4}", args[0].strip()):
        raise ArgumentError("bad_count", max=maximum)
    count = int(args[0])
    if not 1 <= count <= maximum:
        raise ArgumentError("bad_count", max=maximum)
    return count


@dataclass(frozen=True)
class DigestRequest:
    """What a /digest command asks for: action "show", "off" or "set" (with time and zone)."""

    action: str
    time_hhmm: str | None = None
    timezone: str | None = None


def parse_time(value: str) -> str:
    """ "8:05" → "08:05"; ArgumentError("digest_bad_time") for anything that is not a time."""
    match = _TIME.match(value.strip())
    if not match:
        raise ArgumentError("digest_bad_time")
    return f"{int(match.group(1)):02d}:{match.group(2)}"


def parse_digest(args: Sequence[str], default_timezone: str) -> DigestRequest:
    """Parse "/digest", "/digest off", "/digest HH:MM" and "/digest HH:MM Area/City"."""
    if not args:
        return DigestRequest("show")
    if len(args) == 1 and args[0].lower() in ("off", "关闭", "stop"):
        return DigestRequest("off")
    if len(args) > 2:
        raise ArgumentError("digest_usage")
    time_hhmm = parse_time(args[0])
    zone = args[1] if len(args) == 2 else default_timezone
    if not valid_timezone(zone):
        raise ArgumentError("digest_bad_zone", zone=zone[:64])
    return DigestRequest("set", time_hhmm, zone)
