"""English date and time expressions: find them in a message and resolve them against `now`.

`find_times_en` is the whole public surface.  The grammar (`core.nlp.en_grammar`) finds atoms
("next Friday", "5pm", "in 3 days"); this module groups atoms that touch, or are joined only by
glue ("at", "on", "of", commas), into one expression, resolves it by the rules of the parse
contract (../shared/spec/nl-contract.md, "Resolving dates and times") and returns `TimeSpan`s.

Choices the contract leaves open, made here:
- a month/day without a year is the next one on or after today; an ambiguous 6/8 is month/day
  unless that passed recently and 6 August is still ahead; a weekday beside it decides;
- "next/this <weekday>" follow the contract (nearest after today); "last"/"previous" is the
  weekday of last week, "past" the nearest before today, "following" the one of next week;
- a weekday with a day of month ("Monday 21") is this month if it fits, else the next month
  where it does;
- as a deadline a period ends on its last day; as a start ("starting next week") it begins on
  its first day;
- hour and minute offsets are elapsed time; day offsets and longer are calendar dates;
- a word that is often not a date ("may", "sat", "3.11", "Q3") counts only after a connector
  ("in May", "by Q3") or right next to another part of a date;
- a frequency word before a noun ("quarterly report", "the weekly sync") names the thing: it is
  a recurrence only with a lone time of day and nothing else dated ("daily standup at 9am");
- EOD / COB / "end of day" are `workday_end` o'clock (18:00 unless the caller configures it);
- a range ("from 9 to 5", "Dec 21 to Jan 4", "between Monday and Wednesday") starts at its
  first end; its two ends share a day, and a weekday that ends it comes after its start;
- "N units since/from <date>" counts from the date's start ("2 years since 2011" → 1 Jan 2013);
- a message that is nothing but a length of time ("3 days") is that long from now; inside a
  task a length is work to do ("spend 3 days on X"), not a date;
- after a date a bare number is its hour ("Friday 5", "tomorrow 9", "on Monday at 9 review");
  after a weekday 13 and over is the day of month ("Monday 21");
- four digits after "<weekday> <day> <month>" are a 24-hour time when the weekday contradicts
  them as a year and fits the coming date ("Thurs 2 Nov 2015" → 20:15);
- a time said in a zone ("9am PST", "14:00 GMT+1", "10am ET") is converted to the zone of
  `now`; CST and IST are ambiguous and ignored;
- British "Monday week", "a week on Monday", "two weeks today" are a week (two) after that day.
"""

from __future__ import annotations

import calendar as _cal
import re
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from itertools import pairwise
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil.relativedelta import relativedelta

from core.calendar import WorkCalendar, add_workdays
from core.nlp.en_grammar import Atom, Rec, Scanner
from core.nlp.en_holidays import holiday_near
from core.nlp.en_lex import (
    GLUE_PUNCT,
    GLUE_WORDS,
    MONTHS,
    PARTS_OF_DAY,
    POINT_CONNECTORS,
    START_CONNECTORS,
    WEEKDAYS,
)
from core.nlp.types import Grain, SpanKind, TimeSpan

# Atoms that may share one expression even though both fill a date slot: an explicit date
# overrides a relative one ("tomorrow, 13/04/21"), a weekday narrows a month-day.
_WORKDAY_END = time(18, 0)  # EOD / COB / "end of day" unless the caller configures another
_MAX_TEXT = 20_000  # longer messages are searched in their first 20k characters only
_MAX_GAP_TOKENS = 3
_RESCUE_CONNECTORS = frozenset({"by", "before", "until", "till", "til", "due", "on", "in",
                                "during", "since", "from", "starting", "of", "after", "next",
                                "this", "last", "every", "at", "around", "deadline"})
_POD_HOURS: dict[str, tuple[int, bool | None]] = {
    "morning": (9, False), "early_morning": (7, False), "late_morning": (11, False),
    "afternoon": (14, True), "late_afternoon": (16, True), "evening": (20, True),
    "early_evening": (18, True), "late_evening": (22, True), "night": (20, True),
    "tonight": (20, True), "noon": (12, True), "midday": (12, True), "noonish": (12, True),
    "lunchtime": (12, True), "lunch": (12, True), "midnight": (0, False), "am": (9, False),
    "pm": (14, True),
}  # fmt: skip


def find_times_en(text: str, now: datetime, calendar: WorkCalendar,
                  workday_end: time = _WORKDAY_END) -> list[TimeSpan]:
    """Find and resolve every English date/time expression in `text` relative to `now`.

    Returns spans in text order; each covers the expression with its leading connectors
    ("by", "before", "due", "on", "at", "until", "starting", ...).  EOD, COB and "end of day"
    are `workday_end` o'clock.  Never raises: an input the grammar cannot make sense of yields
    fewer spans, not an error.
    """
    if not text:
        return []
    try:
        return _find(text[:_MAX_TEXT], now, calendar, workday_end)
    except (ValueError, OverflowError, KeyError, IndexError):  # pragma: no cover - defensive
        return []


