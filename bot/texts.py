"""Every user-facing text in Chinese (default) and English, as HTML-mode templates.

``text(lang, key, **values)`` fills a template; values are HTML-escaped by the caller where they
come from outside (titles, names), see ``bot.render``.
"""
from __future__ import annotations

LANGUAGES = ("zh", "en")

COMMANDS = {
    "zh": [
        ("start", "开始使用"),
        ("help", "帮助与命令列表"),
        ("login", "扫码登录哔哩哔哩"),
        ("hot", "为你排序的热门视频 [n]"),
        ("explore", "为你挑选的首页推荐 [n]"),
        ("digest", "每日推送 [HH:MM [时区]] | off"),
        ("status", "登录、数据与模型状态"),
        ("sync", "立即同步并重新训练"),
        ("logout", "退出并删除你的全部数据"),
        ("settings", "推送、列表长度和语言设置"),
        ("taste", "你的口味：分区图表和常看的 UP主"),
    ],
    "en": [
        ("start", "Start"),
        ("help", "Help and commands"),
        ("login", "Log in to Bilibili with a QR code"),
        ("hot", "Popular videos ranked for you [n]"),
        ("explore", "Your homepage feed ranked for you [n]"),
        ("digest", "Daily digest [HH:MM [Area/City]] | off"),
        ("status", "Login, data and model status"),
        ("sync", "Re-sync and retrain now"),
        ("logout", "Log out and erase all your data"),
        ("settings", "Digest, list size and language"),
        ("taste", "Your taste: zone chart and favourite creators"),
    ],
}

