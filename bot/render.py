"""Ranked lists → Telegram HTML messages with 👍/👎 keyboards, within Telegram's limits.

Pure functions: no I/O. Each entry shows the link, the escaped title, the UP主 (linked to their
space page), views, duration, the rating (``推荐指数 NN`` / ``rating NN``) and the reason; entries
are ordered by rating, highest first, and split over as many messages as needed so that none
exceeds 4096 characters.
"""
from __future__ import annotations

import html
import re
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Iterable, Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions

from bot.services.feedback import EntryMenu, KeyboardState
from bot.texts import text
from bot.zones import zone_name

if TYPE_CHECKING:
    from recommender import Reason, Recommendation
    from recommender.taste import Taste
    from bot.services.sync import Stage

MESSAGE_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_DATA_LIMIT = 64
TITLE_MAX_CHARS = 120
NAME_MAX_CHARS = 40
REASON_MAX_CHARS = 120
VIDEOS_PER_KEYBOARD_ROW = 2
BVID_PATTERN = re.compile(r"^BV[0-9A-Za-z]{10}$")
FEEDBACK_PREFIX = "fb"
SPACE_URL = "https://space.bilibili.com/"   # + the UP主's mid: their space page
KEYWORD_SEPARATOR = ("、", ", ")            # zh, en
UP, DOWN = "+", "-"


@dataclass(frozen=True)
class RenderedMessage:
    """One message: HTML text and keyboard rows of (label, callback_data). With ``photo_url``
    it goes as that photo with the text as caption; with ``preview_url`` as a text message
    whose link preview (large, above the text) shows that URL; else without a preview."""

    text: str
    buttons: tuple[tuple[tuple[str, str], ...], ...] = ()
    photo_url: str | None = None
    preview_url: str | None = None

    def link_preview(self) -> LinkPreviewOptions:
        """The link preview options of the text message (is_disabled is explicit: the
        Application's Defaults would otherwise fill it in as True)."""
        if self.preview_url:
            return LinkPreviewOptions(is_disabled=False, url=self.preview_url,
                                      prefer_large_media=True, show_above_text=True)
        return LinkPreviewOptions(is_disabled=True)

    def reply_markup(self) -> InlineKeyboardMarkup | None:
        """The keyboard as python-telegram-bot markup (None when there are no buttons)."""
        if not self.buttons:
            return None
        return InlineKeyboardMarkup(
            [[InlineKeyboardButton(label, callback_data=data) for label, data in row]
             for row in self.buttons])