def _find(text: str, now: datetime, calendar: WorkCalendar, eod: time) -> list[TimeSpan]:
    sc = Scanner(text)
    atoms = sc.scan()
    if not atoms:
        return []
    atoms = _drop_lonely_weak(sc, atoms)
    _settle_soft_anchors(sc, atoms)
    spans: list[TimeSpan] = []
    clusters = _clusters(sc, atoms)
    _share_range_week(sc, clusters)
    clock = next((c for c in clusters if all(a.slots <= {"hm", "pod"} for a in c)), None)
    if any(a.adjective for c in clusters for a in c):
        clusters = _drop_adjectives(sc, clusters, clock)
    # "daily standup at 9am": a lone time of day elsewhere in the message is the time the
    # recurrence happens at
    rec_clusters = [c for c in clusters if any(a.rec is not None for a in c)]
    for cluster in clusters:
        try:
            span = _resolve_cluster(sc, cluster, now, calendar, eod)
        except (ValueError, OverflowError):
            continue  # "in 9999 years": beyond what a date can hold
        if span is None:
            continue
        if len(rec_clusters) == 1 and cluster is rec_clusters[0] and clock is not None and \
                _time_of(cluster, eod) is None and span.rrule is not None:
            rec = next(a.rec for a in cluster if a.rec is not None)
            value, grain = _first_occurrence(rec, cluster + clock, now, eod)
            if value is not None:
                span = TimeSpan(span.start, span.end, "recurrence", value, grain,
                                rrule=span.rrule)
        spans.append(span)
    return _join_ranges(sc, _join_near_clock(sc, spans))


_DAY_OF_MONTH = re.compile(r"\d{1,2}(?:st|nd|rd|th)?")
_RANGE_GAP = re.compile(r"\s*(?:to|until|till|thru|through|and|-|–|—)\s*", re.IGNORECASE)


def _join_ranges(sc: Scanner, spans: list[TimeSpan]) -> list[TimeSpan]:
    """ "from 2 to 4pm tomorrow", "from 10am to 2pm", "Dec 21 to Jan 4", "between Monday and
    Wednesday": the first end starts the range, the word between goes with the second end,
    two clock times share one day, and an end named by a weekday or a day of month comes
    after the start."""
    out = list(spans)
    for k in range(len(out) - 1):
        a, b = out[k], out[k + 1]
        if a.kind not in ("start", "point") or b.kind != "point" or a.value is None or \
                b.value is None or _RANGE_GAP.fullmatch(sc.text, a.end, b.start) is None:
            continue
        word = sc.text[a.end:b.start].strip().lower()
        if word == "and" and not sc.text[a.start:a.end].lower().startswith("between"):
            continue  # "Monday and Tuesday" is two days; "between Monday and Tuesday" a range
        if a.kind == "point":
            if word in ("-", "–", "—"):
                continue  # a dash range is the parser's to mark
            a = out[k] = TimeSpan(a.start, a.end, "start", a.value, a.grain, a.time_only)
        bstart = b.start
        if word.isalpha():
            bstart = a.end + sc.text[a.end:b.start].lower().index(word)
        av, bv = a.value, b.value
        if av is None or bv is None:
            continue
        if isinstance(av, datetime) and isinstance(bv, datetime) and (a.time_only or
                                                                       b.time_only):
            if a.time_only and not b.time_only:
                start = datetime.combine(bv.date(), av.timetz())
                out[k] = TimeSpan(a.start, a.end, a.kind, start, a.grain)
                out[k + 1] = TimeSpan(bstart, b.end, b.kind, bv, b.grain)
                continue
            end = datetime.combine(av.date(), bv.timetz())
            if end < av:
                end += timedelta(days=1)  # "from 10pm to 2am"
            out[k + 1] = TimeSpan(bstart, b.end, b.kind, end, b.grain, time_only=a.time_only)
            continue
        words = sc.text[b.start:b.end].lower().replace(".", " ").split()
        lag = (_day_of(av) - _day_of(bv)).days
        if 0 < lag < 7 and any(w in WEEKDAYS for w in words) and \
                not any(w in MONTHS or "/" in w for w in words):
            bv = bv + timedelta(days=7)  # "from Monday to Friday (at 5pm)"
        elif 0 < lag < 31 and words and _DAY_OF_MONTH.fullmatch(words[-1]):
            bv = bv + relativedelta(months=1)  # "from the 25th to the 3rd"
        out[k + 1] = TimeSpan(bstart, b.end, b.kind, bv, b.grain, time_only=b.time_only)
    return out


def _day_of(value: date) -> date:
    return value.date() if isinstance(value, datetime) else value


def _drop_adjectives(sc: Scanner, clusters: list[list[Atom]],
                     clock: list[Atom] | None) -> list[list[Atom]]:
    """A frequency word before a noun ("quarterly report", "the weekly sync") names the thing.
    It states a recurrence only when nothing else can: no other recurrence ("send the weekly
    report every Friday"), no date, no determiner before it, and a lone time of day that
    says when it happens ("daily standup at 9am")."""
    real_rec = any(a.rec is not None and not a.adjective for c in clusters for a in c)
    dated = any(c is not clock and not any(a.adjective for a in c) for c in clusters)
    out: list[list[Atom]] = []
    for c in clusters:
        adj = next((a for a in c if a.adjective), None)
        if adj is None:
            out.append(c)
            continue
        if not real_rec and not dated and clock is not None and \
                sc.tok(adj.ti - 1) not in _DETERMINERS:
            out.append(c)
            continue
        rest = [a for a in c if not a.adjective]
        if rest:
            out.append(rest)
    return out


_DETERMINERS = frozenset({"the", "a", "an", "our", "my", "your", "their", "his", "her", "its",
                          "this", "that", "these", "those", "next", "last", "s", "each",
                          "every", "first", "new"})


def _join_near_clock(sc: Scanner, spans: list[TimeSpan]) -> list[TimeSpan]:
    """ "the 10am standup tomorrow": a lone clock time a word or two from the message's only
    date is that date's time.  Both spans then carry the joined value."""
    clocks = [s for s in spans if s.time_only]
    dates = [s for s in spans if s.kind == "point" and not s.time_only
             and type(s.value) is date and s.grain == "day"]
    if len(clocks) != 1 or len(dates) != 1 or any(s.kind == "recurrence" for s in spans):
        return spans
    clock, day = clocks[0], dates[0]
    lo, hi = (clock.end, day.start) if clock.end <= day.start else (day.end, clock.start)
    between = sc.text[lo:hi]
    if len(between.split()) > 2 or any(ch in between for ch in ",;.!?()"):
        return spans
    if not isinstance(clock.value, datetime) or not isinstance(day.value, date):
        return spans
    joined = datetime.combine(day.value, clock.value.timetz())
    return [TimeSpan(s.start, s.end, s.kind, joined, clock.grain)
            if s is clock or s is day else s for s in spans]


