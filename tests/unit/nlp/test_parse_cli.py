"""`pmbot parse` as the contract's "Command line" section describes it."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import structlog

from bot.parse_cli import main
from core.nlp import parse_message
from core.nlp.llm import needs_llm
from core.nlp.schema import ParseResult
from tests.fakes.openai_server import FakeOpenAIServer

REPO = Path(__file__).resolve().parents[3]
NOW = "2026-11-24T09:30:00+08:00"
MESSAGE = "明天下午3点前 @张三 完成季度报告 #市场 紧急"
KEYS = set(ParseResult.model_fields)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No PMBOT_ settings from the developer's shell or a `.env` file leak into these tests."""
    for name in list(os.environ):
        if name.startswith("PMBOT_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["parse", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def rules(text: str, now: str = NOW, tz: str = "Asia/Shanghai") -> dict[str, object]:
    zone = ZoneInfo(tz)
    return parse_message(text, datetime.fromisoformat(now).astimezone(zone), zone).model_dump(
        mode="json"
    )


# -- one message -----------------------------------------------------------------------------


def test_single_message_prints_one_object_with_every_contract_key(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run_cli(capsys, "--now", NOW, "--tz", "Asia/Shanghai", MESSAGE)
    assert code == 0, err
    assert out.count("\n") == 1
    result = json.loads(out)
    assert set(result) == KEYS
    assert result == rules(MESSAGE)
    assert result["source"] == "rules"
    assert "张三" in out  # ensure_ascii=False: the text stays readable


def test_single_message_from_several_words_is_joined(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "--now", NOW, "--tz", "Asia/Shanghai", "明天", "@张三", "写周报")
    assert code == 0
    assert json.loads(out) == rules("明天 @张三 写周报")


def test_now_and_tz_are_honoured(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "--now", NOW, "--tz", "Asia/Shanghai", "明天 写周报")
    assert code == 0
    assert json.loads(out)["due"] == "2026-11-25"


def test_without_tz_the_offset_of_now_is_used(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(
        capsys, "--now", "2026-11-24T09:30:00-05:00", "tomorrow 3pm write report"
    )
    assert code == 0
    assert json.loads(out)["due"] == "2026-11-25T15:00:00-05:00"


def test_without_tz_a_configured_zone_wins_over_the_offset_of_now(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PMBOT_TIMEZONE", "Europe/Berlin")
    code, out, _ = run_cli(
        capsys, "--now", "2026-11-24T09:30:00+01:00", "tomorrow 3pm write report"
    )
    assert code == 0
    assert json.loads(out)["due"] == "2026-11-25T15:00:00+01:00"


def test_without_now_the_current_time_is_used(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "--tz", "UTC", "--no-llm", "write the report")
    assert code == 0
    assert set(json.loads(out)) == KEYS


@pytest.mark.parametrize(
    ("argv", "complaint"),
    [
        (["--now", "2026-11-24T09:30:00", "明天"], "offset"),
        (["--now", "next tuesday", "明天"], "ISO 8601"),
        (["--tz", "Mars/Olympus", "明天"], "time zone"),
        (["--tz", "../../etc/passwd", "明天"], "time zone"),
        ([], "TEXT"),
        (["   "], "TEXT"),
    ],
)
def test_unusable_arguments_exit_2_with_a_message(
    capsys: pytest.CaptureFixture[str], argv: list[str], complaint: str
) -> None:
    code, out, err = run_cli(capsys, *argv)
    assert code == 2
    assert out == ""
    assert complaint in err


def test_unknown_option_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "--frobnicate", "x")
    assert code == 2
    assert out == ""


def test_bad_configuration_exits_2_naming_the_variable(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PMBOT_LLM_TIMEOUT", "soon")
    code, _, err = run_cli(capsys, "--now", NOW, "明天")
    assert code == 2
    assert "PMBOT_LLM_TIMEOUT" in err


# -- batches ---------------------------------------------------------------------------------

BATCH = [
    json.dumps({"id": 1, "text": MESSAGE, "now": NOW, "tz": "Asia/Shanghai"}, ensure_ascii=False),
    "{this is not json",
    json.dumps({"id": "b", "text": 42}),
    "",
    json.dumps({"id": [3], "text": "tomorrow 3pm ship it", "now": "2026-11-24T09:30:00-05:00"}),
    json.dumps({"id": 4, "text": "明天", "now": "yesterday-ish"}),
    json.dumps({"id": 5, "text": "明天", "now": NOW, "tz": "No/Such_Zone"}),
    json.dumps(["id", 6]),
    json.dumps({"id": 7, "text": "明天 写周报", "now": NOW, "tz": "Asia/Shanghai"}),
]


def check_batch(out: str) -> None:
    lines = [json.loads(line) for line in out.splitlines()]
    assert [line.get("id") for line in lines] == [1, None, "b", [3], 4, 5, None, 7]
    first, bad_json, bad_text, third, bad_now, bad_tz, not_object, last = lines
    assert first == {"id": 1, **rules(MESSAGE)}
    assert set(third) == KEYS | {"id"}
    assert third["due"] == "2026-11-25T15:00:00-05:00"
    assert last["due"] == "2026-11-25"
    for bad in (bad_json, bad_text, bad_now, bad_tz, not_object):
        assert set(bad) == {"id", "error"}
        assert bad["error"]
    assert "text" in bad_text["error"]
    assert "zone" in bad_tz["error"]


def test_jsonl_from_a_file_echoes_ids_and_reports_bad_lines(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "batch.jsonl"
    path.write_text("\n".join(BATCH) + "\n", encoding="utf-8")
    code, out, _ = run_cli(capsys, "--jsonl", str(path))
    assert code == 0
    check_batch(out)


def test_jsonl_from_stdin(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    data = ("\n".join(BATCH) + "\n").encode("utf-8")
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"))
    code, out, _ = run_cli(capsys, "--jsonl")
    assert code == 0
    check_batch(out)


def test_jsonl_line_that_is_not_utf8_is_a_bad_line_and_the_batch_goes_on(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "mixed.jsonl"
    good = json.dumps({"id": 2, "text": "明天", "now": NOW}, ensure_ascii=False).encode()
    path.write_bytes(b'\xef\xbb\xbf{"id": 1, "text": "\xff\xfe"}\n' + good + b"\n")
    code, out, _ = run_cli(capsys, "--jsonl", str(path))
    assert code == 0
    first, second = (json.loads(line) for line in out.splitlines())
    assert set(first) == {"id", "error"}
    assert second["id"] == 2
    assert set(second) == KEYS | {"id"}


def test_jsonl_survives_a_line_nested_too_deeply(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "deep.jsonl"
    good = json.dumps({"id": 2, "text": "明天", "now": NOW}, ensure_ascii=False)
    path.write_text("[" * 100_000 + "\n" + good + "\n", encoding="utf-8")
    code, out, _ = run_cli(capsys, "--jsonl", str(path))
    assert code == 0
    first, second = (json.loads(line) for line in out.splitlines())
    assert set(first) == {"id", "error"}
    assert second["id"] == 2


def test_jsonl_missing_file_exits_1(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, err = run_cli(capsys, "--jsonl", str(tmp_path / "nope.jsonl"))
    assert code == 1
    assert out == ""
    assert "cannot read" in err


def test_jsonl_takes_one_file_only(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, _ = run_cli(capsys, "--jsonl", "a.jsonl", "b.jsonl")
    assert code == 2


# -- the LLM ---------------------------------------------------------------------------------

UNSURE = "嗯？"  # the rules are unsure of this one (low confidence)


@pytest.fixture
def llm(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer() as server:
        monkeypatch.setenv("PMBOT_LLM_BASE_URL", server.base_url)
        monkeypatch.setenv("PMBOT_LLM_MODEL", "fake-model")
        monkeypatch.setenv("PMBOT_LLM_API_KEY", "sk-test")
        monkeypatch.setenv("PMBOT_LLM_TIMEOUT", "2")
        yield server


def llm_answer(**fields: object) -> dict[str, object]:
    answer = ParseResult(intent="create", title="搞定那件事").model_dump(mode="json")
    for ours in ("lang", "source", "confidence"):
        del answer[ours]
    return {**answer, **fields}


def test_no_llm_never_calls_the_configured_model(
    capsys: pytest.CaptureFixture[str], llm: FakeOpenAIServer
) -> None:
    llm.answer(llm_answer())
    code, out, _ = run_cli(capsys, "--no-llm", "--now", NOW, "--tz", "Asia/Shanghai", UNSURE)
    assert code == 0
    assert json.loads(out)["source"] == "rules"
    assert llm.requests == []


def test_configured_model_answers_an_unsure_message(
    capsys: pytest.CaptureFixture[str], llm: FakeOpenAIServer
) -> None:
    assert needs_llm(ParseResult.model_validate(rules(UNSURE)))
    llm.answer(llm_answer())
    code, out, _ = run_cli(capsys, "--now", NOW, "--tz", "Asia/Shanghai", UNSURE)
    assert code == 0
    result = json.loads(out)
    assert (result["source"], result["title"]) == ("llm", "搞定那件事")
    assert len(llm.requests) == 1
    assert llm.requests[0]["model"] == "fake-model"


def test_failing_model_leaves_the_rules_answer_and_stdout_pure_json(
    capsys: pytest.CaptureFixture[str], llm: FakeOpenAIServer
) -> None:
    llm.fail(500)
    code, out, _ = run_cli(capsys, "--now", NOW, "--tz", "Asia/Shanghai", UNSURE)
    assert code == 0
    assert json.loads(out) == rules(UNSURE)
    assert len(llm.requests) == 1


def test_logs_stay_off_stdout_even_when_the_app_logs_there(
    capsys: pytest.CaptureFixture[str], llm: FakeOpenAIServer
) -> None:
    previous = structlog.get_config()
    app_factory = structlog.PrintLoggerFactory()  # stdout, as structlog does by default
    structlog.configure(logger_factory=app_factory)
    try:
        llm.fail(500)
        code, out, err = run_cli(capsys, "--now", NOW, "--tz", "Asia/Shanghai", UNSURE)
        assert structlog.get_config()["logger_factory"] is app_factory  # the app's, restored
    finally:
        structlog.configure(**previous)
        structlog.reset_defaults()
    assert code == 0
    assert json.loads(out) == rules(UNSURE)
    assert "llm_failed" in err


# -- as a program ----------------------------------------------------------------------------


def test_runs_as_a_module_in_a_subprocess(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PMBOT_")}
    env["PYTHONPATH"] = str(REPO)
    proc = subprocess.run(
        [sys.executable, "-m", "bot.parse_cli", "parse", "--no-llm", "--now", NOW, MESSAGE],
        capture_output=True,
        cwd=tmp_path,
        env=env,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr.decode()
    result = json.loads(proc.stdout.decode("utf-8"))
    assert result == rules(MESSAGE)


def test_help_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "--help")
    assert code == 0
    assert "--jsonl" in out
