"""`triage rules doc`: a rulebook that names every rule, its source, the routing and the sha256."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from triage.cli import cli
from triage.explanation._catalogue import duration_words
from triage.explanation._rulebook import describe, rulebook
from triage.rules import _ir, load_policy

from ..conftest import EXAMPLES

POLICIES = [
    None,
    EXAMPLES / "policies" / "england_marac.yaml",
    EXAMPLES / "policies" / "us_county_lap.yaml",
]


@pytest.mark.parametrize("source", POLICIES, ids=["default", "england", "us_county"])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_markdown_names_everything_to_sign_off(source: Path | None, lang: str) -> None:
    policy = load_policy(source)
    text = rulebook(policy, lang, "md")
    config = policy.routing
    assert policy.sha256 in text and policy.version in text and policy.id in text
    for rule in policy.rules:
        assert f"`{rule.id}`" in text
        assert rule.description[lang] in text
        if rule.source:
            assert rule.source in text
    for duration in (*config.follow_ups, *config.reassess.values()):
        assert duration_words(duration, lang) in text  # in words: "15 天", "1 day"
    for rule in policy.rules:
        for task in rule.then.tasks:
            assert duration_words(task.due, lang) in text
    assert "campbell-2009" in text and "acpo-2009" in text  # instrument versions
    assert ("18 分及以上为极端危险" if lang == "zh" else "extreme danger from 18") in text
    for rule in policy.rules:
        for task in rule.then.tasks:
            assert config.actions[task.action].get(lang) in text
    assert config.departments[config.default_lead].get(lang) in text
    # Rules appear in file order, numbered.
    positions = [text.index(f"`{r.id}`") for r in policy.rules]
    assert positions == sorted(positions)
    assert ("审核签字" if lang == "zh" else "Review and sign-off") in text


def test_conditions_read_as_sentences() -> None:
    cond = _ir.All(
        (
            _ir.Test("history.police_calls_12m", ">=", 3),
            _ir.Not(
                _ir.AnyOf(
                    (
                        _ir.Test("indicators.strangulation", "==", "yes"),
                        _ir.Test("victim.age", "exists", False),
                    )
                )
            ),
        )
    )
    en = describe(cond, "en")
    assert "is at least 3" in en and "not (any of:" in en and "is not given" in en
    zh = describe(cond, "zh")
    assert "不小于3" in zh and "并非" in zh and "未提供" in zh
    assert "history.police_calls_12m" not in en  # labels, not fact names


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_html_is_well_formed_and_escaped(lang: str, tmp_path: Path) -> None:
    text = (
        Path(__file__).parent.parent.parent / "triage" / "rules" / "default" / "policy.yaml"
    ).read_text("utf-8")
    hostile = "<script>alert(1)</script> a|b"
    text = text.replace('source: "宝安区：2秒分拨、24小时处置"', f'source: "{hostile}"', 1)
    policy = load_policy(text.encode())
    page = rulebook(policy, lang, "html")
    assert "<script>" not in page
    assert html.escape("<script>alert(1)</script>") in page

    class Check(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.stack: list[str] = []
            self.cells: list[int] = []

        def handle_starttag(self, tag: str, attrs: Any) -> None:
            if tag not in ("meta",):
                self.stack.append(tag)
            if tag == "tr":
                self.cells.append(0)
            if tag in ("td", "th"):
                self.cells[-1] += 1

        def handle_endtag(self, tag: str) -> None:
            assert self.stack and self.stack.pop() == tag

    check = Check()
    check.feed(page)
    assert check.stack == []
    # The routing table keeps six columns even where a cell holds a '|'.
    assert 6 in check.cells and set(check.cells) <= {2, 4, 6}
    for rule in policy.rules:
        assert f"<code>{rule.id}</code>" in page


def test_command_writes_the_file_it_is_asked_to(tmp_path: Path) -> None:
    out = tmp_path / "rulebook.html"
    result = CliRunner().invoke(
        cli,
        ["rules", "doc", "default", "--lang", "en", "--format", "html", "-o", str(out)],
        catch_exceptions=False,
    )
    assert result.exit_code == 0 and result.output == ""
    assert out.read_text("utf-8").startswith("<!DOCTYPE html>")
    printed = CliRunner().invoke(cli, ["rules", "doc", "default"], catch_exceptions=False)
    assert printed.exit_code == 0
    assert re.search(r"SHA-256\*\*：[0-9a-f]{64}", printed.output)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_rulebook_says_where_the_holiday_list_ends(lang: str) -> None:
    policy = load_policy(EXAMPLES / "policies" / "england_marac.yaml")
    last = max(policy.routing.calendar.holidays).isoformat()
    assert last in rulebook(policy, lang, "md")
    assert last not in rulebook(load_policy(None), lang, "md")


def test_durations_read_as_words() -> None:
    assert duration_words("24h", "en") == "24 hours"
    assert duration_words("1d", "en") == "1 day"
    assert duration_words("30m", "en") == "30 minutes"
    assert duration_words("15d", "zh") == "15 天"
    assert duration_words("0s", "zh") == "立即"


@pytest.mark.parametrize(("lang", "tag"), [("zh", 'lang="zh-CN"'), ("en", 'lang="en"')])
def test_the_page_says_its_language(lang: str, tag: str) -> None:
    assert tag in rulebook(load_policy(None), lang, "html")


def test_instrument_levels_are_translated_in_chinese() -> None:
    text = rulebook(load_policy(None), "zh", "md")
    assert "等级为increased" not in text and "等级为风险增加" in text