# ====================================================================== grouping
def _tight(sc: Scanner, i: int, j: int) -> bool:
    """Only punctuation (no words) between tokens i and j."""
    return j - i <= 2 and all(sc.low[t] in GLUE_PUNCT for t in range(i, j))


def _drop_lonely_weak(sc: Scanner, atoms: list[Atom]) -> list[Atom]:
    """A weak atom ("May", "3.11", "sun") stays only after a connector ("in May") or right
    next to a strong atom ("Sun Nov 12")."""
    keep: list[Atom] = []
    for idx, a in enumerate(atoms):
        if not a.weak:
            keep.append(a)
            continue
        k0, _ = _lead_connectors(sc, a.ti)
        if _rescued(sc, k0, a.ti):
            keep.append(a)
            continue
        prev = atoms[idx - 1] if idx > 0 else None
        nxt = atoms[idx + 1] if idx + 1 < len(atoms) else None
        if (prev is not None and not prev.weak and _tight(sc, prev.tj, a.ti)) or (
                nxt is not None and not nxt.weak and _tight(sc, a.tj, nxt.ti)):
            keep.append(a)
    return keep


def _settle_soft_anchors(sc: Scanner, atoms: list[Atom]) -> None:
    """ "in 2 weeks from Monday" counts from Monday; "in 2 weeks from the kickoff" has no date
    to count from, so it counts from now and leaves "from" to the title."""
    for idx, a in enumerate(atoms):
        if not a.soft_anchor:
            continue
        nxt = atoms[idx + 1] if idx + 1 < len(atoms) else None
        dated = nxt is not None and bool(nxt.slots & _DATE_SLOTS) and "offset" not in nxt.slots
        if dated and nxt is not None and (nxt.ti == a.tj or (
                nxt.ti == a.tj + 1 and sc.low[a.tj] == "the")):
            continue
        a.soft_anchor, a.wd_dir = False, None
        if a.anchored and a.offset == {"days": 1.0} and a.rel is None and \
                sc.low[a.tj - 2] == "day":
            continue  # "the day after the launch": nothing to count from; dropped later
        a.anchored, a.anchor_word = False, None
        a.tj -= 1


_DATE_SLOTS = frozenset({"ymd", "day", "wd", "rel", "period", "year", "month"})
_RANGE_WORDS = frozenset({"to", "until", "till", "through", "thru", "-", "–", "—"})


def _share_range_week(sc: Scanner, clusters: list[list[Atom]]) -> None:
    """ "from Wed to Fri next week": the week named at the end of a range of weekdays is the
    week of its start too."""
    for c, d in pairwise(clusters):
        a, b = c[-1], d[0]
        if len(c) != 1 or a.wd is None or a.wmod is not None or a.nth is not None or \
                a.count_wd is not None or b.wd is None or b.wmod is not None or \
                b.ti - a.tj != 1 or sc.low[a.tj] not in _RANGE_WORDS:
            continue
        per = next((x for x in d if x.period is not None and x.period[0] == "week"), None)
        if per is not None:
            a.period = per.period
            a.slots = a.slots | {"period"}


def _compatible(cluster: list[Atom], slots: set[str], a: Atom) -> bool:
    overlap = slots & a.slots
    if not overlap:
        if "rec" in slots and ("ymd" in a.slots or "rel" in a.slots or "offset" in a.slots):
            return False
        if "rec" in a.slots and slots - {"hm", "pod"}:
            return False
        if "offset" in slots and "offset" not in a.slots and a.slots <= {"hm", "pod"}:
            off = next(x for x in cluster if x.offset is not None)
            if _has_subday(off):
                return False
        return True
    if overlap == {"pod"} and a.pod is not None and a.hm is None and not a.eod and \
            any(x.pod == a.pod for x in cluster):
        return True  # "first thing Monday morning": the same part of the day said twice
    # an explicit date overrides a relative day or a weekday: "tomorrow 16 Nov", "Tue 28 Nov"
    if overlap == {"rel"} and ("ymd" in slots or "ymd" in a.slots):
        return True
    return overlap <= {"rel", "pod"} and any(x.pod is not None for x in cluster) and \
        a.rel is not None and a.pod is not None and "rel" not in slots


def _has_subday(a: Atom) -> bool:
    return a.offset is not None and any(k in a.offset for k in ("hours", "minutes", "seconds"))


def _gap_ok(sc: Scanner, i: int, j: int) -> bool:
    if j - i > _MAX_GAP_TOKENS:
        return False
    for t in range(i, j):
        w = sc.low[t]
        if w in ("due", "by", "until", "till", "before") and t > i and sc.low[t - 1] in (",", ";"):
            return False  # "starting tomorrow, due Thursday": two expressions
        if w in GLUE_WORDS or w in GLUE_PUNCT:
            continue
        if w == "t" and sc.glued(t - 1) and sc.glued(t):
            continue  # ISO 8601 "2016-12-16T12:23"
        if w == "after" and t == j - 1 and sc.isnum[j]:
            continue  # "Friday evening after 6pm"
        if w in ("'", "’") or (w == "s" and t > i and sc.low[t - 1] in ("'", "’")):
            continue  # "last week's Sunday"
        return False
    # a sentence break (". ") ends an expression
    return all(not (sc.low[t] == "." and not sc.glued(t)) for t in range(i, j))


