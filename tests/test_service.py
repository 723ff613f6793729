"""`triage serve`: the HTTP service against the library it serves."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

import triage
from triage.cli import cli
from triage.policytest._schemas import schema
from triage.service import Service, Settings, create_app, hash_token, read_tokens

from .conftest import ROOT, example_reports, wait_for_more

MARK = "ZZSECRETZZ"
JSON = "application/json"
REPORTS = [r for _, r in example_reports()]
DEFAULT = ROOT / "triage" / "rules" / "default" / "policy.yaml"


def client(**settings: Any) -> TestClient:
    return TestClient(create_app(Service(Settings(model=None, **settings))))


@pytest.fixture(scope="module")
def plain() -> TestClient:
    return client()


def _without_time(decision: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in decision.items() if k != "decided_at"}


def _resolved(node: Any, defs: dict[str, Any], where: str) -> Any:
    """``node`` with every ``$ref`` to ``where`` + name replaced by ``defs[name]``."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(where):
            return _resolved(defs[ref[len(where) :]], defs, where)
        return {k: _resolved(v, defs, where) for k, v in node.items() if k != "$defs"}
    if isinstance(node, list):
        return [_resolved(v, defs, where) for v in node]
    return node


class TestAssess:
    def test_the_decision_is_the_librarys(self, plain: TestClient) -> None:
        t = triage.Triage(model=None)
        for report in REPORTS:
            response = plain.post("/v1/assess", json=report)
            assert response.status_code == 200, response.text
            expected = json.loads(t.assess(report).to_json())
            assert _without_time(response.json()) == _without_time(expected)

    def test_lang_adds_the_explanation(self, plain: TestClient) -> None:
        body = plain.post("/v1/assess?lang=en", json=REPORTS[0]).json()
        words = body.pop("explanation")
        assert words == triage.explain(triage.Decision.model_validate(body), "en")

    def test_a_case_history_comes_with_the_report(self, plain: TestClient) -> None:
        first = {**REPORTS[0], "case_id": "C1", "id": "C1-1"}
        later = {**REPORTS[0], "case_id": "C1", "id": "C1-2"}
        stored = plain.post("/v1/assess", json=first).json()
        body = {"report": later, "history": [{"report": first, "decision": stored}]}
        response = plain.post("/v1/assess", json=body)
        assert response.status_code == 200
        assert response.json()["case"]["earlier_reports"] == ["C1-1"]

    def test_an_invalid_report_is_422_with_the_librarys_problems(self, plain: TestClient) -> None:
        bad = {**REPORTS[0], "victim": {"age": MARK}, "narrative": MARK}
        response = plain.post("/v1/assess", json=bad)
        assert response.status_code == 422
        with pytest.raises(triage.ReportError) as info:
            triage.validate_report(bad)
        assert response.json()["problems"] == [p.as_dict() for p in info.value.problems]
        assert response.json()["error"] == "report-invalid" and MARK not in response.text


class TestHostile:
    @pytest.mark.parametrize(
        ("content", "kind", "status"),
        [
            (b"{}", "text/plain", 415),
            (b"{}", None, 415),
            (b'{"id": "\xff\xfe"}', "application/json", 422),
            (b"[" * 1000 + b"]" * 1000, "application/json", 422),
            (b"{" + MARK.encode() + b"", "application/json", 422),
            (b" " * 3000, "application/json", 413),
        ],
        ids=["text", "no type", "not utf-8", "deep", "broken", "too large"],
    )
    def test_each_gets_its_status_and_no_traceback(
        self, content: bytes, kind: str | None, status: int
    ) -> None:
        c = client(max_body=2048)
        headers = {"content-type": kind} if kind else {}
        response = c.post("/v1/assess", content=content, headers=headers)
        assert response.status_code == status, response.text
        assert "Traceback" not in response.text and MARK not in response.text
        assert set(response.json()) == {"error", "message", "problems"}

    def test_no_marker_reaches_a_metric(self, plain: TestClient) -> None:
        plain.post("/v1/assess", json={**REPORTS[0], "narrative": MARK})
        plain.post("/v1/assess", json={**REPORTS[0], "source": MARK})
        metrics = plain.get("/metrics").text
        assert MARK not in metrics and "triage_decisions_total{" in metrics
        assert 'triage_rejections_total{code="report-invalid"}' in metrics


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    path = tmp_path_factory.mktemp("t") / "tokens"
    path.write_text(f"assess {hash_token('a-token')}\nadmin {hash_token('b-token')}\n")
    return client(tokens=read_tokens(path))