TEXTS: dict[str, dict[str, str]] = {
    "zh": {
        "help": (
            "<b>BiliRec</b> — 你的私人哔哩哔哩视频推荐。\n"
            "登录后，我会读取你的观看历史、收藏、投币和点赞，为你单独训练一个小模型，"
            "给每个视频打出推荐指数并说明理由。\n"
            "<b>推荐指数</b>（0–100）：大约是你会看完或点赞这个视频的可能性（%）；"
            "个人模型训练好之前，它是按内容匹配或视频质量估计的。\n\n"
            "/login — 扫码登录哔哩哔哩\n"
            "/hot [n] — 为你排序的热门视频（默认 10，最多 20；未登录也可用）\n"
            "/explore [n] — 从你的首页推荐里挑选（需要登录）\n"
            "/digest [HH:MM [地区/城市]] | off — 查看、设置或关闭每日推送\n"
            "/settings — 推送时间、时区、静音、列表长度和语言\n"
            "/taste — 你的口味：分区占比图和常看的 UP主、关键词\n"
            "/status — 登录、数据与模型状态\n"
            "/sync — 立即同步并重新训练\n"
            "/logout — 退出并删除你的全部数据\n\n"
            "每个视频下都有 👍/👎 按钮（再点一次撤销），你的反馈会用于下一次训练；"
            "⋯ 可以少看这个 UP主 或分区（在 /status 里恢复）；列表末尾的 ▶ 接着发下一批。"
        ),
        "unknown_command": "不认识这个命令。发送 /help 查看全部命令。",
        "qr_caption": "请用哔哩哔哩 App 扫描二维码并确认登录（{minutes} 分钟内有效）。",
        "qr_scanned": "已扫码，请在手机上确认登录。",
        "qr_confirmed": "✅ 登录成功。",
        "qr_expired": "二维码已过期。点击下方按钮获取新的二维码。",
        "qr_cancelled": "这个二维码已作废（你发起了新的登录）。",
        "qr_failed": "登录暂时无法完成（哔哩哔哩没有响应）。请稍后再发送 /login。",
        "qr_new_button": "🔄 新的二维码",
        "greeting": "你好，<b>{name}</b>！我会同步你的哔哩哔哩数据并训练你的模型，进度就显示在这条消息里。",
        "model_ready": "🎉 已就绪：{records} 条记录。排序方式：{serving}。试试 /hot 或 /explore。",
        "model_not_ready": "数据已同步（{records} 条记录），但模型暂未更新：{reason}。"
                           "你仍可以使用 /hot 和 /explore。",
        "sync_started": "🔄 <b>同步并重新训练</b>",
        "training_failed": "这次训练没有完成，继续使用之前的排序方式",
        "sync_busy": "已经在同步了（{seconds} 秒前开始），完成后会通知你。",
        "login_needed_explore": "/explore 需要先登录：发送 /login 扫码登录。",
        "login_needed_sync": "需要先登录：发送 /login 扫码登录。",
        "login_hint": "提示：发送 /login 登录后，这里会按你的口味排序。",
        "login_expired": "你的哔哩哔哩登录已失效。请发送 /login 重新登录；在此之前每日推送已暂停。",
        "bad_count": "数量要写成 1 到 {max} 之间的整数，例如 /{command} 10。",
        "hot_title": "🔥 <b>热门 · 为你排序</b>",
        "explore_title": "🧭 <b>探索 · 首页推荐</b>",
        "digest_title": "📬 <b>每日推送</b> {date}",
        "provisional": "（尚无个人模型，按质量排序）",
        "provisional_content": "（尚无个人模型，按你常看的 UP主、分区和关键词排序）",
        "stale": "⚠️ 哔哩哔哩暂时无法访问，以下是 {age} 前的列表。",
        "nothing": "暂时没有新的视频可推荐。",
        "risk_control": "哔哩哔哩触发了风控，暂时拒绝请求。请过几分钟再试。",
        "unavailable": "哔哩哔哩暂时无法访问（超时或服务器错误）。请稍后再试。",
        "rating": "推荐指数 {rating}",
        "by_owner": "UP主 {owner}",
        "views": "{views} 播放",
        "fb_saved_up": "已记录 👍（再点一次撤销）",
        "fb_saved_down": "已记录 👎，不会再推荐这个视频（再点一次撤销）。",
        "fb_bad": "这个按钮已失效。",
        "fb_logged_out": "你已退出，数据已删除；这个按钮不再记录任何内容。",
        "digest_show": "每日推送：每天 {time}（{zone}）。{paused}",
        "digest_paused": "当前已暂停：请先 /login 重新登录。",
        "digest_none": "每日推送未开启。发送 /digest 08:00 开启（可加时区，如 /digest 08:00 Asia/Shanghai）。",
        "digest_set": "好的，每天 {time}（{zone}）给你推送一份热门和一份探索列表。",
        "digest_off": "每日推送已关闭。",
        "digest_bad_time": "时间要写成 HH:MM（24 小时制），例如 /digest 08:00。",
        "digest_bad_zone": "不认识时区“{zone}”。请写成 地区/城市，例如 Asia/Shanghai。",
        "digest_usage": "用法：/digest [HH:MM [地区/城市]] 或 /digest off。",
        "status": (
            "<b>状态</b>\n"
            "登录：{login}\n"
            "记录：{records} 条\n"
            "排序：{model}\n"
            "每日推送：{digest}"
        ),
        "status_logged_in": "已登录（{name}）",
        "status_logged_out": "未登录",
        "status_expired": "已失效，请 /login",
        "status_digest_off": "关闭",
        "status_digest_on": "每天 {time}（{zone}）",
        "status_hits": "过去 7 天推荐的视频中你看了 {hits}/{shown}（{percent}%）",
        "status_training_delayed": "⏳ 训练队列暂时不可用，模型训练会延迟；推荐照常",
        "logout_done": "已退出，并删除了你的登录凭据、行为记录、反馈、模型和推送设置。",
        "logout_bilibili_done": "Bilibili 网页端的这次登录也已注销。",
        "logout_bilibili_kept": "Bilibili 网页端的登录未能注销，可在 Bilibili 的设备管理中自行退出。",
        "error": "出了点问题，已记录。请稍后再试。",
        "key_reset_login": "抱歉：机器人的加密密钥已更换，你保存的哔哩哔哩登录无法再读取，已被删除。"
                           "你的数据、模型和推送设置都还在；请发送 /login 重新登录"
                           "（在此之前每日推送已暂停）。",
        "private_only": "为保护你的账号隐私，这个命令只能在与我的私聊中使用。点击下方按钮继续。",
        "private_only_button": "请在与我的私聊中操作。",
        "private_button": "🔒 在私聊中打开",
        "hot_title_group": "🔥 <b>热门 · 按质量排序</b>",
        "group_hot_note": "（群聊中显示通用的质量排序；<a href=\"{link}\">在私聊中</a>"
                          "查看为你排序的列表）",
        "age_minutes": "{n} 分钟",
        "age_hours": "{n} 小时",
        "age_days": "{n} 天",
        "reason_author": "你常看 UP主 {value}",
        "reason_zone": "你常看「{value}」分区",
        "reason_keywords": "关键词：{value}",
        "reason_quality": "高质量：{value}",
        "reason_popular": "热门：{value}",
        "reason_fresh_today": "今天发布",
        "reason_fresh_yesterday": "昨天发布",
        "reason_fresh_days": "{n} 天前发布",
        "reason_none": "综合推荐",
        "ranker_model": "你的个人模型",
        "ranker_content": "内容匹配（你常看的 UP主、分区和关键词）",
        "ranker_freq": "分区和 UP主 的观看频次",
        "ranker_tfidf": "标题关键词模型",
        "ranker_short_model": "个人模型",
        "ranker_short_content": "内容匹配",
        "ranker_short_freq": "观看频次",
        "ranker_short_tfidf": "关键词模型",
        "serving_best": "{ranker}：在你之后看过的视频上，它把 {pct}% 排在了你跳过的视频前面",
        "serving_others": "（对比：{others}）",
        "serving_few_positives": "内容匹配：看完或互动过的记录还太少（{n} 条，需要 {need} 条），"
                                 "暂不训练个人模型",
        "serving_no_negatives": "内容匹配：还没有你跳过的视频可供学习，暂不训练个人模型",
        "serving_no_holdout": "{ranker}：你之后的观看记录还不足以比较各种排序方式",
        "serving_pending": "内容匹配：个人模型尚未训练（同步后自动训练）",
        "serving_trained": "（{trained_at} 训练）",
        "taste_title": "🎯 <b>你的口味</b>（来自 {records} 条记录）",
        "taste_zones": "常看分区：{zones}",
        "taste_authors": "常看 UP主：{authors}",
        "taste_keywords": "常见关键词：{keywords}",
        "taste_lift": "这些分区占你观看的 {mine}%，占热门列表的 {popular}%",
        "taste_hits": "最近 {days} 天推荐给你的 {shown} 个视频中，你看了或点赞了 {hits} 个"
                      "（{percent}%）",
        "taste_ranker": "排序：{serving}",
        "taste_empty": "还没有足够的记录来描述你的口味：先发送 /login 扫码登录（已登录可发送 /sync 同步），之后再来看看。",
        "chart_title": "分区占比：你的观看 vs 热门列表",
        "chart_history": "你的观看",
        "chart_popular": "热门列表",
        "chart_hits": "最近 {days} 天的推荐命中率：{percent}%（{hits}/{shown}）",
    },
    "en": {
        "help": (
            "<b>BiliRec</b> — your personal Bilibili video recommender.\n"
            "After you log in I read your watch history, favourites, coins and likes, train a "
            "small model for you alone, and rate every video with a reason.\n"
            "<b>The rating</b> (0–100) is about how likely you are, in percent, to finish or "
            "like the video; until your personal model is trained it is an estimate from "
            "content match or the video's quality.\n\n"
            "/login — log in to Bilibili with a QR code\n"
            "/hot [n] — popular videos ranked for you (default 10, at most 20; works without login)\n"
            "/explore [n] — picks from your homepage feed (needs login)\n"
            "/digest [HH:MM [Area/City]] | off — show, set or turn off the daily digest\n"
            "/settings — digest time, time zone, silence, list size and language\n"
            "/taste — your taste: a zone chart, the creators and words you watch most\n"
            "/status — login, data and model status\n"
            "/sync — re-sync and retrain now\n"
            "/logout — log out and erase all your data\n\n"
            "Every video has 👍/👎 buttons (tap again to undo); your feedback goes into the "
            "next training. ⋯ leaves that creator or zone out of your lists (bring them back "
            "in /status); ▶ under a list sends the next batch."
        ),
        "unknown_command": "I don't know that command. Send /help for the list.",
        "qr_caption": "Scan this QR code with the Bilibili app and confirm the login "
                      "(valid for {minutes} minutes).",
        "qr_scanned": "Scanned. Please confirm the login on your phone.",
        "qr_confirmed": "✅ Logged in.",
        "qr_expired": "The QR code has expired. Tap the button below for a new one.",
        "qr_cancelled": "This QR code was cancelled (you started a new login).",
        "qr_failed": "The login could not finish (Bilibili did not answer). Please send /login "
                     "again later.",
        "qr_new_button": "🔄 New QR code",
        "greeting": "Hello, <b>{name}</b>! I'm syncing your Bilibili data and training your "
                    "model; this message shows how far it is.",
        "model_ready": "🎉 Ready: {records} records. Your lists are ranked by {serving}. "
                       "Try /hot or /explore.",
        "model_not_ready": "Synced ({records} records), but the model was not updated: "
                           "{reason}. /hot and /explore still work.",
        "sync_started": "🔄 <b>Sync and retrain</b>",
        "training_failed": "this training did not finish, so the previous ranking stays",
        "sync_busy": "Already syncing (started {seconds} s ago); I'll tell you when it's done.",
        "login_needed_explore": "/explore needs a login: send /login and scan the QR code.",
        "login_needed_sync": "You need to log in first: send /login.",
        "login_hint": "Tip: after /login this list is ranked for your taste.",
        "login_expired": "Your Bilibili login has expired. Please send /login again; your daily "
                         "digest is paused until then.",
        "bad_count": "The count must be a whole number from 1 to {max}, e.g. /{command} 10.",
        "hot_title": "🔥 <b>Hot · ranked for you</b>",
        "explore_title": "🧭 <b>Explore · your feed</b>",
        "digest_title": "📬 <b>Daily digest</b> {date}",
        "provisional": "(no personal model yet: quality order)",
        "provisional_content": "(no personal model yet: ranked by the creators, zones and words "
                               "you watch)",
        "stale": "⚠️ Bilibili is unreachable right now; this is the list from {age} ago.",
        "nothing": "Nothing new to recommend right now.",
        "risk_control": "Bilibili's risk control is refusing requests for now. Please try again "
                        "in a few minutes.",
        "unavailable": "Bilibili is unreachable right now (timeout or server error). Please try "
                       "again later.",
        "rating": "rating {rating}",
        "by_owner": "by {owner}",
        "views": "{views} views",
        "fb_saved_up": "Noted 👍 (tap again to undo)",
        "fb_saved_down": "Noted 👎 — you won't see this video again (tap again to undo).",
        "fb_bad": "This button is no longer valid.",
        "fb_logged_out": "You are logged out and your data is erased; this button records "
                         "nothing.",
        "digest_show": "Daily digest: every day at {time} ({zone}). {paused}",
        "digest_paused": "Paused until you /login again.",
        "digest_none": "The daily digest is off. Send /digest 08:00 to turn it on (optionally "
                       "with a zone: /digest 08:00 Europe/Berlin).",
        "digest_set": "Done: every day at {time} ({zone}) you get one hot and one explore list.",
        "digest_off": "The daily digest is off.",
        "digest_bad_time": "Write the time as HH:MM (24-hour), e.g. /digest 08:00.",
        "digest_bad_zone": "Unknown time zone “{zone}”. Use Area/City, e.g. Europe/Berlin.",
        "digest_usage": "Usage: /digest [HH:MM [Area/City]] or /digest off.",
        "status": (
            "<b>Status</b>\n"
            "Login: {login}\n"
            "Records: {records}\n"
            "Ranking: {model}\n"
            "Daily digest: {digest}"
        ),
        "status_logged_in": "logged in ({name})",
        "status_logged_out": "not logged in",
        "status_expired": "expired, please /login",
        "status_digest_off": "off",
        "status_digest_on": "every day at {time} ({zone})",
        "status_hits": "Of the videos recommended in the last 7 days you watched {hits} of "
                       "{shown} ({percent} %)",
        "status_training_delayed": "⏳ The training queue is unreachable right now, so training "
                                   "is delayed; your lists are served as usual.",
        "logout_done": "Logged out. Your credentials, behaviour, feedback, model and schedule "
                       "are erased.",
        "logout_bilibili_done": "The Bilibili web session is signed out too.",
        "logout_bilibili_kept": "The Bilibili web session could not be signed out; you can end "
                                "it in Bilibili's device settings.",
        "error": "Something went wrong; it has been logged. Please try again later.",
        "key_reset_login": "Sorry: the bot's encryption key was changed, so your saved Bilibili "
                           "login could not be read and was removed. Your data, model and "
                           "digest settings are kept; please send /login again (your daily "
                           "digest is paused until then).",
        "private_only": "To keep your account private, this works only in a private chat with "
                        "me. Tap the button to continue there.",
        "private_only_button": "Please do this in a private chat with me.",
        "private_button": "🔒 Open private chat",
        "hot_title_group": "🔥 <b>Hot · quality order</b>",
        "group_hot_note": "(in groups: the general quality order; <a href=\"{link}\">open the "
                          "private chat</a> for your personal ranking)",
        "age_minutes": "{n} min",
        "age_hours": "{n} h",
        "age_days": "{n} days",
        "reason_author": "you often watch {value}",
        "reason_zone": "you often watch the {value} zone",
        "reason_keywords": "keywords: {value}",
        "reason_quality": "quality: {value}",
        "reason_popular": "popular: {value}",
        "reason_fresh_today": "published today",
        "reason_fresh_yesterday": "published yesterday",
        "reason_fresh_days": "published {n} days ago",
        "reason_none": "overall pick",
        "ranker_model": "your personal model",
        "ranker_content": "the content ranker (creators, zones and words you watch)",
        "ranker_freq": "how often you watch each zone and creator",
        "ranker_tfidf": "the title-keyword ranker",
        "ranker_short_model": "personal model",
        "ranker_short_content": "content ranker",
        "ranker_short_freq": "watch frequency",
        "ranker_short_tfidf": "keyword ranker",
        "serving_best": "{ranker}: on your later watches it ranked {pct} % of them above videos "
                        "you skipped",
        "serving_others": " (compared: {others})",
        "serving_few_positives": "the content ranker: too few finished or liked videos yet "
                                 "({n}, {need} needed) to train a personal model",
        "serving_no_negatives": "the content ranker: nothing you skipped to learn from yet, so "
                                "no personal model",
        "serving_no_holdout": "{ranker}: your later watches are too few to compare the rankers",
        "serving_pending": "the content ranker: your personal model is not trained yet (it "
                           "trains after a sync)",
        "serving_trained": " (trained {trained_at})",
        "taste_title": "🎯 <b>Your taste</b> (from {records} records)",
        "taste_zones": "Zones you watch most: {zones}",
        "taste_authors": "Creators you watch most: {authors}",
        "taste_keywords": "Frequent keywords: {keywords}",
        "taste_lift": "These zones are {mine} % of what you watch and {popular} % of the "
                      "popular list",
        "taste_hits": "Of the {shown} videos recommended in the last {days} days you watched "
                      "or liked {hits} ({percent} %)",
        "taste_ranker": "Ranking: {serving}",
        "taste_empty": "Not enough records yet to describe your taste: send /login first (or /sync "
                       "when you are logged in), then try again.",
        "chart_title": "Zone shares: what you watch vs the popular list",
        "chart_history": "What you watch",
        "chart_popular": "Popular list",
        "chart_hits": "Hit rate of the last {days} days' recommendations: {percent} % "
                      "({hits}/{shown})",
    },
}


