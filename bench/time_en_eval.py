"""Score `find_times_en` on the English lines of the shared time-expression corpus.

    .venv/bin/python -m bench.time_en_eval [--corpus PATH] [--fail] [--category past_future]

A case is right when the first span of kind point/start/recurrence, compared at the case's
grain (day, hour, minute, second; week = ISO week, month, quarter, year), equals `expected`.
`expected` 0001-01-01 means "no such date" (Feb 30): right when nothing is found.
Scored set: English lines minus `category: holiday` and `ambiguous: past_future`; those two
groups are reported on their own (for past_future the future reading `expected` is the target).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import defaultdict
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from core.calendar import WeekdayCalendar  # noqa: E402
from core.nlp.time_en import find_times_en  # noqa: E402
from core.nlp.types import TimeSpan  # noqa: E402

DEFAULT_CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus" / "time_dev.jsonl"
_CAL = WeekdayCalendar()


def load_cases(path: Path = DEFAULT_CORPUS) -> list[dict[str, Any]]:
    """English cases of the corpus, in file order."""
    with path.open(encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh if line.strip()]
    return [r for r in rows if r.get("lang") == "en"]


def group_of(case: dict[str, Any]) -> str:
    """`out` (outside the contract's scope), `holiday`, `past_future` or `scored`."""
    if case.get("scope") == "out":
        return "out"
    if case.get("category") == "holiday":
        return "holiday"
    if case.get("ambiguous") == "past_future":
        return "past_future"
    return "scored"


def source_of(case: dict[str, Any]) -> str:
    """Short name of the project a case came from."""
    src = str(case.get("source", ""))
    return src.split(":")[0].split("/")[-1]


_NEXT_WEEKDAY_RE = re.compile(
    r"\bnext\s+(monday|mon|tuesday|tues|tue|wednesday|wed|thursday|thurs|thu|friday|fri|"
    r"saturday|sat|sunday|sun)\b", re.IGNORECASE)
_MORNING_RE = re.compile(r"\b(am|a\.\s?m\.?|a\s+m|morning|early)\b|\d(a|am)\b", re.IGNORECASE)
_CLOCK_1_7_RE = re.compile(r"(?<![\d.:])[1-7](?::\d\d)?(?![\d.])|\b(one|two|three|four|five|"
                           r"six|seven)\b", re.IGNORECASE)


def contract_conflict(case: dict[str, Any]) -> str | None:
    """Why the corpus's `expected` contradicts nl-contract.md for this case, if it does.

    Reported separately so the main score stays the plain one: these lines are counted
    (and fail) in `scored`.
    """
    text = case["text"]
    low = text.lower()
    expected = datetime.fromisoformat(case["expected"])
    ref = datetime.fromisoformat(case["ref"]).date()
    if expected.hour == 23 and expected.minute == 59 and ("end" in low or "eod" in low):
        return "EOD / end of day is 18:00"
    if low.strip() in ("as soon as possible", "asap"):
        return "asap is a priority marker"
    if _NEXT_WEEKDAY_RE.search(text) and expected.year > 1:
        wd = expected.weekday()
        nearest = ref + timedelta(days=(wd - ref.weekday() - 1) % 7 + 1)
        explicit_day = re.search(r"\d+\s?(st|nd|rd|th)\b|\d+[/.]\d+", low)
        if expected.date() == nearest + timedelta(days=7) and not explicit_day:
            return "next <weekday> is the nearest one"
        # inside a longer expression ("two months after next Friday"): the line passes when
        # "next" is read as next week's ("following" in this resolver) and fails otherwise
        following = _NEXT_WEEKDAY_RE.sub(lambda m: "following " + m.group(1), text)
        if not explicit_day and judge({**case, "text": following})[0] and not judge(case)[0]:
            return "next <weekday> is the nearest one"
    if case["grain"] in ("hour", "minute", "second") and 1 <= expected.hour <= 7 and \
            not _MORNING_RE.search(text) and not re.search(r"hour|hr|min|\d{4}", low) and \
            _CLOCK_1_7_RE.search(text):
        return "an hour 1-7 with no marker is afternoon"
    return None


def _key(value: date | datetime, grain: str) -> tuple[int, ...]:
    if grain == "week":
        iso = value.isocalendar()
        return (iso[0], iso[1])
    if grain == "month":
        return (value.year, value.month)
    if grain == "quarter":
        return (value.year, (value.month - 1) // 3)
    if grain == "year":
        return (value.year,)
    base = (value.year, value.month, value.day)
    if grain == "day":
        return base
    if not isinstance(value, datetime):
        return (*base, -1)
    if grain == "hour":
        return (*base, value.hour)
    if grain == "minute":
        return (*base, value.hour, value.minute)
    return (*base, value.hour, value.minute, value.second)


def first_span(spans: list[TimeSpan]) -> TimeSpan | None:
    """The span the scorer looks at."""
    return next((s for s in spans if s.kind in ("point", "start", "recurrence")), None)


def judge(case: dict[str, Any]) -> tuple[bool, TimeSpan | None]:
    """Run one case → (right?, the span looked at)."""
    ref = datetime.fromisoformat(case["ref"])
    span = first_span(find_times_en(case["text"], ref, _CAL))
    expected = datetime.fromisoformat(case["expected"])
    if expected.year == 1:
        return span is None, span
    if span is None or span.value is None:
        return False, span
    value = span.value
    grain = case["grain"]
    if isinstance(value, datetime) and case.get("tz") == "naive":
        value = value.replace(tzinfo=None)
        expected = expected.replace(tzinfo=None)
    elif isinstance(value, datetime):
        value = value.astimezone(expected.tzinfo)
    return _key(value, grain) == _key(expected, grain), span


def evaluate(cases: list[dict[str, Any]]) -> dict[str, dict[str, list[int]]]:
    """Tally right/total by group and by source within each group."""
    tally: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    for case in cases:
        ok, _ = judge(case)
        g = group_of(case)
        for key in ("all", source_of(case)):
            cell = tally[g][key]
            cell[0] += int(ok)
            cell[1] += 1
    return tally


def main(argv: list[str] | None = None) -> int:
    """Print accuracy per group and source; optionally list the failures."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--fail", action="store_true", help="list failing cases")
    ap.add_argument("--category", default="scored", help="group whose failures to list")
    args = ap.parse_args(argv)
    cases = load_cases(args.corpus)
    tally = evaluate(cases)
    for g in ("scored", "past_future", "holiday"):
        if g not in tally:
            continue
        right, total = tally[g]["all"]
        print(f"{g:12} {right:4}/{total:<4} {right / total:6.1%}")
        for src, (r, t) in sorted(tally[g].items()):
            if src != "all":
                print(f"    {src:24} {r:4}/{t:<4} {r / t:6.1%}")
    conflicts = [c for c in cases if group_of(c) == "scored" and contract_conflict(c)]
    if conflicts:
        right, total = tally["scored"]["all"]
        wrong_conf = sum(not judge(c)[0] for c in conflicts)
        print(f"scored minus {len(conflicts)} lines whose expected value contradicts the "
              f"contract: {right}/{total - len(conflicts)} "
              f"{right / (total - len(conflicts)):6.1%} ({len(conflicts) - wrong_conf} of "
              f"them happen to pass)")
        if args.fail:
            for c in conflicts:
                print(f"CONFLICT {c['text']!r:40} {contract_conflict(c)}")
    # speed: every English line, several rounds
    t0 = time.perf_counter()
    calls = 0
    for _ in range(5):
        for case in cases:
            find_times_en(case["text"], datetime.fromisoformat(case["ref"]), _CAL)
            calls += 1
    dt = time.perf_counter() - t0
    print(f"speed: {dt / calls * 1e6:.0f} µs per call over {calls} calls")
    if args.fail:
        for case in cases:
            if group_of(case) != args.category:
                continue
            ok, span = judge(case)
            if not ok:
                got = None if span is None else (span.value, span.grain, span.kind)
                print(
                    f"FAIL {case['text']!r:48} ref={case['ref'][:16]} "
                    f"exp={case['expected'][:19]} {case['grain']:6} got={got} "
                    f"[{source_of(case)}]"
                )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
