"""The fault matrix: every hostile or unlucky case, what the user sees, and the scenario that
proves it. ``tests/faults/test_matrix.py`` runs one row per case; docs/RELIABILITY.md shows
``table()`` (a test keeps the two equal)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import tests.bot.test_covers as covers
import tests.bot.test_digest_delivery as digest
import tests.bot.test_faults as faults
import tests.bot.test_keys as keys
import tests.bot.test_privacy as privacy
import tests.bot.test_relogin as relogin
import tests.bot.test_startup as startup
import tests.bot.test_sync_once as sync
import tests.storage.test_secrets_on_disk as on_disk
from tests.faults import extra


@dataclass(frozen=True)
class Case:
    """One row: an id, the fault, what the user (or operator) sees, and its scenario."""

    id: str
    fault: str
    sees: str
    run: Callable[..., None]


def _group(command: str) -> Callable[..., None]:
    def run(tg, fake, start_bot):
        privacy.test_account_command_in_a_group_points_to_the_private_chat(tg, fake, start_bot,
                                                                           command)
    return run


CASES: tuple[Case, ...] = (
    # private data in groups and channels
    Case("group-login", "/login in a group",
         "a note and a button to the private chat (t.me/<bot>?start=login); no QR code",
         _group("/login")),
    Case("group-status", "/status in a group",
         "the same note and button; no Bilibili name, records or settings", _group("/status")),
    Case("group-scan", "an old 'new QR code' button pressed in a group",
         "the answer 'do this in a private chat'; no QR is made, no account can be linked",
         privacy.test_scan_in_a_group_cannot_link_an_account),
    Case("group-hot", "/hot in a group",
         "the general quality order without 👍/👎 buttons, with a link to the personal ranking",
         privacy.test_hot_in_a_group_is_the_quality_order_without_buttons),
    Case("group-feedback", "a 👍 pressed in a group", "'do this in a private chat'; nothing stored",
         privacy.test_feedback_button_in_a_group_writes_nothing),
    Case("channel-command", "a command posted in a channel",
         "a note and a button to the private chat",
         privacy.test_command_in_a_channel_points_to_the_private_chat),
    # keys
    Case("key-changed", "BILIREC_SECRET_KEY changed while logins are stored",
         "operator: the bot does not start; one line says to restore the key or set "
         "BILIREC_KEY_RESET=1", keys.test_changed_key_refuses_to_start_with_one_line),
    Case("key-file-deleted", "secret.key deleted while logins are stored",
         "operator: the bot does not start and generates no new key; one line says what to do",
         keys.test_deleted_key_file_is_not_replaced_silently),
    Case("key-reset", "BILIREC_KEY_RESET=1 after a key change",
         "each affected user once: 'the key changed, please /login again'; data, model and "
         "digest kept (digest paused until /login)",
         keys.test_key_reset_logs_users_out_keeps_their_data_and_tells_each_once),
    Case("login-unreadable", "one stored login unreadable while the bot runs (corrupt row)",
         "'your login has expired, please /login' instead of an error; digest paused",
         keys.test_unreadable_login_at_run_time_counts_as_expired),
    # models and syncs
    Case("damaged-model", "a truncated or corrupt model file",
         "/hot still answers (quality order, marked provisional); the file is set aside and "
         "a retrain runs", sync.test_damaged_model_file_falls_back_and_schedules_a_retrain),
    Case("ten-syncs", "/sync sent 10 times quickly",
         "one 'syncing…', nine 'already syncing (started N s ago)', one result; one sync",
         sync.test_ten_syncs_give_one),
    Case("logout-during-sync", "/logout while a sync runs",
         "'logged out'; nothing at all afterwards (no 'model ready', no 'login expired')",
         sync.test_logout_cancels_the_sync_and_nothing_is_sent_afterwards),
    Case("relogin-during-sync", "a login with another account (or /logout and /login) while "
         "the old login's sync waits on Bilibili",
         "the old sync only says it stopped; the new login's sync result, never 'login "
         "expired'; only the new account's records",
         relogin.test_switching_account_during_a_slow_history_fetch_keeps_the_new_login),
    Case("relogin-during-training", "/logout and /login again while the old sync's training "
         "runs", "'logged out' and the new login at once (no wait for the training); the late "
         "model is discarded with its files, the new login kept",
         relogin.test_logout_and_login_during_training_discards_the_late_model),
    Case("button-after-logout", "an old 👍 pressed after /logout",
         "'you are logged out'; nothing stored", sync.test_buttons_after_logout_write_nothing),
    # Telegram delivery
    Case("blocked-403", "the user blocked the bot (403)",
         "nothing; their digest is paused (no Bilibili requests) until they write again",
         digest.test_blocked_user_digest_paused_until_they_write),
    Case("blocked-restart", "a restart while the user still blocks the bot",
         "nothing; no missed digest is queued",
         digest.test_blocked_user_gets_no_missed_digest_at_restart),
    Case("kill-9-digest", "kill -9 in the middle of sending a digest",
         "after the restart only the unsent parts; every part and video once",
         digest.test_kill_9_mid_digest_delivers_each_part_once),
    Case("telegram-429", "Telegram answers 429 Too Many Requests",
         "the message, a little later (retried after retry_after)",
         faults.test_telegram_429_is_retried),
    Case("telegram-400", "Telegram refuses a reply with 400",
         "'something went wrong' instead; the bot keeps serving",
         extra.telegram_400_on_a_reply),
    Case("cover-unreachable", "Telegram cannot fetch a list's cover photo",
         "the list as text, the cover as its link preview",
         covers.test_a_cover_telegram_cannot_fetch_falls_back_to_the_preview),
    # start-up
    Case("bad-token", "an invalid TELEGRAM_BOT_TOKEN",
         "operator: one line 'Telegram rejected TELEGRAM_BOT_TOKEN'; the token is never printed",
         startup.test_bad_token_is_one_line_and_never_printed),
    Case("telegram-unreachable", "no network to Telegram at start-up",
         "operator: one warning per attempt, retried after 1, 2, 4 … s (at most 60 s)",
         startup.test_unreachable_telegram_is_retried_with_backoff),
    Case("corrupt-database", "a corrupt SQLite file or a malformed key",
         "operator: one line naming the problem and what to do",
         startup.test_corrupt_database_and_malformed_key_are_one_line),
    Case("data-dir-modes", "data directory created with a loose umask",
         "nothing; data/, data/models and each user folder are 0700",
         startup.test_data_directory_and_subfolders_are_private),
    # cases that held before
    Case("bad-arguments", "malformed commands (/hot abc, /digest 25:00, <b> as a zone, …)",
         "a short usage hint; the bot keeps serving", faults.test_malformed_commands),
    Case("forged-callback", "forged or foreign callback data",
         "'this button is no longer valid'; nothing stored", extra.forged_callback_data),
    Case("used-or-expired-more", "a ▶ tapped twice, or after a restart (its list is gone)",
         "a toast 'already sent below' or 'this list has expired'; nothing sent, the ▶ removed",
         extra.used_or_expired_more),
    Case("hostile-title", "a video title full of HTML and entities",
         "the title shown literally (escaped); the message is valid HTML",
         extra.hostile_html_title),
    Case("bilibili-101", "Bilibili -101 (login gone) even after a refresh",
         "'your login has expired, please /login'; digest paused",
         faults.test_expired_login_asks_for_login_and_pauses_digest),
    Case("bilibili-352-412", "Bilibili risk control (-352, 412)",
         "'risk control, try again in a few minutes'; other users unaffected",
         faults.test_risk_control_and_outages_give_clear_messages),
    Case("bilibili-5xx", "Bilibili 5xx", "the last good list with its age ('⚠️ … ago')",
         faults.test_last_good_list_served_with_its_age),
    Case("bilibili-badjson", "Bilibili answers broken JSON",
         "'Bilibili is unreachable right now'", extra.broken_json),
    Case("slow-bilibili", "Bilibili hangs during /logout",
         "'logged out' within 5 s; the local erase never waits longer",
         faults.test_logout_does_not_wait_long_for_a_slow_bilibili),
    Case("double-login", "/login twice; an expired QR code",
         "the old code is marked void; a 'new QR code' button on an expired one",
         faults.test_expired_qr_code_offers_a_new_one),
    Case("secrets-in-logs", "cookies, refresh token and bot token vs. the logs",
         "operator: none of them in any log line", faults.test_secrets_never_logged),
    Case("secrets-on-disk", "cookie values vs. the data directory",
         "operator: no cookie value in any file (encrypted at rest)",
         on_disk.test_cookie_values_never_reach_disk),
)


def table() -> str:
    """The matrix as a Markdown table (docs/RELIABILITY.md)."""
    rows = ["| case | fault | what the user sees |", "|---|---|---|"]
    rows += [f"| `{case.id}` | {case.fault} | {case.sees} |" for case in CASES]
    return "\n".join(rows)
