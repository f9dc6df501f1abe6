"""Accuracy on the shared development corpora, scored the way nl-contract.md "Scoring" says.

The corpora live outside the repository (`../shared/corpus`, or `PMBOT_CORPUS_DIR`); without
them these tests skip. `python -m tests.unit.nlp.test_corpus` prints the full report.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from core.nlp import parse_message

REPO = Path(__file__).resolve().parents[3]
CORPUS = Path(os.environ.get("PMBOT_CORPUS_DIR", REPO.parent / "shared" / "corpus"))
FIELDS = ("intent", "title", "assignees", "due", "start", "priority", "project", "tags",
          "estimate_minutes", "recurrence", "task_ref", "shift")
TASK_FLOOR = 0.97
TIME_FLOOR = {"zh": 0.90, "en": 0.90}

needs_corpus = pytest.mark.skipif(not (CORPUS / "tasks_dev.jsonl").exists(),
                                  reason="shared corpus not available")


def _lines(name: str) -> Iterator[dict[str, Any]]:
    with (CORPUS / name).open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


def _plain_title(title: str | None) -> str:
    return re.sub(r"[\W_]+", "", (title or "").lower())


@lru_cache(maxsize=1)
def task_field_accuracy() -> dict[str, float]:
    """Share of tasks_dev messages whose each field matches, as the contract scores them."""
    rows = list(_lines("tasks_dev.jsonl"))
    right = dict.fromkeys(FIELDS, 0)
    for row in rows:
        got = parse_message(row["text"], datetime.fromisoformat(row["now"]),
                            ZoneInfo(row["tz"])).model_dump()
        for name in FIELDS:
            want = row["expected"][name]
            if name == "title":
                right[name] += _plain_title(want) == _plain_title(got[name])
            else:
                right[name] += want == got[name]
    return {name: right[name] / len(rows) for name in FIELDS}


def _truncate(moment: datetime, grain: str) -> tuple[int, ...]:
    if grain == "year":
        return (moment.year,)
    if grain == "quarter":
        return moment.year, (moment.month - 1) // 3
    if grain == "month":
        return moment.year, moment.month
    if grain == "week":
        iso = moment.isocalendar()
        return iso.year, iso.week
    parts = (moment.year, moment.month, moment.day, moment.hour, moment.minute, moment.second)
    return parts[: {"day": 3, "hour": 4, "minute": 5}.get(grain, 6)]


def _time_case_right(case: dict[str, Any]) -> bool:
    result = parse_message(case["text"], datetime.fromisoformat(case["ref"]))
    got = result.due or result.start
    expected = case["expected"]
    if expected.startswith("0001-01-01"):
        # The source marks an impossible date (2月30日) this way: nothing should be resolved.
        return got is None
    if got is None:
        return False
    moment = datetime.fromisoformat(got if "T" in got else got + "T00:00:00")
    want = datetime.fromisoformat(expected)
    if case.get("tz") != "naive" and moment.tzinfo is not None and want.tzinfo is not None:
        moment = moment.astimezone(want.tzinfo)
    return _truncate(moment, case["grain"]) == _truncate(want, case["grain"])


@dataclass
class TimeScore:
    """Right/total on the scored cases, and separately on holidays and past/future ambiguities."""

    right: int = 0
    total: int = 0
    excluded_right: int = 0
    excluded_total: int = 0
    misses: list[str] = field(default_factory=list)

    @property
    def accuracy(self) -> float:
        return self.right / self.total if self.total else 0.0


def time_accuracy(lang: str) -> TimeScore:
    """Score time_dev cases of one language through `parse_message`."""
    score = TimeScore()
    for case in _lines("time_dev.jsonl"):
        if case["lang"] != lang or case.get("scope") == "out":
            continue  # the corpus README: out-of-scope lines are not counted
        ok = _time_case_right(case)
        if case.get("category") == "holiday" or case.get("ambiguous") == "past_future":
            score.excluded_total += 1
            score.excluded_right += ok
        else:
            score.total += 1
            score.right += ok
            if not ok:
                score.misses.append(case["text"])
    return score


@needs_corpus
@pytest.mark.parametrize("name", FIELDS)
def test_tasks_dev_field_accuracy(name: str) -> None:
    assert task_field_accuracy()[name] >= TASK_FLOOR


@needs_corpus
def test_time_dev_chinese_accuracy() -> None:
    score = time_accuracy("zh")
    assert score.total > 200
    assert score.accuracy >= TIME_FLOOR["zh"], score.misses


@needs_corpus
def test_time_dev_english_accuracy_through_the_message_parser() -> None:
    score = time_accuracy("en")
    assert score.total > 500
    assert score.accuracy >= TIME_FLOOR["en"], score.misses


def main() -> None:
    """Print the accuracy report."""
    for name, value in task_field_accuracy().items():
        print(f"tasks_dev {name:17s} {value:.3f}")
    for lang in ("zh", "en"):
        score = time_accuracy(lang)
        print(f"time_dev {lang}: {score.right}/{score.total} = {score.accuracy:.3f}; "
              f"holiday+ambiguous {score.excluded_right}/{score.excluded_total}")


if __name__ == "__main__":
    main()