class TestTokens:
    def test_roles(self, guarded: TestClient) -> None:
        def post(path: str, token: str | None) -> int:
            headers = {"authorization": f"Bearer {token}"} if token else {}
            return guarded.post(path, json=REPORTS[0], headers=headers).status_code

        assert post("/v1/assess", None) == 401
        assert post("/v1/assess", "wrong") == 401
        assert post("/v1/assess", "a-token") == 200
        assert post("/v1/policy/reload", "a-token") == 403
        assert post("/v1/policy/reload", "b-token") == 200
        assert guarded.get("/healthz").status_code == 200  # probes need no token

    def test_a_bad_token_file_names_the_line_not_its_text(self, tmp_path: Path) -> None:
        path = tmp_path / "tokens"
        path.write_text(f"admin {hash_token('x')}\nroot {MARK}\n")
        with pytest.raises(triage.UsageError) as info:
            read_tokens(path)
        assert [p.line for p in info.value.problems] == [2] and MARK not in str(info.value)


class TestPolicy:
    def test_a_bad_reload_keeps_the_old_policy_and_says_where(self, tmp_path: Path) -> None:
        path = tmp_path / "policy.yaml"
        path.write_bytes(DEFAULT.read_bytes())
        c = client(policy=path)
        before = c.get("/v1/policy").json()
        path.write_text(DEFAULT.read_text(encoding="utf-8").replace("rules:", "rulez:", 1))
        failed = c.post("/v1/policy/reload")
        assert failed.status_code == 422 and failed.json()["problems"][0]["line"] is not None
        now = c.get("/v1/policy").json()
        assert now["sha256"] == before["sha256"] and now["last_reload_error"] is not None
        decision = c.post("/v1/assess", json=REPORTS[0]).json()
        assert decision["policy"]["sha256"] == before["sha256"]
        changed = DEFAULT.read_text(encoding="utf-8") + "\n# a comment changes the sha256\n"
        path.write_text(changed, encoding="utf-8")
        assert c.post("/v1/policy/reload").json()["reloaded"] is True
        assert c.post("/v1/assess", json=REPORTS[0]).json()["policy"]["sha256"] != before["sha256"]

    def test_schemas_are_the_commands(self, plain: TestClient) -> None:
        for kind in ("report", "decision", "policy"):
            assert plain.get(f"/v1/schema/{kind}").json() == schema(kind)
        assert plain.get("/v1/schema/secrets").status_code == 404
        document = plain.get("/openapi.json").json()
        body = document["paths"]["/v1/assess"]["post"]["requestBody"]
        components = document["components"]["schemas"]
        moved = {k.removeprefix("Report."): v for k, v in components.items() if "Report." in k}
        served = _resolved(body["content"][JSON]["schema"], moved, "#/components/schemas/Report.")
        printed = schema("report")
        assert served == _resolved(printed, printed["$defs"], "#/$defs/")
        assert "$ref" not in json.dumps(served) and "victim" in served["properties"]

    def test_vocab_and_readiness(self, plain: TestClient) -> None:
        vocab = plain.get("/v1/vocab?lang=en").json()
        printed = CliRunner().invoke(cli, ["vocab", "--lang", "en", "--format", "json"])
        assert vocab == json.loads(printed.output)
        assert vocab["level"]["terms"][0].keys() == {"code", "en"}
        assert plain.get("/readyz").status_code == 200


