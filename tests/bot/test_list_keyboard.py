"""The list keyboard as a pure function: choices marked, the ⋯ menu, ▶, reading it back."""
from __future__ import annotations

import pytest

from bot.render import (CALLBACK_DATA_LIMIT, feedback_rows,
                        more_data, parse_menu_data, parse_more_data, parse_mute_data,
                        parse_unmute_data, read_list_keyboard, render_mutes, with_more,
                        without_more, RenderedMessage)
from bot.services.feedback import EntryMenu, KeyboardState
from storage import MuteRecord
from tests.bot.test_words import assert_english

B = [f"BV1xx411c7m{c}" for c in "ABCDE"]
NUMBERED = [(11 + i, bvid) for i, bvid in enumerate(B)]


def labels(rows):
    return [[label for label, _ in row] for row in rows]


def test_entries_two_to_a_row_with_three_buttons_each():
    rows = feedback_rows(NUMBERED, "en")
    assert labels(rows) == [["11 👍", "11 👎", "11 ⋯", "12 👍", "12 👎", "12 ⋯"],
                            ["13 👍", "13 👎", "13 ⋯", "14 👍", "14 👎", "14 ⋯"],
                            ["15 👍", "15 👎", "15 ⋯"]]
    assert rows[0][2][1] == f"fm:{B[0]}" and rows[0][1][1] == f"fb:-:{B[0]}"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_choices_are_marked_and_the_open_menu_sits_under_its_entry(lang):
    menu = EntryMenu(B[2], "老番茄", True, "美食制作", False)
    state = KeyboardState(votes={B[0]: 1, B[1]: -1}, muted=frozenset({B[2], B[3]}), menu=menu)
    rows = feedback_rows(NUMBERED, lang, state)
    assert labels(rows)[0] == ["✅ 11 👍", "11 👎", "11 ⋯", "12 👍", "✅ 12 👎", "12 ⋯"]
    assert labels(rows)[1] == ["13 👍", "13 👎", "13 ✕", "14 👍", "14 👎", "14 🙈"]
    author, zone = rows[2][0], rows[3][0]
    assert author[1] == f"mu:a:{B[2]}" and zone[1] == f"mu:z:{B[2]}"
    assert author[0].startswith("✅ 🙈") and "老番茄" in author[0]
    assert zone[0].startswith("🙈") and ("Cooking" if lang == "en" else "美食制作") in zone[0]
    if lang == "en":
        assert_english(author[0].replace("老番茄", ""))
        assert_english(zone[0])
    assert labels(rows)[4] == ["15 👍", "15 👎", "15 ⋯"]
    for row in rows:
        for _, data in row:
            assert len(data.encode()) <= CALLBACK_DATA_LIMIT


def test_a_keyboard_reads_back_to_its_entries_menu_and_other_rows():
    menu = EntryMenu(B[2], "x", False, None, False)
    rows = feedback_rows(NUMBERED, "zh", KeyboardState(votes={B[0]: 1}, menu=menu))
    [message] = with_more([RenderedMessage("t", rows)], "tok_9-A", 3, "zh")
    read = read_list_keyboard(message.buttons)
    assert read.entries == tuple(NUMBERED)
    assert read.menu == B[2]
    assert read.other_rows == ((("▶ 下一批", "more:tok_9-A:3"),),)
    assert without_more(message.buttons) == rows
    assert feedback_rows(read.entries, "zh", KeyboardState(votes={B[0]: 1}, menu=menu)) == rows


def test_button_data_parsers_refuse_anything_else():
    assert parse_menu_data(f"fm:{B[0]}") == B[0]
    assert parse_mute_data(f"mu:z:{B[0]}") == ("zone", B[0])
    assert parse_mute_data(f"mu:a:{B[0]}") == ("author", B[0])
    assert parse_unmute_data("um:17") == 17
    assert parse_more_data(more_data("abc", 2)) == ("abc", 2)
    for bad in ("", "fm:BV1", f"fm:{B[0]}:x", f"mu:x:{B[0]}", "mu:a:../etc", "um:-1", "um:x",
                "more:a b:1", "more:abc:x", "more:abc", "um:" + "9" * 30):
        assert parse_menu_data(bad) is None and parse_mute_data(bad) is None
        assert parse_unmute_data(bad) is None and parse_more_data(bad) is None
    with pytest.raises(ValueError):
        more_data("x" * 60, 1)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_mutes_are_listed_with_a_button_each(lang):
    mutes = [MuteRecord(4, "author", "3000007", "老番茄<b>", 1.0),
             MuteRecord(9, "zone", "美食制作", "美食制作", 2.0)]
    message = render_mutes(mutes, lang)
    assert 'href="https://space.bilibili.com/3000007"' in message.text
    assert "老番茄&lt;b&gt;" in message.text
    assert ("Cooking" if lang == "en" else "「美食制作」") in message.text
    assert [data for row in message.buttons for _, data in row] == ["um:4", "um:9"]
    if lang == "en":
        assert_english(message.text.replace("老番茄", ""))
        for row in message.buttons:
            assert_english(row[0][0].replace("老番茄", ""))
    assert render_mutes([], lang).buttons == ()


def test_twenty_entries_with_an_open_menu_and_more_fit_one_keyboard():
    numbered = [(i + 1, f"BV1xx411c{i:03d}") for i in range(20)]
    menu = EntryMenu(numbered[-1][1], "名" * 40, False, "美食制作", True)
    rows = feedback_rows(numbered, "zh", KeyboardState(menu=menu))
    [message] = with_more([RenderedMessage("t", rows)], "abcdefgh", 99999, "zh")
    assert sum(len(row) for row in message.buttons) == 20 * 3 + 2 + 1 <= 100
    assert max(len(row) for row in message.buttons) <= 8
    assert all(len(data.encode()) <= CALLBACK_DATA_LIMIT
               for row in message.buttons for _, data in row)