def _clusters(sc: Scanner, atoms: list[Atom]) -> list[list[Atom]]:
    out: list[list[Atom]] = []
    cur: list[Atom] = []
    slots: set[str] = set()
    for a in atoms:
        if cur and _gap_ok(sc, cur[-1].tj, a.ti) and _compatible(cur, slots, a):
            cur.append(a)
            slots |= a.slots
            continue
        if cur:
            out.append(cur)
        cur = [a]
        slots = set(a.slots)
    if cur:
        out.append(cur)
    return out


def _lead_connectors(sc: Scanner, ti: int) -> tuple[int, bool]:
    """Walk back over connectors before token ti → (first token, is a start expression)."""
    k = ti
    start = False
    steps = 0
    while k > 0 and steps < 4:
        w = sc.low[k - 1]
        if w == ":" and k >= 2 and sc.low[k - 2] in ("due", "deadline", "eta", "by", "date"):
            k -= 1  # "due: tomorrow noon"
            continue
        if w == "or" and k >= 2 and sc.low[k - 2] == "on" and sc.low[k] in ("before", "by"):
            k -= 2  # "on or before Dec 5"
            steps += 1
            continue
        if w in START_CONNECTORS:
            start = True
        elif w not in POINT_CONNECTORS:
            break
        if w in ("the", "of", "for", "as", "soon", "after", "since", "no", "not", "later",
                 "than", "in", "within") and not _connector_phrase_ok(sc, k - 1, ti):
            break
        k -= 1
        steps += 1
    if not start and any(sc.low[t] == "as" and sc.low[t + 1] == "of" for t in range(k, ti)):
        start = True  # "as of Monday"
    return k, start


def _connector_phrase_ok(sc: Scanner, k: int, ti: int) -> bool:
    """Multi-word or ambiguous connectors only count in known phrases."""
    w = sc.low[k]
    nxt = sc.low[k + 1] if k + 1 < sc.n else ""
    prv = sc.low[k - 1] if k > 0 else ""
    if w == "in":
        return k + 1 == ti  # "in May", "in 2027"
    if w == "for":
        # "book a room for Friday", "for the first week of March"; "for 2 hours" is a length
        return (k + 1 == ti or (nxt == "the" and k + 2 == ti)) and not sc.isnum[ti]
    if w == "than":
        return prv == "later"
    if w == "as":
        return nxt == "of"
    if w == "of":
        return prv == "as"
    if w == "later":
        return prv in ("no", "not")
    if w in ("no", "not"):
        return nxt == "later"
    if w == "the":
        # "by the Monday after next"; also opening the message ("the Monday after next, kick
        # off the audit")
        return prv in ("by", "before", "until", "till", "on", "due", "from", "starting", "at",
                       "around", "for") or (k == 0 and sc.low[ti] in WEEKDAYS)
    if w == "after":
        return sc.isnum[ti] and k + 1 == ti  # "after 6pm" names the hour
    return w not in ("for", "soon", "since", "within")


# ====================================================================== resolution
def _resolve_cluster(sc: Scanner, cl: list[Atom], now: datetime,
                     calendar: WorkCalendar, eod: time) -> TimeSpan | None:
    k0, is_start = _lead_connectors(sc, cl[0].ti)
    if all(a.weak for a in cl) and not _rescued(sc, k0, cl[0].ti):
        return None
    if len(cl) == 1 and cl[0].anchored and cl[0].rel is None:
        return None  # "2 weeks before the launch": no date to count from
    last = cl[-1]
    end_char = sc.en[last.tj - 1]
    j = last.tj
    if j + 1 < sc.n and sc.low[j] in ("'", "’") and sc.low[j + 1] == "s" and \
            sc.glued(j - 1) and sc.glued(j):
        # "prep slides for Thursday's demo": the possessive goes, "for"/"on" stay in the title
        end_char = sc.en[j + 1]
        while k0 < cl[0].ti and sc.low[k0] not in ("by", "before", "until", "till", "due"):
            k0 += 1
    elif k0 < cl[0].ti and sc.low[k0] == "for" and _modifies_next_word(sc, j):
        # "slides for the Dec 3 all-hands": the date names the meeting, so "for the" stays
        while k0 < cl[0].ti and sc.low[k0] not in ("by", "before", "until", "till", "due"):
            k0 += 1
    start_char = sc.st[k0]
    tail = _trailing_words(sc, last.tj, is_start)
    if tail > last.tj:
        end_char = sc.en[tail - 1]
    # a closing bracket that belongs to an opening one inside the expression
    if last.tj < sc.n and sc.low[last.tj] == ")" and "(" in sc.text[start_char:end_char]:
        end_char = sc.en[last.tj]
    rec = next((a.rec for a in cl if a.rec is not None), None)
    today = now.date()
    if rec is not None:
        value, grain = _first_occurrence(rec, cl, now, eod)
        if value is None:
            return None
        return TimeSpan(start_char, end_char, "recurrence", value, grain, rrule=rec.rrule())
    if is_start:
        _periods_from_their_start(sc, cl)
    off = next((a for a in cl if a.anchored and a.anchor_word in ("since", "from")), None)
    if off is not None:
        # "2 years since 2011": counted from the start of the year
        _periods_from_their_start(sc, [a for a in cl if a is not off])
    res = _resolve_point(cl, now, today, calendar, eod)
    if res is None:
        return None
    value, grain, time_only = res
    if is_start and any(a.week_of for a in cl) and type(value) is date:
        value = _week_monday(value)  # "starting the first week of May": its Monday
    kind: SpanKind = "start" if is_start else "point"
    return TimeSpan(start_char, end_char, kind, value, grain, time_only=time_only)


