"""jieba's dictionary is loaded at start-up, in the background: the bot is up (and answers)
before the load ends, and no user's first request has to start it."""
from __future__ import annotations

import threading
import time

import jieba

from recommender import text
from tests.bot.conftest import Chat


def test_the_dictionary_loads_in_the_background_at_start_up(start_bot, tg, monkeypatch):
    release, started = threading.Event(), threading.Event()
    loads = []

    def slow_initialize(*args, **kwargs):      # stands in for seconds of dictionary loading
        started.set()
        loads.append(time.monotonic())
        release.wait(20)

    monkeypatch.setattr(text, "_initialised", [])   # as in a fresh process
    monkeypatch.setattr(jieba, "initialize", slow_initialize)
    t0 = time.monotonic()
    bot = start_bot()
    warm_up = bot.application.bot_data["tokenizer_warm_up"]
    try:
        assert started.wait(10), "the warm-up did not start with the bot"
        assert warm_up.is_alive() and warm_up.daemon
        assert time.monotonic() - t0 < 15          # start() returned while the load is running
        Chat(tg, 42).ask("/help", "/hot")        # the bot answers meanwhile
        assert warm_up.is_alive() and not text._initialised
    finally:
        release.set()
    warm_up.join(10)
    assert not warm_up.is_alive() and text._initialised == [True] and len(loads) == 1
    assert text.warm_up() is None                  # once per process
