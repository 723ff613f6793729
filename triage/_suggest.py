"""'Did you mean' suggestions for misspelt codes."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = ["suggest"]


def suggest(word: object, known: Iterable[str]) -> str | None:
    """The known code closest to ``word``, or None when nothing is close.

    Only a known code is ever returned, never the input, so a suggestion
    cannot echo what a report contained.
    """
    if not isinstance(word, str) or not word or len(word) > 80:
        return None
    candidates = list(known)
    lowered = {c.lower(): c for c in candidates}
    if word.lower() in lowered:
        return lowered[word.lower()]
    # Transposed characters ("=>" for ">="): same letters, other order.
    anagrams = [c for c in candidates if sorted(c) == sorted(word)]
    if len(anagrams) == 1:
        return anagrams[0]
    # A unique abbreviation ("domestic" for "domestic_violence").
    prefixed = [c for c in candidates if c.startswith(word)] if len(word) >= 4 else []
    if len(prefixed) == 1:
        return prefixed[0]
    match = difflib.get_close_matches(word, candidates, n=1, cutoff=0.75)
    return match[0] if match else None