# --- buttons that answer (👍/👎 undo, ⋯ fewer from this UP主 / zone) and ▶ more ---------------
LIST_BUTTON_TEXTS: dict[str, dict[str, str]] = {
    "zh": {
        "fb_undone": "已撤销你对这个视频的 👍/👎。",
        "menu_expired": "找不到这个视频的信息了，请重新发送 /hot 或 /explore。",
        "mute_author": "🙈 少看 UP主 {name}",
        "mute_zone": "🙈 少看「{zone}」分区",
        "muted_author": "好的，以后不再推荐 UP主 {name} 的视频（可在 /status 里恢复）。",
        "muted_zone": "好的，以后不再推荐「{zone}」分区的视频（可在 /status 里恢复）。",
        "unmuted_author": "已恢复 UP主 {name}。",
        "unmuted_zone": "已恢复「{zone}」分区。",
        "unmute_gone": "这一项已经恢复过了。",
        "mutes_title": "🙈 <b>不再推荐</b>（点下方按钮恢复）",
        "mutes_author_line": "UP主 {name}",
        "mutes_zone_line": "「{zone}」分区",
        "mutes_none": "没有被你设为少看的 UP主 或分区。",
        "unmute_author_button": "🔈 恢复 UP主 {name}",
        "unmute_zone_button": "🔈 恢复「{zone}」分区",
        "more_button": "▶ 下一批",
        "more_note": "▶ 接着看：第 {first}–{last} 个",
        "more_expired": "这个列表已过期，请重新发送 /hot 或 /explore。",
        "more_stale": "这一批已经发过了，就在下面。",
        "more_exhausted": "这个列表没有更多视频了。热门和首页推荐会不断更新，过一会儿再试试 "
                          "/hot 或 /explore。",
    },
    "en": {
        "fb_undone": "Undone: your 👍/👎 on this video is removed.",
        "menu_expired": "I no longer have this video's details; send /hot or /explore for a "
                        "fresh list.",
        "mute_author": "🙈 Fewer from {name}",
        "mute_zone": "🙈 Fewer from the {zone} zone",
        "muted_author": "OK: {name}'s videos are left out of your lists (bring them back in "
                        "/status).",
        "muted_zone": "OK: the {zone} zone is left out of your lists (bring it back in "
                      "/status).",
        "unmuted_author": "{name} is back in your lists.",
        "unmuted_zone": "The {zone} zone is back in your lists.",
        "unmute_gone": "That one is back already.",
        "mutes_title": "🙈 <b>Left out of your lists</b> (tap a button to bring one back)",
        "mutes_author_line": "creator {name}",
        "mutes_zone_line": "the {zone} zone",
        "mutes_none": "Nothing is left out of your lists.",
        "unmute_author_button": "🔈 Bring back {name}",
        "unmute_zone_button": "🔈 Bring back the {zone} zone",
        "more_button": "▶ More",
        "more_note": "▶ More of this list: {first}–{last}",
        "more_expired": "This list has expired; send /hot or /explore for a fresh one.",
        "more_stale": "That batch was sent already; it is below.",
        "more_exhausted": "That's all: this list has no more videos. Bilibili's lists change "
                          "during the day; try /hot or /explore later.",
    },
}
for _lang, _texts in LIST_BUTTON_TEXTS.items():
    TEXTS[_lang].update(_texts)


