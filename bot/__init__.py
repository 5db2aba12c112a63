"""The Telegram side of BiliRec (the only package that imports ``telegram``).

``python -m bot`` starts it; ``bot.app.build_application`` is the composition root.
"""
