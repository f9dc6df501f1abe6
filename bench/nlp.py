"""The rule parser against the development corpora: accuracy, throughput, latency, and dateparser.

    python -m bench nlp          (or `make bench`)

Corpus: `$PMBOT_CORPUS_DIR`, else `../shared/corpus` next to the repository. Scoring follows the
contract's "Scoring" section and the corpus README:

- time_dev.jsonl: a case is right when the parsed `due` or `start` equals `expected` truncated to
  the case's `grain` (second, minute, hour, day, same ISO week, month, quarter, year). A
  date-only answer cannot match an hour/minute/second grain. `tz: naive` cases compare wall
  clocks; the others compare instants in `expected`'s offset. The headline figure excludes
  holidays, past/future-ambiguous cases and lines the corpus marks `scope: out`, which are
  reported on their own lines.
- tasks_dev.jsonl: each field on its own; `title` after lower-casing and dropping white space and
  punctuation; `due`/`start` at the stated grain (a date matches a date, a time to the minute).

Throughput is measured in this process pinned to one CPU (where the OS allows), after a warm-up
pass; dateparser parses the same time phrases in the same run for comparison.
"""

from __future__ import annotations

import json
import os
import statistics
import time
import unicodedata
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from core.nlp import parse_message
from core.nlp.schema import CONTRACT_FIELDS, ParseResult

FIELDS = CONTRACT_FIELDS
TIMING_SECONDS = 3.0  # how long the rule parser's timing loop runs at least


CONTRACT_SETS = Path(__file__).resolve().parent.parent / "tests" / "corpus"


def corpus_dir() -> Path:
    """`$PMBOT_CORPUS_DIR`, else `../shared/corpus` relative to the repository."""
    env = os.environ.get("PMBOT_CORPUS_DIR")
    if env:
        return Path(env)
    repo = Path(__file__).resolve().parent.parent
    return (repo / ".." / "shared" / "corpus").resolve()


def load_jsonl(path: Path) -> list[dict[str, Any]]:
    """Every JSON object in a JSONL file, skipping blank lines."""
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


# -- scoring ---------------------------------------------------------------------------------


def _value(text: str | None) -> date | datetime | None:
    if text is None:
        return None
    if "T" in text:
        return datetime.fromisoformat(text)
    return date.fromisoformat(text)