def _slow_client(port: int) -> bytes:
    """Half a body, then nothing: the server answers 408 once --read-timeout has passed."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.sendall(b"POST /v1/assess HTTP/1.1\r\nHost: x\r\nContent-Type: application/json"
                     b"\r\nContent-Length: 100\r\n\r\n{\"id\": ")  # fmt: skip
        return conn.recv(4096)


class TestCommand:
    def test_no_tokens_beyond_loopback_is_refused(self) -> None:
        result = CliRunner().invoke(cli, ["serve", "--host", "0.0.0.0", "--model", "none"])
        assert result.exit_code == 2 and "token" in result.output

    def test_serve_answers_reloads_on_sighup_and_stops_on_sigterm(self) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        proc = subprocess.Popen(
            [sys.executable, "-m", "triage", "serve", "--port", str(port), "--model", "none",
             "--read-timeout", "0.5"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env={**os.environ},
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(100):
                try:
                    urllib.request.urlopen(f"{base}/healthz", timeout=1)
                    break
                except (urllib.error.URLError, ConnectionError):
                    time.sleep(0.1)
            request = urllib.request.Request(
                f"{base}/v1/assess", data=json.dumps(REPORTS[0]).encode(),
                headers={"content-type": "application/json"},
            )  # fmt: skip
            with urllib.request.urlopen(request, timeout=10) as response:
                assert json.load(response)["report_id"] == REPORTS[0]["id"]
            assert _slow_client(port).startswith(b"HTTP/1.1 408")
            proc.send_signal(signal.SIGHUP)
            time.sleep(0.5)
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=15) == 0
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            out = proc.stdout.read().decode() if proc.stdout else ""
            if proc.stdout:
                proc.stdout.close()
        assert "policy reloaded" in out and "Traceback" not in out


class TestBatchAndOverdue:
    def test_batch_gives_the_records_triage_batch_writes(
        self, plain: TestClient, tmp_path: Path
    ) -> None:
        lines = [json.dumps(r) for r in REPORTS[:3]]
        lines.insert(1, "{" + MARK)  # not JSON
        lines.insert(2, "")  # blank lines are skipped, as by the command
        body = ("\n".join(lines) + "\n").encode()
        response = plain.post(
            "/v1/assess/batch", content=body, headers={"content-type": "application/x-ndjson"}
        )
        assert response.status_code == 200 and MARK not in response.text
        got = [json.loads(x) for x in response.text.splitlines()]
        src, out, err = tmp_path / "in.jsonl", tmp_path / "out.jsonl", tmp_path / "err.jsonl"
        src.write_bytes(body)
        result = CliRunner().invoke(
            cli, ["batch", str(src), "-o", str(out), "--errors", str(err), "--model", "none"]
        )
        assert result.exit_code in (0, 1), result.output
        decided = [json.loads(x) for x in out.read_text().splitlines()]
        rejected = [json.loads(x) for x in err.read_text().splitlines() if '"rejected"' in x]
        assert [_without_time(d) for d in got if "report_id" in d] == [
            _without_time(d) for d in decided
        ]
        mine = [d for d in got if d.get("record") == "rejected"]
        assert [(r["line"], r["code"]) for r in mine] == [(r["line"], r["code"]) for r in rejected]
        assert [d["line"] for d in got] == [1, 2, 4, 5]

    def test_overdue_is_the_librarys(self, plain: TestClient) -> None:
        decision = plain.post("/v1/assess", json=REPORTS[0]).json()
        later = "2030-01-01T00:00:00+08:00"
        body = {"decision": decision, "events": [], "now": later}
        response = plain.post("/v1/overdue", json=body)
        assert response.status_code == 200, response.text
        expected = triage.routing.overdue(
            triage.Decision.model_validate(decision), [], datetime.fromisoformat(later)
        )
        assert response.json() == [b.model_dump(mode="json") for b in expected]
        assert len(expected) > 0
        assert plain.post("/v1/overdue", json={"now": MARK}).status_code == 400


def test_a_reload_under_load_never_mixes_two_policies(tmp_path: Path) -> None:
    """Decisions made while the policy file flips between two versions are each exactly
    what one of the two policies gives, the one whose sha256 the decision names."""
    a = DEFAULT.read_text(encoding="utf-8")
    b = re.sub(r"(\n\s+en: )(?![\"'|>\[{])", r"\1B ", a)  # English texts: trace, labels
    path = tmp_path / "policy.yaml"
    expected = {}
    for text in (a, b):
        path.write_text(text, encoding="utf-8")
        t = triage.Triage(path, model=None)
        expected[t.policy.sha256] = [
            _without_time(json.loads(t.assess(r).to_json())) for r in REPORTS
        ]
    path.write_text(a, encoding="utf-8")
    seen: list[tuple[int, dict[str, Any]]] = []
    with client(policy=path) as c:

        def decide(k: int) -> None:
            for i in range(24):
                n = (k + i) % len(REPORTS)
                seen.append((n, c.post("/v1/assess", json=REPORTS[n]).json()))

        def flip() -> None:
            for i in range(12):
                wait_for_more(seen)  # each version decides some before the next
                path.write_text(b if i % 2 == 0 else a, encoding="utf-8")
                assert c.post("/v1/policy/reload").json()["reloaded"] is True

        threads = [threading.Thread(target=decide, args=(k,)) for k in range(3)]
        threads.append(threading.Thread(target=flip))
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    used = {d["policy"]["sha256"] for _, d in seen}
    assert len(seen) == 72 and used == expected.keys()  # both served, none other
    for n, decision in seen:
        assert _without_time(decision) == expected[decision["policy"]["sha256"]][n]
