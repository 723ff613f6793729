"""The explain stage: a decision in words (`explain`), as tables (`decisions_table`),
and a policy as a rulebook to sign off (`rulebook`), in Chinese and English."""

from __future__ import annotations

from ._rulebook import rulebook
from ._tables import decisions_table, print_decisions
from ._text import explain, explain_routing

__all__ = ["decisions_table", "explain", "explain_routing", "print_decisions", "rulebook"]
