"""The parser on the contract sets in tests/corpus: messages and phrases whose expected values
were written from nl-contract.md alone, without running the parser (see tests/corpus/README.md).

Each line is its own test, so a change that breaks one reading names it.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bench.nlp import FIELDS, field_matches, time_case_matches
from core.nlp import parse_message

SETS = Path(__file__).resolve().parents[2] / "corpus"


def _load(name: str) -> list[dict[str, Any]]:
    with (SETS / name).open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


TASK_SETS = ("contract_tasks", "contract_tasks_chat", "contract_tasks_slack",
             "contract_tasks_dingtalk", "contract_tasks_mixed", "contract_tasks_intents",
             "contract_tasks_lookalikes", "contract_tasks_series", "contract_tasks_fields",
             "contract_tasks_traditional", "contract_tasks_regional_en", "contract_tasks_long",
             "contract_tasks_final", "contract_tasks_reschedule", "contract_tasks_deadlines",
             "contract_tasks_create_lookalikes")
TASKS = [case for name in TASK_SETS for case in _load(f"{name}.jsonl")]
TIME_SETS = ("contract_time", "contract_time_sentences", "contract_time_styles",
             "contract_time_edges", "contract_time_final")
TIMES = [case for name in TIME_SETS for case in _load(f"{name}.jsonl")]


# `Monday week` before a verb: after `Monday week` the rules want the end of the phrase or a
# word that cannot start the task ("Monday week planning" is a meeting's name).
KNOWN_TASKS = {"e7-002": "'Monday week' followed by the task's verb reads as 'Monday'"}


def _task_param(case: dict[str, Any]) -> Any:
    marks = [pytest.mark.xfail(strict=True, reason=KNOWN_TASKS[case["id"]])] \
        if case["id"] in KNOWN_TASKS else []
    return pytest.param(case, id=case["id"], marks=marks)


@pytest.mark.parametrize("case", [_task_param(c) for c in TASKS])
def test_whole_message(case: dict[str, Any]) -> None:
    got = parse_message(case["text"], datetime.fromisoformat(case["now"]),
                        tz=ZoneInfo(case["tz"])).model_dump(mode="json")
    wrong = {name: (case["expected"][name], got[name]) for name in FIELDS
             if not field_matches(name, case["expected"][name], got[name])}
    assert not wrong, f"{case['text']!r}: (expected, got) {wrong}; {case['why']}"


# Lines the rules read otherwise, on purpose: a question about the team's work is a query, and a
# query's dates are its filter, not a due date (the shared tasks_dev set leaves them out).
KNOWN = {"what about next week?": "read as a query, whose dates are not due dates"}


def _time_param(i: int, case: dict[str, Any]) -> Any:
    marks = [pytest.mark.xfail(strict=True, reason=KNOWN[case["text"]])] \
        if case["text"] in KNOWN else []
    return pytest.param(case, id=f"{case['lang']}-{i}", marks=marks)


@pytest.mark.parametrize("case", [_time_param(i, c) for i, c in enumerate(TIMES)])
def test_time_phrase(case: dict[str, Any]) -> None:
    zone = ZoneInfo(case["zone"]) if case.get("zone") else None
    result = parse_message(case["text"], datetime.fromisoformat(case["ref"]), tz=zone)
    assert time_case_matches(case, result.due) or time_case_matches(case, result.start), (
        f"{case['text']!r}: expected {case['expected']} at {case['grain']}, got due "
        f"{result.due} start {result.start}; {case['why']}")


def test_every_set_is_read() -> None:
    assert sorted(p.name for p in SETS.glob("contract_*.jsonl")) == sorted(
        [f"{n}.jsonl" for n in TASK_SETS]
        + [f"{n}.jsonl" for n in TIME_SETS])


def test_sets_hold_both_languages_and_every_intent() -> None:
    assert {c["lang"] for c in TIMES} == {"en", "zh"}
    assert {c["expected"]["intent"] for c in TASKS} >= {"create", "complete", "reassign",
                                                        "postpone", "query"}