def language_for(language_code: str | None) -> str:
    """"en" for English Telegram clients, "zh" (the default) for everyone else."""
    return "en" if (language_code or "").lower().startswith("en") else "zh"


def text(lang: str, key: str, **values: object) -> str:
    """The template ``key`` in ``lang`` (falling back to Chinese) filled with values."""
    table = TEXTS.get(lang, TEXTS["zh"])
    template = table.get(key, TEXTS["zh"][key])
    return template.format(**values) if values else template


# --- welcome, logout confirmation, progress, settings, taste (issue #12, ux2) -----------------
TEXTS["zh"].update({
    "welcome": (
        "👋 <b>欢迎使用 BiliRec</b> — 你的私人哔哩哔哩视频推荐。\n"
        "扫码登录后，我会从你的观看历史、收藏、投币和点赞中学习，为你排序热门和首页推荐。\n"
        "还没登录也可以先试试 /hot。发送 /help 查看全部命令。"
    ),
    "welcome_back": "👋 欢迎回来，<b>{name}</b>！试试 /hot、/explore 或 /settings。发送 /help 查看全部命令。",
    "welcome_login_button": "📱 扫码登录",
    "logout_confirm": "确定要退出吗？这会删除我保存的你的登录凭据、行为记录、反馈、模型和推送设置，且无法恢复。",
    "logout_erase_button": "🗑 退出并删除",
    "logout_keep_button": "保留",
    "logout_kept": "好的，什么都没有删除。",
    "logout_erasing": "正在退出……",
    "progress_history": "⏳ 正在读取观看历史：{done} 条（最多 {total} 条）",
    "progress_favourites": "⏳ 正在读取收藏……",
    "progress_coins_likes": "⏳ 正在读取投币和点赞……",
    "progress_feed": "⏳ 正在读取首页推荐……",
    "progress_counts": "⏳ 正在补全播放数和收藏数：{done}/{total} 个视频",
    "progress_queued": "⏳ 排队等待训练：第 {done} 位",
    "progress_training_start": "⏳ 正在启动训练……",
    "progress_training": "⏳ 正在训练你的模型：第 {done} 轮（最多 {total} 轮）",
    "progress_working": "⏳ 处理中……",
    "progress_stopped": "已停止：你已退出。",
    "status_running": "进行中：{stage}",
    "list_ranked_by": "（按{ranker}排序）",
})
TEXTS["en"].update({
    "welcome": (
        "👋 <b>Welcome to BiliRec</b>, your personal Bilibili video recommender.\n"
        "Log in by scanning a QR code and I learn from your watch history, favourites, coins "
        "and likes to rank the popular list and your homepage feed for you.\n"
        "You can try /hot before logging in. Send /help for every command."
    ),
    "welcome_back": "👋 Welcome back, <b>{name}</b>! Try /hot, /explore or /settings. Send "
                    "/help for every command.",
    "welcome_login_button": "📱 Scan to log in",
    "logout_confirm": "Log out? This erases your credentials, behaviour, feedback, model and "
                      "settings that I keep, and cannot be undone.",
    "logout_erase_button": "🗑 Log out and erase",
    "logout_keep_button": "Keep",
    "logout_kept": "OK, nothing was erased.",
    "logout_erasing": "Logging out…",
    "progress_history": "⏳ Reading your watch history: {done} records (up to {total})",
    "progress_favourites": "⏳ Reading your favourites…",
    "progress_coins_likes": "⏳ Reading your coins and likes…",
    "progress_feed": "⏳ Reading your homepage feed…",
    "progress_counts": "⏳ Looking up view and favourite counts: {done}/{total} videos",
    "progress_queued": "⏳ Waiting for a training slot: number {done} in the queue",
    "progress_training_start": "⏳ Starting the training…",
    "progress_training": "⏳ Training your model: epoch {done} (at most {total})",
    "progress_working": "⏳ Working…",
    "progress_stopped": "Stopped: you logged out.",
    "status_running": "Running now: {stage}",
    "list_ranked_by": "(ranked by: {ranker})",
})
TEXTS["zh"].update({
    "settings_title": "⚙️ <b>设置</b>",
    "settings_digest": "每日推送：{digest}",
    "settings_silent": "静音推送：{state}",
    "settings_size": "列表长度：{n} 个视频",
    "settings_parts": "推送内容：{parts}",
    "settings_language": "语言：{language}",
    "settings_on": "开",
    "settings_off": "关",
    "settings_none": "无",
    "settings_lang_auto": "自动（跟随 Telegram）",
    "settings_lang_zh": "中文",
    "settings_lang_en": "English",
    "settings_part_hot": "热门",
    "settings_part_explore": "探索",
    "settings_time_button": "⏰ 推送时间",
    "settings_zone_button": "🌏 时区",
    "settings_silent_button": "🔕 静音推送：{state}",
    "settings_size_button": "{n} 个",
    "settings_custom_button": "✏️ 自定义",
    "settings_back_button": "« 返回",
    "settings_digest_off_button": "关闭推送",
    "settings_pick_time": "选择每天推送的时间（{zone}），或点“自定义”后发送时间，例如 07:30。",
    "settings_pick_zone": "选择时区，或点“自定义”后发送 地区/城市，例如 Asia/Singapore。",
    "settings_type_time": "请发送推送时间，格式 HH:MM（24 小时制），例如 07:30。",
    "settings_type_zone": "请发送时区，格式 地区/城市，例如 Asia/Singapore。",
    "settings_saved": "已保存。",
    "settings_last_part": "推送至少要保留一项内容。",
})
TEXTS["en"].update({
    "settings_title": "⚙️ <b>Settings</b>",
    "settings_digest": "Daily digest: {digest}",
    "settings_silent": "Silent digest: {state}",
    "settings_size": "List size: {n} videos",
    "settings_parts": "Digest holds: {parts}",
    "settings_language": "Language: {language}",
    "settings_on": "on",
    "settings_off": "off",
    "settings_none": "nothing",
    "settings_lang_auto": "auto (as Telegram)",
    "settings_lang_zh": "中文",
    "settings_lang_en": "English",
    "settings_part_hot": "hot",
    "settings_part_explore": "explore",
    "settings_time_button": "⏰ Digest time",
    "settings_zone_button": "🌏 Time zone",
    "settings_silent_button": "🔕 Silent digest: {state}",
    "settings_size_button": "{n} videos",
    "settings_custom_button": "✏️ Custom",
    "settings_back_button": "« Back",
    "settings_digest_off_button": "Digest off",
    "settings_pick_time": "Pick the daily digest time ({zone}), or tap Custom and send a time "
                          "such as 07:30.",
    "settings_pick_zone": "Pick a time zone, or tap Custom and send Area/City, e.g. "
                          "Asia/Singapore.",
    "settings_type_time": "Send the digest time as HH:MM (24-hour), e.g. 07:30.",
    "settings_type_zone": "Send the time zone as Area/City, e.g. Asia/Singapore.",
    "settings_saved": "Saved.",
    "settings_last_part": "The digest must hold at least one list.",
})