# Words that can follow a date at the end of its clause ("for Friday with the team").
_CLAUSE_WORDS: Final = frozenset({
    "with", "and", "to", "so", "please", "pls", "for", "at", "in", "on", "by", "or", "if",
    "then", "but", "because", "when", "as", "latest", "thanks", "thx", "asap", "urgent",
    "high", "low", "medium", "priority", "p1", "p2", "p3", "p4", "est", "onwards", "onward",
    "from", "until", "till", "before", "after", "i", "we", "you", "it", "ok", "okay", "too",
    "also", "again", "every", "each", "next", "this", "am", "pm", "is", "are", "will", "should",
    "must", "can", "need", "needs", "sharp", "via", "into", "about", "of"})


def _modifies_next_word(sc: Scanner, j: int) -> bool:
    """Whether the expression ending before token j describes a following noun."""
    return sc.is_word(j) and sc.low[j] not in _CLAUSE_WORDS and sc.glued(j - 1) is False and \
        sc.low[j - 1] not in (",", ";", ".", ")")


def _trailing_words(sc: Scanner, j: int, is_start: bool) -> int:
    """Words after an expression that belong to it: "at the latest", "latest", and for a
    start "on"/"onwards" ("from next week on")."""
    w = sc.low[j] if j < sc.n else ""
    if w == "at" and j + 2 < sc.n and sc.low[j + 1] == "the" and sc.low[j + 2] == "latest":
        return j + 3
    if w == "latest" and (j + 1 >= sc.n or not sc.is_word(j + 1)):
        return j + 1
    if w == "or" and j + 1 < sc.n and sc.low[j + 1] in ("so", "two", "2", "three", "3") and \
            sc.low[j - 1] in ("day", "days", "week", "weeks", "hour", "hours", "month", "months",
                              "minutes", "min", "mins"):
        return j + 2  # "in a day or two", "in 2 weeks or so"
    if is_start and (w in ("onwards", "onward", "forward") or (
            w == "on" and (j + 1 >= sc.n or not sc.is_word(j + 1)))):
        return j + 1
    return j


def _periods_from_their_start(sc: Scanner, cl: list[Atom]) -> None:
    """ "starting next week" starts on its Monday, not its Friday: a period that begins
    something counts from its first day unless its end was asked for."""
    if any(a.wd is not None or a.day is not None for a in cl):
        return
    for a in cl:
        w = sc.low[a.ti + 1] if sc.low[a.ti] == "the" and a.tj > a.ti + 1 else sc.low[a.ti]
        if w in ("end", "eow", "eom", "eoq", "eoy", "late", "mid", "middle", "last", "close") \
                or "end" in sc.low[a.ti:a.tj]:
            continue
        if a.period is not None and a.period[2] == "end":
            a.period = (a.period[0], a.period[1], "start")
        if a.month is not None and a.medge == "end":
            a.medge = "start"
        if a.year is not None and a.month is None and a.medge == "end":
            a.medge = "start"


def _rescued(sc: Scanner, k0: int, ti: int) -> bool:
    if k0 < ti:
        return any(sc.low[t] in _RESCUE_CONNECTORS or sc.low[t] in START_CONNECTORS
                   for t in range(k0, ti))
    return ti > 0 and sc.low[ti - 1] in _RESCUE_CONNECTORS


def _resolve_point(cl: list[Atom], now: datetime, today: date, calendar: WorkCalendar,
                   eod: time) -> tuple[date | datetime, Grain, bool] | None:
    _year_or_clock(cl, today)
    tinfo = _time_of(cl, eod)
    if any(a.now_time for a in cl):
        tinfo = (now.hour, now.minute, 0, "minute")
        per = next((a.period for a in cl if a.period is not None), None)
        if per is not None and per[0] == "week" and len(cl) == 2:
            # "same time next week": a week from now, not that week's Friday
            return now + timedelta(weeks=per[1]), "minute", False
    d = _date_of(cl, now, today, calendar)
    if d is _INVALID:
        return None
    tz = now.tzinfo
    if isinstance(d, datetime):
        return d, "minute", False
    if isinstance(d, tuple):  # (date, grain)
        day, grain = d
        if tinfo is None:
            return day, grain, False
        h, mi, sec, tgrain = tinfo
        said_in = _stated_zone(cl)
        if said_in is not None:
            stated = datetime.combine(day, time(h, mi, sec), tzinfo=said_in)
            return stated.astimezone(tz), tgrain, False
        return datetime.combine(day, time(h, mi, sec), tzinfo=tz), tgrain, False
    if tinfo is None:
        if any(a.now for a in cl):
            return now, "minute", False
        return None
    h, mi, sec, tgrain = tinfo
    zone = _stated_zone(cl) or tz
    there = now.astimezone(zone).date()  # "9am PST": the next 9:00 on the clocks of PST
    cand = datetime.combine(there, time(h, mi, sec), tzinfo=zone)
    if cand <= now:
        cand = datetime.combine(there + timedelta(days=1), time(h, mi, sec), tzinfo=zone)
    return cand.astimezone(tz), tgrain, True


def _stated_zone(cl: list[Atom]) -> tzinfo | None:
    """The zone a time was said in: an ISO offset, "UTC+2", "PST" or "ET"."""
    for a in cl:
        if a.utc_offset is not None:
            return timezone(timedelta(minutes=a.utc_offset))
        if a.zone is not None:
            try:
                return ZoneInfo(a.zone)
            except (ZoneInfoNotFoundError, ValueError):  # pragma: no cover - no tz database
                return None
    return None


_INVALID = object()


def _year_or_clock(cl: list[Atom], today: date) -> None:
    """ "Thurs 2 Nov 2015" is 20:15 on the next 2 November only if that is a Thursday;
    otherwise the four digits are the year after all."""
    wd = next((a.wd for a in cl if a.wd is not None), None)
    for a in cl:
        if a.clock_year is None or a.ymd is None or wd is None:
            continue
        _, m, d = a.ymd
        nxt = _resolve_ymd(None, m, d, None, wd, None, today)
        if nxt is None or nxt.weekday() != wd:
            a.ymd, a.hm, a.clock_year = (a.clock_year, m, d), None, None
            a.slots = a.slots - {"hm"}


