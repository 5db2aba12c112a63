"""Charts as PNG bytes (matplotlib, Agg backend): the user's zone shares against the popular list.

matplotlib is imported on the first chart, not with this module, so a bot that never draws one
pays nothing for it. Chinese text needs a CJK font: the first one fontconfig lists for Chinese
(``fc-list :lang=zh``), else one matplotlib knows by name. Without any, the chart is drawn in
English, with zone names reduced to what the default font can draw (an English name when
``bot.zones`` knows one), so no label turns into empty boxes. The Docker image installs
``fonts-wqy-microhei`` for this.
"""
from __future__ import annotations

import io
import logging
import shutil
import subprocess
from functools import lru_cache
from typing import TYPE_CHECKING

from bot.texts import text
from bot.zones import zone_name

if TYPE_CHECKING:
    from recommender.taste import Taste

logger = logging.getLogger(__name__)
CJK_FONT_NAMES = ("Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "WenQuanYi Micro Hei",
                  "WenQuanYi Zen Hei", "Droid Sans Fallback", "AR PL UMing CN", "SimHei",
                  "Microsoft YaHei", "PingFang SC")
FONT_SUFFIXES = (".ttf", ".otf", ".ttc")
FIRST_CJK = 0x2E80           # below this the default font (DejaVu Sans) draws everything we use
LABEL_MAX_CHARS = 20
HISTORY_COLOUR, POPULAR_COLOUR = "#fb7299", "#00a1d6"   # Bilibili pink and blue


@lru_cache(maxsize=1)
def cjk_font_path() -> str | None:
    """A font file that draws Chinese, or None (looked up once per process)."""
    if shutil.which("fc-list"):
        try:
            listing = subprocess.run(["fc-list", ":lang=zh", "file"], capture_output=True,
                                     text=True, timeout=10, check=False).stdout
        except (OSError, subprocess.SubprocessError):
            listing = ""
        files = sorted(line.strip().rstrip(":") for line in listing.splitlines())
        for path in files:
            if path.lower().endswith(FONT_SUFFIXES):
                return path
    from matplotlib import font_manager

    for font in font_manager.fontManager.ttflist:
        if font.name in CJK_FONT_NAMES:
            return font.fname
    return None


def drawable(label: str) -> str:
    """The part of a label the default font can draw (CJK and other wide scripts dropped)."""
    return " ".join("".join(ch for ch in label if ord(ch) < FIRST_CJK).split())


def zone_share_chart(taste: "Taste", lang: str) -> bytes:
    """A PNG: a horizontal bar pair per zone (share of the user's history, share of the popular
    list), with the recent hit rate under the title when lists were shown."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties

    font_path = cjk_font_path()
    if font_path is None:
        lang = "en"                 # the default font draws no Chinese titles or legends
    font = FontProperties(fname=font_path) if font_path else FontProperties()
    zones = list(taste.zone_shares)
    labels = []
    for index, share in enumerate(zones, start=1):
        label = zone_name(share.zone, lang)
        if font_path is None:
            label = drawable(label) or f"#{index}"
        labels.append(label if len(label) <= LABEL_MAX_CHARS
                      else label[:LABEL_MAX_CHARS - 1] + "…")

    figure = Figure(figsize=(7.0, 1.6 + 0.55 * max(len(zones), 1)), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    positions = range(len(zones))
    height = 0.38
    axes.barh([p - height / 2 for p in positions], [100 * z.history for z in zones], height,
              color=HISTORY_COLOUR, label=text(lang, "chart_history"))
    axes.barh([p + height / 2 for p in positions], [100 * z.popular for z in zones], height,
              color=POPULAR_COLOUR, label=text(lang, "chart_popular"))
    axes.set_yticks(list(positions), labels)
    for tick in axes.get_yticklabels():
        tick.set_fontproperties(font)
    axes.invert_yaxis()
    axes.set_xlim(0, 100)
    axes.xaxis.set_major_formatter(lambda value, _: f"{value:.0f}%")
    axes.spines[["top", "right"]].set_visible(False)
    title = text(lang, "chart_title").replace("<b>", "").replace("</b>", "")
    rate = taste.hit_rate
    if rate is not None and rate.shown:
        title += "\n" + text(lang, "chart_hits", days=taste.hit_days, hits=rate.hits,
                             shown=rate.shown, percent=round(100 * rate.hits / rate.shown))
    axes.set_title(title, fontproperties=font, fontsize=11, loc="left")
    axes.legend(prop=font, loc="upper center", bbox_to_anchor=(0.5, -0.08), ncols=2,
                frameon=False)
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()
