"""The two languages every text comes in, one default, and no silent fallback.

Everything bilingual takes ``lang``: ``zh`` (the default, the language of the
packaged policy) or ``en``. Anything else is a `UsageError`, never English by
accident. Where ``lang=None`` is allowed (tables, problems) it means both.
"""

from __future__ import annotations

from ._errors import UsageError

__all__ = ["DEFAULT_LANG", "LANGS", "check_lang", "pick"]

LANGS = ("zh", "en")
DEFAULT_LANG = "zh"


def check_lang(lang: object) -> str:
    """``lang`` itself when it is ``zh`` or ``en``; otherwise a `UsageError`."""
    if lang == "zh" or lang == "en":
        return lang
    raise UsageError(f"unknown language {lang!r}: use 'zh' or 'en'")


def pick(zh: str, en: str, lang: str) -> str:
    """The text in ``lang``."""
    return zh if check_lang(lang) == "zh" else en