def _time_of(cl: list[Atom], eod: time) -> tuple[int, int, int, Grain] | None:
    hm_atom = next((a for a in cl if a.hm is not None), None)
    pod = next((a.pod for a in cl if a.pod is not None), None)
    says_eod = any(a.eod for a in cl)
    if hm_atom is not None and hm_atom.hm is not None:
        h, mi, sec = hm_atom.hm
        mer = hm_atom.mer
        if mer == "am":
            h = 0 if h == 12 else h
        elif mer == "pm":
            h = h if h == 12 else h + 12
        elif pod is not None and pod in _POD_HOURS:
            after_noon = _POD_HOURS[pod][1]
            if after_noon and h < 12 and not (pod in ("night", "tonight") and h == 12):
                if (pod in ("noon", "midday", "lunchtime", "lunch", "noonish") and h < 11) or pod not in ("noon", "midday", "lunchtime", "lunch", "noonish"):
                    h += 12
            elif after_noon is False and h == 12:
                h = 0
        elif not hm_atom.literal24 and 1 <= h <= 7:
            h += 12
        if h >= 24:
            h -= 12
        grain: Grain = "minute" if hm_atom.minutes_stated else "hour"
        return h, mi, sec, grain
    if says_eod:
        return eod.hour, eod.minute, 0, "minute" if eod.minute else "hour"
    if pod is not None and pod in _POD_HOURS:
        return _POD_HOURS[pod][0], 0, 0, "hour"
    return None


def _date_of(cl: list[Atom], now: datetime, today: date,
             calendar: WorkCalendar) -> object:
    """The date part → (date, grain), a datetime (sub-day offsets), None, or _INVALID."""
    wdir = next((a for a in cl if a.wd_dir is not None and a.wd is not None), None)
    if wdir is not None and wdir.wd is not None:
        # "Monday before Christmas", "the Friday after Dec 10"
        got = _date_of([a for a in cl if a is not wdir], now, today, calendar)
        if not isinstance(got, tuple):
            return got
        day0: date = got[0]
        if wdir.wd_dir == "before":
            return (day0 - timedelta(days=(day0.weekday() - wdir.wd - 1) % 7 + 1), "day")
        return (day0 + timedelta(days=(wdir.wd - day0.weekday() - 1) % 7 + 1), "day")
    off = next((a for a in cl if a.offset is not None), None)
    if off is not None and off.anchored:
        if off.rel is not None:
            base: date | None = today + timedelta(days=off.rel)
        else:
            rest = [a for a in cl if a is not off]
            got = _date_of(rest, now, today, calendar) if rest else None
            if not isinstance(got, tuple):
                return _INVALID if got is _INVALID else None
            base = got[0]
        assert base is not None
        moved = _apply_offset_date(base, off, calendar)
        wd_after = next((a for a in cl if a.wd is not None and a is not off), None)
        anchor_is_other = any(a is not off and a.wd is None for a in cl)
        if wd_after is not None and wd_after.wd is not None and wd_after.ti > off.ti and \
                (anchor_is_other or off.rel is not None):
            # "3 weeks after Christmas on Friday", "two months from today on Tuesday"
            moved = _weekday_in_offset(moved, wd_after.wd, off)
        return (moved, "day")
    hol = next((a for a in cl if a.hol is not None), None)
    if hol is not None and hol.hol is not None:
        hy = hol.year
        if hol.ymd_mod is not None:
            hy = today.year + {"this": 0, "next": 1, "last": -1}[hol.ymd_mod]
        hd = holiday_near(hol.hol, today, hol.wmod, hy)
        return _INVALID if hd is None else (hd, "day")
    ymd_atoms = [a for a in cl if a.ymd is not None]
    wd_atom = next((a for a in cl if a.wd is not None), None)
    period_atom = next((a for a in cl if a.period is not None or a.quarter is not None), None)
    year_atom = next((a for a in cl if a.year is not None and a.ymd is None), None)
    if ymd_atoms:
        a = ymd_atoms[0]
        assert a.ymd is not None
        y, m, dd = a.ymd
        if y is None and year_atom is not None and year_atom.year is not None:
            y = year_atom.year
        mod = _date_mod(cl, a)
        r = _resolve_ymd(y, m, dd, a.ymd_alt, wd_atom.wd if wd_atom else None, mod, today)
        if r is None:
            return _INVALID
        if a.week_of:
            return (_week_monday(r) + timedelta(days=4), "week")
        return (r, "day")
    day_atom = next((a for a in cl if a.day is not None), None)
    month_atom = next((a for a in cl if a.month is not None), None)
    if day_atom is not None and day_atom.day is not None:
        if month_atom is not None and month_atom.month is not None:
            y0 = year_atom.year if year_atom is not None else None
            r = _resolve_ymd(y0, month_atom.month, day_atom.day, None,
                             wd_atom.wd if wd_atom else None, None, today)
            return _INVALID if r is None else (r, "day")
        r2 = _resolve_day(day_atom.day, wd_atom.wd if wd_atom else None, period_atom, today)
        return _INVALID if r2 is None else (r2, "day")
    if wd_atom is not None and wd_atom.wd is not None:
        r3 = _resolve_weekday(wd_atom, period_atom, off, month_atom, cl, now, today, calendar)
        return _INVALID if r3 is None else (r3, "week" if wd_atom.week_of else "day")
    rel_atom = next((a for a in cl if a.rel is not None), None)
    if rel_atom is not None and rel_atom.rel is not None:
        return (today + timedelta(days=rel_atom.rel), "day")
    if period_atom is not None:
        return _resolve_period(period_atom, year_atom, today)
    if month_atom is not None and month_atom.month is not None:
        y1 = year_atom.year if year_atom is not None else None
        m = month_atom.month
        if y1 is None:
            y1 = today.year
            if m < today.month:
                y1 += 1
        return (_edge_of_month(y1, m, month_atom.medge), "month")
    if year_atom is not None and year_atom.year is not None:
        edge = year_atom.medge
        y2 = year_atom.year
        if edge == "start":
            return (date(y2, 1, 1), "year")
        if edge == "mid":
            return (date(y2, 6, 30), "year")
        return (date(y2, 12, 31), "year")
    if off is not None:
        return _apply_offset_now(off, now, today, calendar)
    return None


