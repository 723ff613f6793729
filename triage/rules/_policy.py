"""A loaded policy: validated rules, their strata, and the policy's own rule engine."""

from __future__ import annotations

import threading
from importlib import resources
from pathlib import Path
from typing import Any

from ..decision import Translated
from ..routing._config import RoutingConfig
from ..vocab import FLAGS, SOURCES
from ._ir import Meta, RuleDef
from ._load import Compiled, compile_policy_file
from ._native import Native
from .engine._durable import DurableEngine

__all__ = ["DEFAULT_POLICY", "Policy", "load_policy"]

DEFAULT_POLICY = "triage/rules/default/policy.yaml"


class Policy:
    """A validated policy file with its own compiled engine.

    Policies are independent: two may be loaded and evaluated side by side in
    one process. The engine is built on first use and freed by ``close()`` or
    when the policy is garbage-collected.
    """

    def __init__(self, compiled: Compiled) -> None:
        self.meta: Meta = compiled.meta
        self.rules: tuple[RuleDef, ...] = compiled.rules
        self.strata: tuple[int, ...] = compiled.strata
        self.layout = compiled.layout
        self.sha256: str = compiled.sha256
        self.path: str = compiled.where
        self.extra: dict[str, Any] = compiled.extra
        self._compiled = compiled
        # The routing section, typed once here (it was validated with the rest of the file).
        self.routing: RoutingConfig = RoutingConfig.from_parsed(
            compiled.extra["parsed"], compiled.meta.timezone
        )
        parsed = compiled.extra["parsed"]
        # The policy's own channels and flags, after the standard ones, with their labels.
        self.own_labels: dict[str, Translated] = {
            code: Translated(zh=text.zh, en=text.en)
            for section in (parsed.sources, parsed.flags)
            for code, text in section.items()
        }
        self.sources: tuple[str, ...] = (*SOURCES.codes, *parsed.sources)
        self.flags: tuple[str, ...] = (*FLAGS.codes, *parsed.flags)
        self._engine: DurableEngine | None = None
        self._native: Native | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return (
            f"<Policy {self.id} {self.version} sha256={self.sha256[:12]} rules={len(self.rules)}>"
        )

    @property
    def source(self) -> bytes:
        """The policy file's bytes (what `sha256` is the hash of)."""
        data: bytes = self.extra["source"]
        return data

    @property
    def id(self) -> str:
        return self.meta.id

    @property
    def version(self) -> str:
        return self.meta.version

    @property
    def n_strata(self) -> int:
        return len(self.layout.strata)

    def rule(self, rule_id: str) -> RuleDef:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)

    def engine(self) -> DurableEngine:
        """This policy's compiled durable-rules engine (built once, on first use).

        The evaluator is its user; it is public for tests and benchmarks that
        look inside the engine boundary (`pending_actions`, raw C calls).
        """
        engine = self._engine
        if engine is None or engine.closed:
            with self._lock:
                engine = self._engine
                if engine is None or engine.closed:
                    engine = DurableEngine(self.layout, self.sha256[:12])
                    self._engine = engine
        return engine

    def native(self) -> Native:
        """This policy's rules as generated Python (built once, on first use)."""
        native = self._native
        if native is None:
            with self._lock:
                native = self._native
                if native is None:
                    native = self._compiled.native.copy()
                    self._native = native
        return native

    def close(self) -> None:
        """Free the engine now instead of at garbage collection."""
        with self._lock:
            if self._engine is not None:
                self._engine.close()
                self._engine = None

    def notices(self) -> list[tuple[str, str, str]]:
        """Advice that is not an error, as (code, zh, en): e.g. where the holiday list
        ends, or which texts the policy gives in its own language only."""
        out = list(self.routing.notices())
        missing: tuple[tuple[str, str], ...] = self.extra.get("missing_texts", ())
        for lang in ("zh", "en"):
            keys = [key for m, key in missing if m == lang]
            if keys:
                shown = ", ".join(keys[:5]) + (" …" if len(keys) > 5 else "")
                out.append(
                    (
                        f"no-{lang}-text",
                        f"{len(keys)} 处文本没有{'中文' if lang == 'zh' else '英文'}（{shown}），"
                        f"以“⟨missing {lang}: 键名⟩”显示",
                        f"{len(keys)} texts have no {lang} version ({shown}); they read "
                        f"'⟨missing {lang}: key⟩'",
                    )
                )
        return out

    def summary(self) -> str:
        chunks = sum(len(s) for s in self.layout.strata)
        return (
            f"policy {self.id} {self.version} ({self.meta.jurisdiction}): {len(self.rules)} rules "
            f"in {self.n_strata} strata, {chunks} engine rulesets, sha256 {self.sha256}"
        )


def _default_bytes() -> bytes:
    return resources.files("triage.rules").joinpath("default/policy.yaml").read_bytes()


def load_policy(source: str | Path | bytes | Policy | None = None) -> Policy:
    """Load and validate a policy file (the packaged default when ``source`` is None).

    Raises:
        RuleFileError: listing every problem as file:line:col with a message.
    """
    if isinstance(source, Policy):
        return source
    if source is None:
        return Policy(compile_policy_file(_default_bytes(), where=DEFAULT_POLICY))
    return Policy(compile_policy_file(source))
