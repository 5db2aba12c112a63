"""The title segmenter is loaded at start-up, in the background: the bot is up (and answers)
before the load ends, no user's first request has to start it, and its cache file is kept in
the data directory."""
from __future__ import annotations

import threading
import time

from recommender import text
from recommender.segmenter import Segmenter
from tests.bot.conftest import Chat


def test_the_segmenter_loads_in_the_background_at_start_up(start_bot, tg, monkeypatch):
    release, started = threading.Event(), threading.Event()
    loads = []
    really_cached = Segmenter.cached

    def slow_cached(cls, cache_dir):         # stands in for a slow disk
        started.set()
        loads.append(cache_dir)
        release.wait(20)
        return really_cached(cache_dir)

    monkeypatch.setattr(text, "_loader", text._SegmenterLoader())   # as in a fresh process
    monkeypatch.setattr(Segmenter, "cached", classmethod(slow_cached))
    t0 = time.monotonic()
    bot = start_bot()
    warm_up = bot.application.bot_data["tokenizer_warm_up"]
    try:
        assert started.wait(10), "the warm-up did not start with the bot"
        assert warm_up.is_alive() and warm_up.daemon
        assert time.monotonic() - t0 < 15          # start() returned while the load is running
        Chat(tg, 42).ask("/help", "/hot")        # the bot answers meanwhile
        assert warm_up.is_alive() and not text.segmenter_loaded()
    finally:
        release.set()
    warm_up.join(60)
    assert not warm_up.is_alive() and text.segmenter_loaded() and len(loads) == 1
    assert loads[0] == bot.settings.data_dir / "cache"
    assert [path.suffix for path in loads[0].iterdir()] == [".npz"]
    assert text.warm_up() is None                  # once per process