def _date_mod(cl: list[Atom], a: Atom) -> str | None:
    if a.ymd_mod is not None:
        return a.ymd_mod
    for x in cl:
        if x.wd is not None and x.wmod in ("this", "next"):
            return "this"
    return None


def _valid(y: int, m: int, d: int) -> date | None:
    if not (1 <= m <= 12 and 1 <= y <= 9999):
        return None
    if not 1 <= d <= _cal.monthrange(y, m)[1]:
        return None
    return date(y, m, d)


def _resolve_ymd(y: int | None, m: int, d: int, alt: tuple[int | None, int, int] | None,
                 wd: int | None, mod: str | None, today: date) -> date | None:
    if y is not None and y < 0:
        yy = -y - 1
        cand_y = today.year // 100 * 100 + yy
        if cand_y > today.year + 20:
            cand_y -= 100
        y = cand_y
    if alt is not None:
        # 6/8 could be June 8 or 6 August.  A weekday beside it picks the reading it matches;
        # otherwise month/day (US and Chinese use), unless that passed recently and
        # day/month is still ahead: a deadline is more likely ahead than just behind.
        prim = _resolve_ymd(y, m, d, None, None, mod, today)
        second = _resolve_ymd(y, alt[1], alt[2], None, None, mod, today)
        if prim is None or second is None:
            return prim or second
        if wd is not None:
            if prim.weekday() != wd and second.weekday() == wd:
                return second
            return prim
        if mod is None and y is None:
            # June 8 passed recently (next one is far off) while 6 August is ahead
            s0 = _valid(today.year, alt[1], alt[2])
            if (prim - today).days > 180 and s0 is not None and today <= s0 < prim:
                return s0
        elif mod is None and prim < today <= second:
            return second
        return prim
    if y is not None:
        return _valid(y, m, d)
    if mod == "this":
        return _valid(today.year, m, d)
    if mod == "next":
        return _valid(today.year + 1, m, d)
    this_year = _valid(today.year, m, d)
    if this_year is not None and this_year >= today:
        return this_year
    for k in range(1, 9):
        nxt = _valid(today.year + k, m, d)
        if nxt is not None:
            if wd is not None and this_year is not None and this_year.weekday() == wd and \
                    nxt.weekday() != wd:
                return this_year
            return nxt
    return None


def _resolve_day(d: int, wd: int | None, period: Atom | None, today: date) -> date | None:
    """A day of month alone ("the 3rd"), perhaps with a weekday or "of next month"."""
    if period is not None and period.period is not None and period.period[0] == "month":
        base = today.replace(day=1) + relativedelta(months=period.period[1])
        return _valid(base.year, base.month, d)
    start = today.replace(day=1)
    if wd is not None:
        for k in range(0, 24):
            b = start + relativedelta(months=k)
            c = _valid(b.year, b.month, d)
            if c is not None and c.weekday() == wd:
                return c
        return None
    for k in range(0, 13):
        b = start + relativedelta(months=k)
        c = _valid(b.year, b.month, d)
        if c is not None and c >= today:
            return c
    return None


def _week_monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _weekday_in_offset(base: date, wd: int, off: Atom) -> date:
    """The weekday an offset lands near: "in 2 weeks on Friday" is that week's Friday; "in two
    months on Tuesday" names no week, so it is the first Tuesday on or after the date."""
    assert off.offset is not None
    if off.offset.get("months") or off.offset.get("years"):
        return base + timedelta(days=(wd - base.weekday()) % 7)
    return _week_monday(base) + timedelta(days=wd)


def _resolve_weekday(a: Atom, period: Atom | None, off: Atom | None, month_atom: Atom | None,
                     cl: list[Atom], now: datetime, today: date,
                     calendar: WorkCalendar) -> date | None:
    wd = a.wd
    assert wd is not None
    if a.eod and a.wmod == "this":
        return _week_monday(today) + timedelta(days=wd)
    if period is not None and period.period is not None and period.period[0] in ("week",
                                                                                  "weekend"):
        monday = _week_monday(today) + timedelta(weeks=period.period[1])
        return monday + timedelta(days=wd)
    if off is not None and off.offset is not None:
        got = _apply_offset_now(off, now, today, calendar)
        base = got.date() if isinstance(got, datetime) else got[0] if isinstance(got, tuple) \
            else today
        return _weekday_in_offset(base, wd, off)
    if a.nth is not None:
        if month_atom is not None and month_atom.month is not None:
            y = today.year if month_atom.month >= today.month else today.year + 1
            if month_atom.year is not None:
                y = month_atom.year
            first = date(y, month_atom.month, 1)
        elif period is not None and period.period is not None and period.period[0] == "month":
            first = today.replace(day=1) + relativedelta(months=period.period[1])
        else:
            first = today.replace(day=1)
        if a.nth < 0:
            last = _edge_of_month(first.year, first.month, "end")
            return last - timedelta(days=(last.weekday() - wd) % 7)
        delta = (wd - first.weekday()) % 7
        c = first + timedelta(days=delta + 7 * (a.nth - 1))
        return c if c.month == first.month else None
    nearest = today + timedelta(days=(wd - today.weekday() - 1) % 7 + 1)
    if a.count_wd is not None:
        return nearest + timedelta(weeks=a.count_wd - 1)
    mod = a.wmod
    if mod == "after_next":
        return nearest + timedelta(days=7)
    if mod == "following":
        return _week_monday(today) + timedelta(days=7 + wd)
    if mod == "last":
        return _week_monday(today) - timedelta(days=7) + timedelta(days=wd)
    if mod == "past":
        return today - timedelta(days=(today.weekday() - wd - 1) % 7 + 1)
    return nearest