def truncate(value: date | datetime, grain: str) -> Any:
    """`value` cut to `grain`; `None` when a date-only value cannot show that grain."""
    day = value.date() if isinstance(value, datetime) else value
    if grain in ("second", "minute", "hour"):
        if not isinstance(value, datetime):
            return None
        if grain == "hour":
            return (day, value.hour)
        if grain == "minute":
            return (day, value.hour, value.minute)
        return (day, value.hour, value.minute, value.second)
    if grain == "day":
        return day
    if grain == "week":
        return tuple(day.isocalendar())[:2]
    if grain == "month":
        return (day.year, day.month)
    if grain == "quarter":
        return (day.year, (day.month - 1) // 3)
    if grain == "year":
        return day.year
    raise ValueError(f"unknown grain {grain!r}")


# Recognizers-Text marks a date that does not exist (2月30日) with this value: nothing should
# be resolved, and a parser that resolves nothing is right.
IMPOSSIBLE = "0001-01-01"


def time_case_matches(case: dict[str, Any], got: str | None) -> bool:
    """Whether one parsed `due`/`start` answers a time_dev case at its grain."""
    if case["expected"].startswith(IMPOSSIBLE):
        return got is None
    value = _value(got)
    if value is None:
        return False
    expected = datetime.fromisoformat(case["expected"])
    naive = case.get("tz") == "naive"
    if isinstance(value, datetime) and not naive and expected.tzinfo is not None:
        value = value.astimezone(expected.tzinfo)
    want = truncate(expected, case["grain"])
    return want is not None and truncate(value, case["grain"]) == want


def when_matches(expected: str | None, got: str | None) -> bool:
    """`due`/`start` scoring for whole messages: a date matches a date, a time to the minute."""
    if expected is None or got is None:
        return expected == got
    want, have = _value(expected), _value(got)
    if isinstance(want, datetime):
        if not isinstance(have, datetime):
            return False
        have = have.astimezone(want.tzinfo)
        return want.replace(second=0, microsecond=0) == have.replace(second=0, microsecond=0)
    return not isinstance(have, datetime) and want == have


def normal_title(text: str) -> str:
    """Lower-cased, without white space or punctuation (the contract's title comparison)."""
    return "".join(
        ch
        for ch in text.lower()
        if not ch.isspace() and not unicodedata.category(ch).startswith("P")
    )


def field_matches(name: str, expected: Any, got: Any) -> bool:
    """Whether one contract field of a parsed message matches the expected value."""
    if name == "title":
        return normal_title(expected or "") == normal_title(got or "")
    if name in ("due", "start"):
        return when_matches(expected, got)
    return bool(expected == got)


# -- running the parser ----------------------------------------------------------------------


@dataclass
class Message:
    """One corpus message ready to parse."""

    text: str
    now: datetime
    tz: ZoneInfo | None  # None: the fixed offset of `now`
    kind: str  # "time" or "task"


def time_messages(cases: list[dict[str, Any]]) -> list[Message]:
    """time_dev cases as messages: `text` at `ref`, in the fixed offset of `ref` unless the case
    names an IANA `zone` (the contract sets' daylight-saving cases)."""
    return [
        Message(case["text"], datetime.fromisoformat(case["ref"]),
                ZoneInfo(case["zone"]) if case.get("zone") else None, "time")
        for case in cases
    ]


def task_messages(cases: list[dict[str, Any]]) -> list[Message]:
    """tasks_dev cases as messages in their own zone."""
    return [
        Message(c["text"], datetime.fromisoformat(c["now"]), ZoneInfo(c["tz"]), "task")
        for c in cases
    ]


def parse(msg: Message) -> ParseResult | None:
    """The rule parser's answer, or `None` if it raised (counted as wrong, reported)."""
    try:
        return parse_message(msg.text, msg.now, tz=msg.tz)
    except Exception:
        return None


# -- reports ---------------------------------------------------------------------------------


@dataclass
class Tally:
    """Right answers out of a number of cases."""

    right: int = 0
    total: int = 0
    extra: dict[str, int] = field(default_factory=dict)

    def add(self, ok: bool) -> None:
        """Count one case."""
        self.total += 1
        self.right += ok

    def pct(self) -> str:
        """Accuracy as a percentage string."""
        return f"{100 * self.right / self.total:5.1f}%" if self.total else "    -"


def _group(case: dict[str, Any]) -> str:
    if case.get("scope") == "out":
        return "out of scope"
    if case.get("category") == "holiday":
        return "holiday"
    if case.get("ambiguous") == "past_future":
        return "past/future"
    return "main"


def dateparser_value(text: str, ref: datetime, search: bool = True) -> datetime | None:
    """dateparser's reading of `text` relative to the naive wall clock of `ref`; with `search`,
    a sentence it cannot parse whole is searched for a date (accuracy only, not timed)."""
    import dateparser
    from dateparser.search import search_dates

    base = ref.replace(tzinfo=None)
    settings: Any = {"RELATIVE_BASE": base, "PREFER_DATES_FROM": "future"}
    parsed: datetime | None = dateparser.parse(text, settings=settings)
    if parsed is None and search and len(text.split()) > 2:
        # a whole sentence: dateparser's own search for the date inside it
        found = search_dates(text, settings=settings)
        parsed = found[0][1] if found else None
    return parsed


def _dateparser_matches(case: dict[str, Any], value: datetime | None) -> bool:
    if case["expected"].startswith(IMPOSSIBLE):
        return value is None
    if value is None:
        return False
    # dateparser answers in the wall clock of the reference: compare wall clocks.
    expected = datetime.fromisoformat(case["expected"]).replace(tzinfo=None)
    want = truncate(expected, case["grain"])
    return want is not None and truncate(value.replace(tzinfo=None), case["grain"]) == want


@contextmanager
def one_cpu() -> Iterator[str]:
    """Pin this process to one CPU for the timing, where the OS allows it."""
    getter = getattr(os, "sched_getaffinity", None)
    setter = getattr(os, "sched_setaffinity", None)
    if getter is None or setter is None:
        yield "not pinned"
        return
    before = getter(0)
    cpu = min(before)
    setter(0, {cpu})
    try:
        yield f"pinned to CPU {cpu}"
    finally:
        setter(0, before)


def _time_loop(messages: list[Message], seconds: float) -> list[int]:
    latencies: list[int] = []
    clock = time.perf_counter_ns
    deadline = clock() + int(seconds * 1e9)
    while True:
        for msg in messages:
            started = clock()
            parse(msg)
            latencies.append(clock() - started)
        if clock() >= deadline:
            return latencies


def _percentile(values: list[int], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] / 1e3  # µs


def _rate(latencies: list[int]) -> float:
    return len(latencies) / (sum(latencies) / 1e9) if latencies else 0.0


def _print_table(title: str, header: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    print(f"\n{title}")
    line = "  ".join(
        h.ljust(w) if i == 0 else h.rjust(w)
        for i, (h, w) in enumerate(zip(header, widths, strict=True))
    )
    print(line)
    print("-" * len(line))
    for row in rows:
        print(
            "  ".join(
                c.ljust(w) if i == 0 else c.rjust(w)
                for i, (c, w) in enumerate(zip(row, widths, strict=True))
            )
        )


def run_dateparser(cases: list[dict[str, Any]]) -> tuple[list[datetime | None], float]:
    """dateparser's answer for every time phrase, and the seconds the pass took (one core)."""
    phrases = time_messages(cases)
    with one_cpu():
        for msg in phrases[:20]:  # dateparser loads its language data on first use
            dateparser_value(msg.text, msg.now)
        # timed as the rule parser is: one parse per phrase
        started = time.perf_counter()
        for msg in phrases:
            dateparser_value(msg.text, msg.now, search=False)
        elapsed = time.perf_counter() - started
        values = [dateparser_value(msg.text, msg.now) for msg in phrases]
        return values, elapsed


def report_time(
    cases: list[dict[str, Any]],
    dateparser_values: list[datetime | None] | None = None,
    title: str = "Time expressions (time_dev.jsonl): parsed due/start == expected at the case's grain",
) -> dict[str, Any]:
    """Accuracy on time_dev per language and group, for the rules and (optionally) dateparser."""
    rules: dict[tuple[str, str], Tally] = defaultdict(Tally)
    theirs: dict[tuple[str, str], Tally] = defaultdict(Tally)
    errors = 0
    for i, (case, msg) in enumerate(zip(cases, time_messages(cases), strict=True)):
        result = parse(msg)
        errors += result is None
        ok = result is not None and (
            time_case_matches(case, result.due) or time_case_matches(case, result.start)
        )
        key = (case["lang"], _group(case))
        rules[key].add(ok)
        if dateparser_values is not None:
            theirs[key].add(_dateparser_matches(case, dateparser_values[i]))
    rows = []
    for lang in sorted({k[0] for k in rules}):
        for group in ("main", "past/future", "holiday", "out of scope"):
            if (lang, group) in rules:
                ours, other = rules[(lang, group)], theirs[(lang, group)]
                rows.append(
                    [f"{lang} {group}", str(ours.total), f"{ours.right}", ours.pct(), other.pct()]
                )
    _print_table(title, ["cases", "n", "right", "rules", "dateparser"], rows)
    if errors:
        print(f"  ! the rule parser raised on {errors} case(s) (counted wrong)")
    return {"rules": rules, "dateparser": theirs, "errors": errors}


def report_tasks(
    cases: list[dict[str, Any]], title: str = "Whole messages (tasks_dev.jsonl), field by field"
) -> dict[str, Tally]:
    """Per-field accuracy on tasks_dev, plus whole messages with every field right."""
    tallies: dict[str, Tally] = defaultdict(Tally)
    for case, msg in zip(cases, task_messages(cases), strict=True):
        result = parse(msg)
        got = result.model_dump(mode="json") if result is not None else {}
        all_ok = True
        for name in FIELDS:
            ok = result is not None and field_matches(name, case["expected"][name], got[name])
            tallies[name].add(ok)
            all_ok &= ok
        tallies["all fields"].add(all_ok)
    rows = [[name, str(t.total), str(t.right), t.pct()] for name, t in tallies.items()]
    _print_table(title, ["field", "n", "right", "acc"], rows)
    return tallies


def report_speed(
    time_cases: list[dict[str, Any]], task_cases: list[dict[str, Any]], dp_seconds: float
) -> dict[str, float]:
    """Rule-parser throughput and latency over the corpus, against dateparser's pass (`dp_seconds`)."""
    phrases = time_messages(time_cases)
    everything = phrases + task_messages(task_cases)
    with one_cpu() as pinning:
        _time_loop(everything, 0.0)  # warm-up pass
        latencies = _time_loop(everything, TIMING_SECONDS)
        phrase_latencies = _time_loop(phrases, TIMING_SECONDS / 3)
    ours_all, ours_phrases = _rate(latencies), _rate(phrase_latencies)
    dp_rate = len(phrases) / dp_seconds
    passes = len(latencies) // len(everything)
    rows = [
        [
            f"rules, all {len(everything)} corpus messages",
            f"{ours_all:,.0f}",
            f"{_percentile(latencies, 0.5):,.0f}",
            f"{_percentile(latencies, 0.99):,.0f}",
            f"{passes} passes",
        ],
        [
            f"rules, {len(phrases)} time phrases",
            f"{ours_phrases:,.0f}",
            f"{_percentile(phrase_latencies, 0.5):,.0f}",
            f"{_percentile(phrase_latencies, 0.99):,.0f}",
            "",
        ],
        [
            f"dateparser, same {len(phrases)} phrases",
            f"{dp_rate:,.0f}",
            "",
            "",
            f"{dp_seconds:.1f} s, 1 pass",
        ],
    ]
    _print_table(
        f"Speed (one core: {pinning})",
        ["parser", "msgs/s", "p50 µs", "p99 µs", "note"],
        rows,
    )
    ratio = ours_phrases / dp_rate if dp_rate else float("inf")
    print(f"  rules are {ratio:,.1f}x dateparser's throughput on the same time phrases")
    return {
        "rules_rate": ours_all,
        "rules_phrase_rate": ours_phrases,
        "dateparser_rate": dp_rate,
        "p50_us": _percentile(latencies, 0.5),
        "p99_us": _percentile(latencies, 0.99),
        "ratio": ratio,
        "mean_us": statistics.fmean(latencies) / 1e3,
    }


def main() -> None:
    """Print the parser's accuracy and speed on the development corpora."""
    root = corpus_dir()
    time_cases = load_jsonl(root / "time_dev.jsonl")
    task_cases = load_jsonl(root / "tasks_dev.jsonl")
    print(f"corpus: {root} ({len(time_cases)} time cases, {len(task_cases)} messages)", flush=True)
    started = time.perf_counter()
    dateparser_values, dp_seconds = run_dateparser(time_cases)
    report_time(time_cases, dateparser_values)
    report_tasks(task_cases)
    # Sets written from the contract alone by a separate session, never by running the parser
    # (tests/corpus/README.md): how the rules do on phrasing they were not built from.
    for name, what in [("contract_time", "Time phrases"),
                       ("contract_time_sentences", "Time phrases in sentences"),
                       ("contract_time_styles", "Time phrases in the corpus sources' styles"),
                       ("contract_time_edges", "Midnight, month/year ends, daylight saving"),
                       ("contract_time_final", "Final cross-section")]:
        cases = load_jsonl(CONTRACT_SETS / f"{name}.jsonl")
        report_time(cases, run_dateparser(cases)[0],
                    title=f"{what} written from the contract (tests/corpus/{name}.jsonl)")
    for name, what in [("contract_tasks", "Whole messages"),
                       ("contract_tasks_chat", "Busy-channel messages"),
                       ("contract_tasks_slack", "Slack-style English messages"),
                       ("contract_tasks_dingtalk", "DingTalk-style Chinese messages"),
                       ("contract_tasks_mixed", "Chinese-English code-switching messages"),
                       ("contract_tasks_intents", "Complete/reassign/postpone/query messages"),
                       ("contract_tasks_lookalikes", "Messages full of date look-alikes"),
                       ("contract_tasks_series", "Series, starts and ranges"),
                       ("contract_tasks_fields", "Mentions, priorities, tags and estimates"),
                       ("contract_tasks_traditional", "Traditional Chinese (Taiwan, Hong Kong)"),
                       ("contract_tasks_regional_en", "English from the UK, India, Singapore, "
                                                      "Australia"),
                       ("contract_tasks_long", "Long messages with context around one task"),
                       ("contract_tasks_final", "Final cross-section of a week's messages"),
                       ("contract_tasks_reschedule", "Changing when a task is due"),
                       ("contract_tasks_deadlines", "Deadlines attached every way"),
                       ("contract_tasks_create_lookalikes", "New work in other intents' words")]:
        report_tasks(load_jsonl(CONTRACT_SETS / f"{name}.jsonl"),
                     title=f"{what} written from the contract (tests/corpus/{name}.jsonl)")
    report_speed(time_cases, task_cases, dp_seconds)
    print(f"\nbench.nlp took {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