def telegram_length(value: str) -> int:
    """Length as Telegram counts it (UTF-16 code units), never less than Python's len."""
    return max(len(value), len(value.encode("utf-16-le")) // 2)


def visible_length(html_text: str) -> int:
    """The length Telegram checks against its limits: UTF-16 code units of the text after entity
    parsing (tags dropped, entities decoded) and stripping. For HTML made by this module."""
    return telegram_length(html.unescape(re.sub(r"<[^>]*>", "", html_text)).strip())


def cover_url(video) -> str | None:
    """The video's cover as an https URL (Bilibili gives "http://…" or "//…"), None without one."""
    cover = (video.cover or "").strip()
    if cover.startswith("//"):
        cover = "https:" + cover
    elif cover.startswith("http://"):
        cover = "https://" + cover[len("http://"):]
    return cover if cover.startswith("https://") and " " not in cover else None


def shorten(value: str, limit: int) -> str:
    """value cut to at most limit characters, with an ellipsis when cut (before escaping)."""
    value = " ".join(value.split())
    return value if len(value) <= limit else value[: limit - 1] + "…"


def format_views(views: int | None, lang: str) -> str:
    """A count as people write it: 12345 → "1.2万" (zh) / "12K" (en); 1234567 → "123.5万" /
    "1.2M"; 3.5e8 → "3.5亿" / "350M"; None → "?". English never uses 万."""
    if views is None:
        return "?"
    if lang == "zh":
        if views >= 100_000_000:
            return f"{views / 100_000_000:.1f}亿"
        if views >= 10_000:
            return f"{views / 10_000:.1f}万"
        return str(views)
    for size, suffix in ((1_000_000_000, "B"), (1_000_000, "M"), (1_000, "K")):
        if views >= size:
            value = views / size
            return f"{value:.1f}{suffix}" if value < 10 else f"{value:.0f}{suffix}"
    return str(views)


def format_duration(seconds: int) -> str:
    """75 → "1:15"; 3725 → "1:02:05"."""
    seconds = max(0, int(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def format_fresh(days: str, lang: str) -> str | None:
    """A ``fresh`` reason's whole days as "今天发布" / "published 2 days ago"; None if not a count."""
    if not (days.isascii() and days.isdigit()):
        return None
    n = int(days)
    key = ("reason_fresh_today", "reason_fresh_yesterday")[n] if n < 2 else "reason_fresh_days"
    return text(lang, key, n=n)


def reason_value(reason: "Reason", lang: str) -> str:
    """A reason's value in the language's words (before escaping): a zone's English name, the
    keywords joined by "、" or ", ", the view count as "▶1.2万" / "▶1.2M"; else as given."""
    value = str(reason.value)
    if reason.kind == "zone":
        return zone_name(value, lang)
    if reason.kind == "keywords":
        return KEYWORD_SEPARATOR[lang == "en"].join(w for w in value.split("、") if w)
    if reason.kind == "popular" and value.isascii() and value.isdigit():
        return "▶" + format_views(int(value), lang)
    return value


def format_reasons(reasons: Iterable["Reason"], lang: str) -> str:
    """The structured reasons as one escaped line."""
    parts = []
    for reason in reasons:
        fresh = format_fresh(str(reason.value), lang) if reason.kind == "fresh" else None
        if fresh:
            parts.append(fresh)
            continue
        key = f"reason_{reason.kind}"
        value = html.escape(shorten(reason_value(reason, lang), REASON_MAX_CHARS // 2))
        try:
            parts.append(text(lang, key, value=value))
        except KeyError:
            parts.append(value)
    if not parts:
        return text(lang, "reason_none")
    return shorten(("；" if lang == "zh" else "; ").join(parts), REASON_MAX_CHARS * 2)


def render_entry(index: int, item: "Recommendation", lang: str) -> str:
    """One video entry as HTML."""
    video = item.video
    title = html.escape(shorten(video.title or video.bvid, TITLE_MAX_CHARS))
    owner = html.escape(shorten(video.owner_name or "?", NAME_MAX_CHARS))
    if video.owner_mid > 0:
        owner = f"<a href=\"{SPACE_URL}{int(video.owner_mid)}\">{owner}</a>"
    rating = max(0, min(100, int(round(item.rating))))
    link = html.escape(video.url, quote=True)
    return (
        f"{index}. <a href=\"{link}\">{title}</a>\n"
        f"{text(lang, 'by_owner', owner=owner)} · "
        f"{text(lang, 'views', views=format_views(video.view, lang))} · "
        f"{format_duration(video.duration)} · <b>{text(lang, 'rating', rating=rating)}</b>\n"
        f"💡 {format_reasons(item.reasons, lang)}"
    )


def feedback_data(value: str, bvid: str) -> str:
    """callback_data of a feedback button, e.g. "fb:+:BV1xx411c7mD" (≤ 64 bytes)."""
    data = f"{FEEDBACK_PREFIX}:{value}:{bvid}"
    if len(data.encode()) > CALLBACK_DATA_LIMIT:
        raise ValueError("callback data too long")
    return data


def parse_feedback_data(data: str | None) -> tuple[int, str] | None:
    """(+1 or -1, bvid) from a feedback button's data, None when it is not valid."""
    parts = (data or "").split(":")
    if len(parts) != 3 or parts[0] != FEEDBACK_PREFIX or parts[1] not in (UP, DOWN):
        return None
    if not BVID_PATTERN.match(parts[2]):
        return None
    return (1 if parts[1] == UP else -1), parts[2]


def feedback_rows(numbered: Sequence[tuple[int, str]], lang: str = "zh",
                  state: KeyboardState | None = None) -> tuple[tuple[tuple[str, str], ...], ...]:
    """Keyboard rows: each video gets "N 👍", "N 👎" and "N ⋯", two videos to a row; ``state``
    marks the user's choices (see ``entry_buttons``) and opens one entry's ⋯ menu in the rows
    right under that entry's row."""
    state = state or KeyboardState()
    entries = [(index, bvid) for index, bvid in numbered if BVID_PATTERN.match(bvid)]
    rows: list[tuple[tuple[str, str], ...]] = []
    for start in range(0, len(entries), VIDEOS_PER_KEYBOARD_ROW):
        chunk = entries[start:start + VIDEOS_PER_KEYBOARD_ROW]
        rows.append(tuple(button for index, bvid in chunk
                          for button in entry_buttons(index, bvid, state)))
        if state.menu is not None and state.menu.bvid in {bvid for _, bvid in chunk}:
            rows.extend(menu_rows(state.menu, lang))
    return tuple(rows)


def render_list(items: Sequence["Recommendation"], lang: str, *, header: str,
                notes: Sequence[str] = (), limit: int = MESSAGE_LIMIT,
                start: int = 1) -> list[RenderedMessage]:
    """The list as messages: header and notes first, entries by rating (highest first, numbered
    from ``start``), each message within ``limit`` characters and carrying the feedback
    buttons of its entries."""
    ordered = sorted(items, key=lambda item: item.rating, reverse=True)
    intro = "\n".join([header, *notes])
    if not ordered:
        return [RenderedMessage(f"{intro}\n\n{text(lang, 'nothing')}")]
    messages: list[RenderedMessage] = []
    parts: list[str] = [intro]
    numbered: list[tuple[int, str]] = []
    for index, item in enumerate(ordered, start=start):
        entry = render_entry(index, item, lang)
        candidate = "\n\n".join([*parts, entry])
        if numbered and telegram_length(candidate) > limit:
            messages.append(RenderedMessage("\n\n".join(parts), feedback_rows(numbered, lang)))
            parts, numbered = [], []
        parts.append(entry)
        numbered.append((index, item.video.bvid))
    messages.append(RenderedMessage("\n\n".join(parts), feedback_rows(numbered, lang)))
    return messages


def attach_cover(messages: Sequence[RenderedMessage],
                 items: Sequence["Recommendation"]) -> list[RenderedMessage]:
    """Show the top pick's cover: a list in one message whose text fits a caption
    (CAPTION_LIMIT, counted by ``visible_length``) becomes that photo with the list as caption;
    otherwise the first message gets the cover as its large link preview. Unchanged when the
    top pick has no cover."""
    messages = list(messages)
    top = max(items, key=lambda item: item.rating, default=None)  # entry 1 of render_list
    cover = cover_url(top.video) if top is not None else None
    if not messages or cover is None:
        return messages
    if len(messages) == 1 and visible_length(messages[0].text) <= CAPTION_LIMIT:
        return [replace(messages[0], photo_url=cover)]
    return [replace(messages[0], preview_url=cover), *messages[1:]]


def format_age(seconds: float, lang: str) -> str:
    """An age such as "5 分钟" / "2 h" (at least one minute)."""
    minutes = max(1, int(seconds // 60))
    if minutes < 60:
        return text(lang, "age_minutes", n=minutes)
    if minutes < 48 * 60:
        return text(lang, "age_hours", n=minutes // 60)
    return text(lang, "age_days", n=minutes // 1440)


RANKER_ORDER = ("model", "content", "tfidf", "freq")


def render_not_updated(metrics: dict, lang: str) -> str:
    """Why a training left the model as it was, in words: which ranker serves and why
    (``render_serving``) when the metrics say so, else that the training did not finish (the
    recommender's own message is for the log: it names metrics and exceptions)."""
    if "served_reason" in metrics:
        return render_serving(metrics, lang)
    return text(lang, "training_failed")


def render_serving(summary: dict, lang: str, trained_at: str | None = None) -> str:
    """Which ranker serves the user and how each did on their later watches, in words.

    ``summary`` holds the plan's flat metrics (``served``, ``served_reason``, ``auc_<ranker>``,
    ``positives``, ``min_positives``); see Recommender.serving_summary.
    """
    served = summary.get("served", "content")
    if served not in RANKER_ORDER:
        served = "content"
    reason = summary.get("served_reason", "pending")
    ranker = text(lang, f"ranker_{served}")
    if reason == "few_positives":
        return text(lang, "serving_few_positives", n=int(summary.get("positives", 0)),
                    need=int(summary.get("min_positives", 0)))
    if reason in ("no_negatives", "pending"):
        return text(lang, f"serving_{reason}")
    when = text(lang, "serving_trained", trained_at=trained_at) if trained_at else ""
    figure = summary.get(f"auc_{served}")
    if reason != "best" or not isinstance(figure, (int, float)):
        return text(lang, "serving_no_holdout", ranker=ranker) + when
    percent = "%" if lang == "zh" else " %"    # as serving_best writes it
    others = [f"{text(lang, f'ranker_short_{name}')} {round(100 * summary[f'auc_{name}'])}{percent}"
              for name in RANKER_ORDER
              if name != served and isinstance(summary.get(f"auc_{name}"), (int, float))]
    out = text(lang, "serving_best", ranker=ranker, pct=round(100 * figure))
    if others:
        out += text(lang, "serving_others", others=("、" if lang == "zh" else ", ").join(others))
    return out + when


def _percent(share: float) -> int:
    return round(100 * share)


def render_taste(taste: "Taste", lang: str, serving: str | None = None) -> str:
    """The taste card (HTML): top zones with their shares, UP主 (linked to their space page),
    keywords, how the top zones compare with the popular list, the recent hit rate when lists
    were shown, and ``serving`` (``render_serving``'s words) when given. Short enough for a
    photo caption."""
    if not taste.records:
        return text(lang, "taste_empty")
    lines = [text(lang, "taste_title", records=taste.records)]
    if taste.zones:
        zones = [f"{html.escape(shorten(zone_name(z.name, lang), NAME_MAX_CHARS))} "
                 f"{_percent(z.share)}{'%' if lang == 'zh' else ' %'}" for z in taste.zones]
        lines.append(text(lang, "taste_zones", zones=" · ".join(zones)))
    if taste.authors:
        authors = [f"<a href=\"{SPACE_URL}{int(a.mid)}\">"
                   f"{html.escape(shorten(a.name, NAME_MAX_CHARS))}</a> ({a.count})"
                   for a in taste.authors]
        lines.append(text(lang, "taste_authors", authors=" · ".join(authors)))
    if taste.keywords:
        words = [html.escape(shorten(k.name, NAME_MAX_CHARS)) for k in taste.keywords]
        lines.append(text(lang, "taste_keywords",
                          keywords=KEYWORD_SEPARATOR[lang == "en"].join(words)))
    mine, popular = taste.top_zones_share
    if taste.zones and any(z.popular for z in taste.zone_shares):
        lines.append(text(lang, "taste_lift", mine=_percent(mine), popular=_percent(popular)))
    rate = taste.hit_rate
    if rate is not None and rate.shown:
        lines.append(text(lang, "taste_hits", days=taste.hit_days, shown=rate.shown,
                          hits=rate.hits, percent=_percent(rate.hits / rate.shown)))
    if serving:
        lines.append(text(lang, "taste_ranker", serving=serving))
    return "\n".join(lines)


# --- buttons that answer: 👍/👎 toggles, the ⋯ menu (fewer from this UP主 / zone), ▶ more -----

MENU_PREFIX, MUTE_PREFIX, UNMUTE_PREFIX, MORE_PREFIX = "fm", "mu", "um", "more"
MUTE_KINDS = {"a": "author", "z": "zone"}          # callback code -> storage kind
ENTRY_PREFIXES = (FEEDBACK_PREFIX, MENU_PREFIX, MUTE_PREFIX)
TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,16}$")
BUTTON_NAME_CHARS = 24


@dataclass(frozen=True)
class ListKeyboard:
    """A list message's keyboard read back: its entries (number, bvid), the entry whose menu is
    open, and the rows that are not entry buttons (▶), kept as they are."""

    entries: tuple[tuple[int, str], ...]
    menu: str | None
    other_rows: tuple[tuple[tuple[str, str], ...], ...]


def entry_buttons(index: int, bvid: str, state: KeyboardState) -> tuple[tuple[str, str], ...]:
    """One entry's three buttons: "N 👍" and "N 👎" ("✅ N 👍" when chosen; a second tap
    undoes), and "N ⋯" (the menu; "N ✕" while open, "N 🙈" when a mute hides the entry)."""
    vote = state.votes.get(bvid, 0)
    up = f"✅ {index} 👍" if vote > 0 else f"{index} 👍"
    down = f"✅ {index} 👎" if vote < 0 else f"{index} 👎"
    if state.menu is not None and state.menu.bvid == bvid:
        more = f"{index} ✕"
    else:
        more = f"{index} 🙈" if bvid in state.muted else f"{index} ⋯"
    return ((up, feedback_data(UP, bvid)), (down, feedback_data(DOWN, bvid)),
            (more, f"{MENU_PREFIX}:{bvid}"))


def menu_rows(menu: EntryMenu, lang: str) -> list[tuple[tuple[str, str], ...]]:
    """The ⋯ menu: "fewer from this UP主" and "fewer from this zone", ✅ when muted (a tap
    then unmutes)."""
    rows = []
    if menu.author:
        label = text(lang, "mute_author", name=shorten(menu.author, BUTTON_NAME_CHARS))
        rows.append(((("✅ " if menu.author_muted else "") + label,
                      f"{MUTE_PREFIX}:a:{menu.bvid}"),))
    if menu.zone:
        label = text(lang, "mute_zone", zone=shorten(zone_name(menu.zone, lang),
                                                     BUTTON_NAME_CHARS))
        rows.append(((("✅ " if menu.zone_muted else "") + label,
                      f"{MUTE_PREFIX}:z:{menu.bvid}"),))
    return rows


def read_list_keyboard(rows: Sequence[Sequence[tuple[str, str]]]) -> ListKeyboard:
    """The entries, open menu and other rows of a list keyboard made by ``feedback_rows``."""
    entries: list[tuple[int, str]] = []
    menu = None
    other = []
    for row in rows:
        if not any(data.split(":", 1)[0] in ENTRY_PREFIXES for _, data in row):
            other.append(tuple(row))
            continue
        for label, data in row:
            vote = parse_feedback_data(data)
            if vote is not None and vote[0] > 0:
                number = re.search(r"\d+", label)
                entries.append((int(number.group()) if number else len(entries) + 1, vote[1]))
            mute = parse_mute_data(data)
            if mute is not None and menu is None:
                menu = mute[1]
    return ListKeyboard(tuple(entries), menu, tuple(other))


def parse_menu_data(data: str | None) -> str | None:
    """The bvid of a ⋯ button's data ("fm:BV…"), None when not valid."""
    parts = (data or "").split(":")
    if len(parts) == 2 and parts[0] == MENU_PREFIX and BVID_PATTERN.match(parts[1]):
        return parts[1]
    return None


def parse_mute_data(data: str | None) -> tuple[str, str] | None:
    """(kind "author" | "zone", bvid) of a menu button's data ("mu:a:BV…"), None when not
    valid."""
    parts = (data or "").split(":")
    if len(parts) == 3 and parts[0] == MUTE_PREFIX and parts[1] in MUTE_KINDS \
            and BVID_PATTERN.match(parts[2]):
        return MUTE_KINDS[parts[1]], parts[2]
    return None


def parse_unmute_data(data: str | None) -> int | None:
    """The mute id of a /status unmute button ("um:17"), None when not valid."""
    parts = (data or "").split(":")
    if len(parts) == 2 and parts[0] == UNMUTE_PREFIX and parts[1].isascii() \
            and parts[1].isdigit() and len(parts[1]) <= 18:
        return int(parts[1])
    return None


def more_data(token: str, step: int) -> str:
    """callback_data of a ▶ button: "more:<token>:<step>" (≤ 64 bytes)."""
    data = f"{MORE_PREFIX}:{token}:{int(step)}"
    if not TOKEN_PATTERN.match(token) or len(data.encode()) > CALLBACK_DATA_LIMIT:
        raise ValueError("bad ▶ token")
    return data


def parse_more_data(data: str | None) -> tuple[str, int] | None:
    """(token, step) of a ▶ button's data, None when not valid."""
    parts = (data or "").split(":")
    if len(parts) == 3 and parts[0] == MORE_PREFIX and TOKEN_PATTERN.match(parts[1]) \
            and parts[2].isascii() and parts[2].isdigit() and len(parts[2]) <= 6:
        return parts[1], int(parts[2])
    return None


def with_more(messages: Sequence[RenderedMessage], token: str, step: int,
              lang: str) -> list[RenderedMessage]:
    """The list's messages with a ▶ row under the last one's buttons."""
    messages = list(messages)
    if not messages:
        return messages
    last = messages[-1]
    row = ((text(lang, "more_button"), more_data(token, step)),)
    return [*messages[:-1], replace(last, buttons=(*last.buttons, row))]


def without_more(rows: Sequence[Sequence[tuple[str, str]]]
                 ) -> tuple[tuple[tuple[str, str], ...], ...]:
    """The keyboard rows minus the ▶ row (once it was used)."""
    return tuple(tuple(row) for row in rows
                 if not any(parse_more_data(data) for _, data in row))


def markup_rows(markup) -> tuple[tuple[tuple[str, str], ...], ...]:
    """(label, callback_data) rows of a python-telegram-bot InlineKeyboardMarkup (or None)."""
    if markup is None:
        return ()
    return tuple(tuple((button.text, button.callback_data or "") for button in row)
                 for row in markup.inline_keyboard)


def rows_markup(rows: Sequence[Sequence[tuple[str, str]]]) -> InlineKeyboardMarkup | None:
    """Rows of (label, callback_data) as markup (None without any)."""
    return RenderedMessage("", tuple(tuple(row) for row in rows)).reply_markup()


def mute_label(mute, lang: str) -> str:
    """A mute in words (HTML): the UP主 linked to their space page, or the zone's name."""
    if mute.kind == "author":
        name = html.escape(shorten(mute.name or mute.key, NAME_MAX_CHARS))
        link = f"<a href=\"{SPACE_URL}{int(mute.key)}\">{name}</a>" if mute.key.isdigit() \
            else name
        return text(lang, "mutes_author_line", name=link)
    return text(lang, "mutes_zone_line",
                zone=html.escape(shorten(zone_name(mute.name or mute.key, lang),
                                         NAME_MAX_CHARS)))


def render_mutes(mutes: Sequence, lang: str) -> RenderedMessage:
    """What the user muted, one line each, with a "bring back" button per mute."""
    if not mutes:
        return RenderedMessage(text(lang, "mutes_none"))
    lines = [text(lang, "mutes_title"), *(f"• {mute_label(m, lang)}" for m in mutes)]
    rows = []
    for mute in mutes:
        if mute.kind == "author":
            label = text(lang, "unmute_author_button",
                         name=shorten(mute.name or mute.key, BUTTON_NAME_CHARS))
        else:
            label = text(lang, "unmute_zone_button",
                         zone=shorten(zone_name(mute.name or mute.key, lang), BUTTON_NAME_CHARS))
        rows.append(((label, f"{UNMUTE_PREFIX}:{int(mute.id)}"),))
    return RenderedMessage("\n".join(lines), tuple(rows))


def render_stage(stage: "Stage", lang: str) -> str:
    """A running sync's stage in words, e.g. "⏳ 正在训练你的模型：第 3 轮（最多 40 轮）"."""
    if stage.name == "training" and not stage.total:
        return text(lang, "progress_training_start")
    try:
        return text(lang, f"progress_{stage.name}", done=stage.done, total=stage.total)
    except KeyError:
        return text(lang, "progress_working")


SETTINGS_PREFIX = "set"


def _mark(chosen: bool, label: str) -> str:
    """A settings button's label, with a tick when it is the current choice."""
    return ("✓ " if chosen else "") + label


def render_settings(view, lang: str, screen: str = "main") -> RenderedMessage:
    """The /settings message (a ``bot.services.preferences.SettingsView``) on one screen:
    "main" (every setting and its buttons), "time" (digest time presets), "zone" (time zone
    presets), or "type_time" / "type_zone" (asking for a typed value). Button data:
    "set:<what>[:<value>]", see ``bot.handlers.settings``."""
    from bot.services.preferences import LIST_SIZES, TIME_PRESETS, ZONE_PRESETS

    settings, digest, zone = view.settings, view.digest, html.escape(view.zone)
    on_off = {True: text(lang, "settings_on"), False: text(lang, "settings_off")}
    if digest is None or digest.time_hhmm is None:
        when = text(lang, "status_digest_off")
    else:
        when = text(lang, "status_digest_on", time=digest.time_hhmm, zone=zone)
    parts = [text(lang, f"settings_part_{name}") for name, held in
             (("hot", settings.digest_hot), ("explore", settings.digest_explore)) if held]
    lines = [text(lang, "settings_title"),
             text(lang, "settings_digest", digest=when),
             text(lang, "settings_silent", state=on_off[settings.silent_digest]),
             text(lang, "settings_size", n=settings.list_size),
             text(lang, "settings_parts", parts=" + ".join(parts) or text(lang, "settings_none")),
             text(lang, "settings_language",
                  language=text(lang, f"settings_lang_{settings.language}"))]
    back = (text(lang, "settings_back_button"), f"{SETTINGS_PREFIX}:main")
    if screen == "time":
        presets = [(_mark(bool(digest) and digest.time_hhmm == t, t), f"{SETTINGS_PREFIX}:t:{t}")
                   for t in TIME_PRESETS]
        buttons = (tuple(presets[:3]), tuple(presets[3:]),
                   ((text(lang, "settings_digest_off_button"), f"{SETTINGS_PREFIX}:t:off"),
                    (text(lang, "settings_custom_button"), f"{SETTINGS_PREFIX}:t:custom")),
                   (back,))
        return RenderedMessage("\n".join([*lines, "", text(lang, "settings_pick_time",
                                                            zone=zone)]), buttons)
    if screen in ("type_time", "type_zone"):
        return RenderedMessage("\n".join([*lines, "", text(lang, f"settings_{screen}")]),
                               ((back,),))
    if screen == "zone":
        presets = [(_mark(view.zone == z, z), f"{SETTINGS_PREFIX}:z:{z}") for z in ZONE_PRESETS]
        buttons = (*(tuple(presets[i:i + 2]) for i in range(0, len(presets), 2)),
                   ((text(lang, "settings_custom_button"), f"{SETTINGS_PREFIX}:z:custom"),
                    back))
        return RenderedMessage("\n".join([*lines, "", text(lang, "settings_pick_zone")]),
                               buttons)
    buttons = (
        ((text(lang, "settings_time_button"), f"{SETTINGS_PREFIX}:time"),
         (text(lang, "settings_zone_button"), f"{SETTINGS_PREFIX}:zone")),
        ((text(lang, "settings_silent_button", state=on_off[settings.silent_digest]),
          f"{SETTINGS_PREFIX}:silent"),),
        tuple((_mark(settings.list_size == n, text(lang, "settings_size_button", n=n)),
               f"{SETTINGS_PREFIX}:n:{n}") for n in LIST_SIZES),
        ((_mark(settings.digest_hot, "🔥 " + text(lang, "settings_part_hot")),
          f"{SETTINGS_PREFIX}:part:hot"),
         (_mark(settings.digest_explore, "🧭 " + text(lang, "settings_part_explore")),
          f"{SETTINGS_PREFIX}:part:explore")),
        tuple((_mark(settings.language == code, text(lang, f"settings_lang_{code}")),
               f"{SETTINGS_PREFIX}:lang:{code}") for code in ("auto", "zh", "en")),
    )
    return RenderedMessage("\n".join(lines), buttons)