def _resolve_period(a: Atom, year_atom: Atom | None, today: date) -> tuple[date, Grain]:
    if a.quarter is not None:
        y = year_atom.year if year_atom is not None and year_atom.year is not None else (
            a.year if a.year is not None else today.year)
        q = a.quarter
        if a.year is None and (year_atom is None) and q * 3 < today.month:
            y += 1
        end_m = q * 3
        return date(y, end_m, _cal.monthrange(y, end_m)[1]), "quarter"
    assert a.period is not None
    unit, shift, edge = a.period
    if unit == "week":
        monday = _week_monday(today) + timedelta(weeks=shift)
        if edge == "start":
            return monday, "week"
        if edge == "mid":
            return monday + timedelta(days=2), "week"
        return monday + timedelta(days=4), "week"
    if unit == "weekend":
        if shift == 0:
            sat = today + timedelta(days=(5 - today.weekday()) % 7)
            if today.weekday() == 6:
                sat = today + timedelta(days=6)
            return sat, "day"
        return _week_monday(today) + timedelta(weeks=shift, days=5), "day"
    if unit == "month":
        first = today.replace(day=1) + relativedelta(months=shift)
        if edge == "start":
            if shift == 0:
                # "beginning of the month" as a deadline: the 1st of next month
                first = first + relativedelta(months=1) if today.day > 1 else first
            return first, "month"
        if edge == "mid":
            mid = first.replace(day=15)
            if shift == 0 and mid < today:
                mid = mid + relativedelta(months=1)
            return mid, "month"
        return _edge_of_month(first.year, first.month, "end"), "month"
    if unit == "quarter":
        q0 = (today.month - 1) // 3
        first = date(today.year, q0 * 3 + 1, 1) + relativedelta(months=3 * shift)
        if edge == "start":
            return first, "quarter"
        last = first + relativedelta(months=2)
        return _edge_of_month(last.year, last.month, "end"), "quarter"
    y = today.year + shift
    if edge == "start":
        return date(y, 1, 1), "year"
    if edge == "mid":
        return date(y, 6, 30), "year"
    return date(y, 12, 31), "year"


def _edge_of_month(y: int, m: int, edge: str) -> date:
    if edge == "start":
        return date(y, m, 1)
    if edge == "mid":
        return date(y, m, 15)
    return date(y, m, _cal.monthrange(y, m)[1])


def _split(off: Atom) -> tuple[relativedelta, timedelta, int]:
    assert off.offset is not None
    sign = off.offset_sign
    years = off.offset.get("years", 0.0)
    months = off.offset.get("months", 0.0)
    rd = relativedelta(years=sign * int(years), months=sign * int(months))
    frac_days = (years - int(years)) * 365 + (months - int(months)) * 30
    td = timedelta(weeks=off.offset.get("weeks", 0.0), days=off.offset.get("days", 0.0)
                   + frac_days, hours=off.offset.get("hours", 0.0),
                   minutes=off.offset.get("minutes", 0.0),
                   seconds=off.offset.get("seconds", 0.0))
    return rd, sign * td, sign * int(off.offset.get("workdays", 0.0))


def _apply_offset_date(base: date, off: Atom, calendar: WorkCalendar) -> date:
    rd, td, wdays = _split(off)
    d = base + rd
    d = (datetime.combine(d, time(12)) + td).date() if td else d
    if wdays:
        d = add_workdays(calendar, d, wdays)
    return d


def _apply_offset_now(off: Atom, now: datetime, today: date,
                      calendar: WorkCalendar) -> datetime | tuple[date, Grain]:
    rd, td, wdays = _split(off)
    if _has_subday(off):
        # hours and minutes are elapsed time: count them in UTC so a DST change is honoured
        return ((now + rd).astimezone(UTC) + td).astimezone(now.tzinfo)
    d = (now + rd + td).date()
    if wdays:
        d = add_workdays(calendar, d, wdays)
    return d, "day"


def _first_occurrence(rec: Rec, cl: list[Atom], now: datetime, eod: time
                      ) -> tuple[date | datetime | None, Grain]:
    tinfo = _time_of(cl, eod)
    today = now.date()
    tz = now.tzinfo

    def ok(day: date) -> bool:
        if tinfo is None:
            return True
        return datetime.combine(day, time(tinfo[0], tinfo[1], tinfo[2]), tzinfo=tz) > now

    found: date | None = None
    for k in range(0, 800):
        day = today + timedelta(days=k)
        if rec.byday and day.weekday() not in rec.byday:
            continue
        if rec.bymonth is not None and day.month != rec.bymonth:
            continue
        if rec.byday_n is not None:
            last_day = _cal.monthrange(day.year, day.month)[1]
            n = (day.day - 1) // 7 + 1 if rec.byday_n > 0 else -((last_day - day.day) // 7 + 1)
            if n != rec.byday_n:
                continue
        if rec.bymonthday is not None:
            last = _cal.monthrange(day.year, day.month)[1]
            want = last if rec.bymonthday == -1 else rec.bymonthday
            if day.day != want:
                continue
        if ok(day):
            found = day
            break
    if found is None:
        return None, "day"
    if tinfo is None:
        return found, "day"
    return datetime.combine(found, time(tinfo[0], tinfo[1], tinfo[2]), tzinfo=tz), tinfo[3]


__all__ = ["PARTS_OF_DAY", "find_times_en"]
