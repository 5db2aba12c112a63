"""Argument parsing of /hot, /explore and /digest."""
from __future__ import annotations

import pytest

from bot.args import ArgumentError, DigestRequest, parse_count, parse_digest, parse_time


def test_count_default_and_bounds():
    assert parse_count([]) == 10
    assert parse_count(["1"]) == 1
    assert parse_count(["20"]) == 20
    assert parse_count(["１０"]) == 10  # full-width digits from a Chinese IME


@pytest.mark.parametrize("args", [["abc"], ["0"], ["21"], ["99"], ["-3"], ["1.5"], ["5", "6"]])
def test_bad_counts(args):
    with pytest.raises(ArgumentError) as info:
        parse_count(args)
    assert info.value.key == "bad_count" and info.value.values == {"max": 20}


def test_digest_forms():
    assert parse_digest([], "Asia/Shanghai") == DigestRequest("show")
    assert parse_digest(["OFF"], "Asia/Shanghai") == DigestRequest("off")
    assert parse_digest(["8:05"], "Asia/Shanghai") == DigestRequest("set", "08:05",
                                                                    "Asia/Shanghai")
    assert parse_digest(["23:59", "Europe/Berlin"], "Asia/Shanghai") == DigestRequest(
        "set", "23:59", "Europe/Berlin")


@pytest.mark.parametrize("value", ["25:00", "24:00", "12:60", "noon", "1200", "12:5", ""])
def test_bad_times(value):
    with pytest.raises(ArgumentError) as info:
        parse_time(value)
    assert info.value.key == "digest_bad_time"


@pytest.mark.parametrize("zone", ["Mars/Base", "../etc/passwd", "/etc/localtime", "Asia"])
def test_bad_zones(zone):
    with pytest.raises(ArgumentError) as info:
        parse_digest(["08:00", zone], "Asia/Shanghai")
    assert info.value.key == "digest_bad_zone"


def test_too_many_digest_args():
    with pytest.raises(ArgumentError) as info:
        parse_digest(["08:00", "Asia/Shanghai", "x"], "Asia/Shanghai")
    assert info.value.key == "digest_usage"
