"""WBI signing pinned by the worked examples of bilibili-API-collect (docs/misc/sign/wbi.md)."""
from __future__ import annotations

import pytest

from bilibili import wbi

IMG = "7cd084941338484aae1ad9425b84077c"
SUB = "4932caff0ff746eab6f01bf08b70ac45"
WTS = 1702204169


def test_mixin_key_of_the_published_keys():
    assert wbi.mixin_key(IMG, SUB) == "ea1db124af3c7062474693fa704f4ff8"


def test_published_worked_example():
    signed = wbi.sign({"foo": 114, "bar": 514, "zab": 1919810}, IMG, SUB, WTS)
    assert wbi.query_string({k: v for k, v in signed.items() if k != "w_rid"}) == \
        "bar=514&foo=114&wts=1702204169&zab=1919810"
    assert signed["w_rid"] == "8f6f2b5b3d485fe1886cec6a0be8c5d4"
    assert signed["wts"] == "1702204169"


@pytest.mark.parametrize("params, expected", [
    ({"pn": 1, "ps": 20, "web_location": "333.934"}, "4576f4c000d84aa54003b13fbd442f8c"),
    ({"fresh_type": 4, "ps": 12, "fresh_idx": 1, "fresh_idx_1h": 1, "brush": 1,
      "feed_version": "V8", "homepage_ver": 1, "web_location": 1430650},
     "475365b8df0b6e3621210996f67e3307"),
    ({"foo": "one one four", "bar": "五一四", "baz": 1919810}, "04e50b58980e3e3cee8cbc0cc4c1c530"),
    ({"keyword": "it's (a) test!*"}, "d5d7b2590c1ceddf911ea2432212f2d7"),
])
def test_further_vectors(params, expected):
    assert wbi.sign(params, IMG, SUB, WTS)["w_rid"] == expected


def test_encoding_is_encode_uri_component():
    assert wbi.query_string({"q": "a b", "z": "五"}) == "q=a%20b&z=%E4%BA%94"
    assert wbi.sign({"keyword": "it's (a) test!*"}, IMG, SUB, WTS)["keyword"] == "its a test"


def test_sign_leaves_input_alone_and_verify_round_trips():
    params = {"foo": 114}
    signed = wbi.sign(params, IMG, SUB, WTS)
    assert params == {"foo": 114}
    assert wbi.verify(signed, IMG, SUB)
    assert not wbi.verify(dict(signed, foo="115"), IMG, SUB)
    assert not wbi.verify({"foo": "114"}, IMG, SUB)


def test_key_from_wbi_img_url():
    assert wbi.key_from_url(f"https://i0.hdslb.com/bfs/wbi/{IMG}.png") == IMG
