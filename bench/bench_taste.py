"""Taste card and chart benchmark. Prints figures.

For a user with N behaviour records (the fake Bilibili's videos, 1,000 by default), 100 popular
videos and 200 impressions: ``compute_taste`` (jieba warm), ``render_taste``, the first zone
chart (importing matplotlib) and later charts, the PNG size, and whether a CJK font was found.

    python3 bench/bench_taste.py [--records 1000]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot import charts  # noqa: E402
from bot.render import render_taste  # noqa: E402
from recommender.taste import compute_taste  # noqa: E402
from recommender.text import title_tokens  # noqa: E402
from domain import Impression  # noqa: E402
from tests.fakes.fake_bilibili import make_video  # noqa: E402


def timed(fn, repeat: int = 1) -> tuple[float, object]:
    """(median seconds, last result) of repeat calls."""
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1000)
    args = parser.parse_args()
    now = time.time()
    behaviour = [make_video(i, view_at=int(now) - 600 * i, progress=-1)
                 for i in range(args.records)]
    popular = [make_video(50_000 + j) for j in range(100)]
    impressions = [Impression(make_video(i), "hot", i % 10, now - 3600 * i, "model", 0.5)
                   for i in range(200)]
    title_tokens("预热 jieba")                          # the bot warms jieba up at start
    def taste_of():
        return compute_taste(behaviour, popular, impressions=impressions, now=now)

    cold_s, _ = timed(taste_of)                        # titles not yet tokenized
    taste_s, taste = timed(taste_of, repeat=5)
    card_s, card = timed(lambda: render_taste(taste, "zh"), repeat=20)
    first_s, png = timed(lambda: charts.zone_share_chart(taste, "zh"))
    later_s, png = timed(lambda: charts.zone_share_chart(taste, "zh"), repeat=5)
    print(f"records                 {args.records}")
    print(f"compute_taste, cold     {1000 * cold_s:8.1f} ms (titles tokenized)")
    print(f"compute_taste, warm     {1000 * taste_s:8.1f} ms (median of 5)")
    print(f"render_taste            {1000 * card_s:8.2f} ms, {len(card)} characters")
    print(f"first chart             {1000 * first_s:8.1f} ms (imports matplotlib)")
    print(f"later charts            {1000 * later_s:8.1f} ms (median of 5), {len(png) // 1024} KiB")
    print(f"CJK font                {charts.cjk_font_path() or 'none: English labels'}")


if __name__ == "__main__":
    main()
