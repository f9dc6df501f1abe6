"""The accuracy report scores the way the contract and the corpus README say."""

from __future__ import annotations

from typing import Any

import pytest

from bench.nlp import field_matches, normal_title, time_case_matches, when_matches


def case(expected: str, grain: str, *, naive: bool = True) -> dict[str, Any]:
    return {"expected": expected, "grain": grain, **({"tz": "naive"} if naive else {})}


@pytest.mark.parametrize(
    ("expected", "grain", "got", "right"),
    [
        ("2019-01-04T00:00:00+00:00", "day", "2019-01-04", True),
        ("2019-01-04T00:00:00+00:00", "day", "2019-01-04T17:00:00+00:00", True),
        ("2019-01-04T00:00:00+00:00", "day", "2019-01-05", False),
        ("2016-11-08T15:00:00+00:00", "hour", "2016-11-08T15:45:00+00:00", True),
        ("2016-11-08T15:00:00+00:00", "hour", "2016-11-08", False),
        ("2016-11-08T15:30:00+00:00", "minute", "2016-11-08T15:31:00+00:00", False),
        ("2016-11-08T15:30:00+00:00", "second", "2016-11-08T15:30:00+00:00", True),
        ("2021-06-14T00:00:00+08:00", "week", "2021-06-20", True),  # Sunday, same ISO week
        ("2021-06-14T00:00:00+08:00", "week", "2021-06-21", False),
        ("2021-06-01T00:00:00+08:00", "month", "2021-06-30", True),
        ("2021-04-01T00:00:00+08:00", "quarter", "2021-06-30", True),
        ("2021-04-01T00:00:00+08:00", "quarter", "2021-07-01", False),
        ("2027-01-01T00:00:00+08:00", "year", "2027-12-31", True),
        ("2019-01-04T00:00:00+00:00", "day", None, False),
    ],
)
def test_time_cases_match_at_their_grain(
    expected: str, grain: str, got: str | None, right: bool
) -> None:
    assert time_case_matches(case(expected, grain), got) is right


def test_naive_cases_compare_wall_clocks_and_aware_ones_instants() -> None:
    got = "2016-11-08T23:30:00+08:00"  # 15:30 UTC
    assert not time_case_matches(case("2016-11-08T15:30:00+00:00", "minute"), got)
    assert time_case_matches(case("2016-11-08T15:30:00+00:00", "minute", naive=False), got)


def test_message_dates_match_dates_and_times_match_to_the_minute() -> None:
    assert when_matches("2026-12-04", "2026-12-04")
    assert not when_matches("2026-12-04", "2026-12-04T18:00:00+08:00")
    assert not when_matches("2026-11-25T15:00:00+08:00", "2026-11-25")
    assert when_matches("2026-11-25T15:00:00+08:00", "2026-11-25T07:00:59+00:00")
    assert not when_matches("2026-11-25T15:00:00+08:00", "2026-11-25T15:01:00+08:00")
    assert when_matches(None, None)
    assert not when_matches(None, "2026-11-25")


def test_titles_compare_without_case_spaces_or_punctuation() -> None:
    assert normal_title("Ship the Release-Notes!") == normal_title("ship the release notes")
    assert field_matches("title", "把合同发给客户", "把合同 发给客户。")
    assert not field_matches("title", "写周报", "写月报")
    assert field_matches("shift", {"amount": 2, "unit": "day"}, {"amount": 2, "unit": "day"})
    assert not field_matches("assignees", ["张三"], [])


def test_a_date_that_does_not_exist_is_right_only_when_nothing_is_resolved() -> None:
    impossible = case("0001-01-01T00:00:00+00:00", "day")
    assert time_case_matches(impossible, None)
    assert not time_case_matches(impossible, "2026-03-01")
