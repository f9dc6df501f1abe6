"""Token-level grammar for English date/time expressions: finds *atoms* in a message.

An atom is one self-contained piece ("next Friday", "5pm", "in 3 days", "every Monday", "the
3rd", "Jan 4 2019"), holding the slots it states but not yet resolved against a clock.
`core.nlp.time_en` groups adjacent atoms into one expression and resolves it.

The scanner walks the tokens once, left to right; at each token it tries only the matchers that
token can start (a dispatch table keyed by the token), keeps the longest match and jumps past it.
Every matcher looks ahead a bounded number of tokens, so the scan is linear in the message.
"""

from __future__ import annotations

import calendar as _cal
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final

from core.nlp.en_holidays import HOLIDAY_FIRST_WORDS, HOLIDAYS, MAX_HOLIDAY_TOKENS
from core.nlp.en_lex import (
    GLUE_PUNCT,
    GLUE_WORDS,
    MONTHS,
    ORDINAL_SUFFIXES,
    ORDINAL_TENS,
    ORDINAL_UNITS,
    PARTS_OF_DAY,
    RRULE_DAY,
    TENS_WORDS,
    TOKEN_RE,
    UNITS,
    UNITS_WORDS,
    WEAK_WEEKDAYS,
    WEEKDAYS,
    WORKDAY_ADJ,
    ZONES,
)
from core.nlp.text import has_cjk

# Offsets: field name → amount (floats allowed for "2.5 hours").
Duration = dict[str, float]


@dataclass(slots=True)
class Rec:
    """A recurrence as stated: frequency, interval and the BY* parts of its RRULE."""

    freq: str
    interval: int = 1
    byday: tuple[int, ...] = ()
    bymonthday: int | None = None
    byday_n: int | None = None  # "first Monday of the month" → 1, "last Friday" → -1
    bymonth: int | None = None

    def rrule(self) -> str:
        """RFC 5545 RRULE text, parts in the order FREQ, INTERVAL, BYMONTH, BYDAY, BYMONTHDAY."""
        parts = [f"FREQ={self.freq}"]
        if self.interval > 1:
            parts.append(f"INTERVAL={self.interval}")
        if self.bymonth is not None:
            parts.append(f"BYMONTH={self.bymonth}")
        if self.byday:
            prefix = "" if self.byday_n is None else str(self.byday_n)
            parts.append("BYDAY=" + ",".join(prefix + RRULE_DAY[d] for d in self.byday))
        if self.bymonthday is not None:
            parts.append(f"BYMONTHDAY={self.bymonthday}")
        return ";".join(parts)


@dataclass(slots=True)
class Atom:
    """One piece of an expression with the slots it fills; see the module docstring."""

    ti: int  # first token
    tj: int  # one past the last token
    ymd: tuple[int | None, int, int] | None = None  # (year or None, month, day)
    ymd_alt: tuple[int | None, int, int] | None = None  # day/month swapped reading
    ymd_mod: str | None = None  # "this" / "next" in front of a bare date
    day: int | None = None  # day of month alone ("the 3rd")
    wd: int | None = None  # weekday 0=Monday
    wmod: str | None = None  # this/next/last/past/following/after_next
    nth: int | None = None  # "second Saturday" (of the month) → 2
    count_wd: int | None = None  # "two Sundays from now" → 2
    rel: int | None = None  # days from today ("tomorrow" → 1)
    period: tuple[str, int, str] | None = None  # (week|month|quarter|year|weekend, shift, edge)
    quarter: int | None = None  # "Q3"
    year: int | None = None
    month: int | None = None  # a month named alone ("in May")
    medge: str = "end"  # which day of a lone month/year: start/mid/end
    offset: Duration | None = None
    offset_sign: int = 1
    anchored: bool = False  # "3 days after <date>": waits for a date in the same expression
    anchor_word: str | None = None  # the word before that date: after / before / from / since
    soft_anchor: bool = False  # "in 2 weeks from Monday": counts from now if no date follows
    hm: tuple[int, int, int] | None = None  # hour, minute, second as written
    mer: str | None = None  # "am" / "pm"
    minutes_stated: bool = False
    literal24: bool = False  # "07:00", "0720": an hour that is not moved by the 1-7 rule
    pod: str | None = None  # part of day
    eod: bool = False
    now: bool = False
    now_time: bool = False  # "this time tomorrow": the clock time of now
    rec: Rec | None = None
    hol: tuple[str, ...] | None = None  # a named day ("christmas"), resolved with wmod/year
    adjective: bool = False  # "weekly report": a frequency word used before a noun
    utc_offset: int | None = None  # minutes east of UTC written after an ISO time or a zone
    zone: str | None = None  # IANA zone named after a time ("10am ET")
    week_of: bool = False  # "the first week of May", "the week of Dec 7": ends on its Friday
    clock_year: int | None = None  # "Thurs 2 Nov 2015": hm read from a year, if the day fits
    wd_dir: str | None = None  # "Monday before Christmas": the weekday before/after a date
    weak: bool = False
    slots: frozenset[str] = field(default_factory=frozenset)


def _slots(a: Atom) -> frozenset[str]:
    names = []
    if a.ymd is not None or a.hol is not None:
        names.append("ymd")
    if a.day is not None:
        names.append("day")
    if a.wd is not None:
        names.append("wd")
    if a.rel is not None:
        names.append("rel")
    if a.period is not None or a.quarter is not None:
        names.append("period")
    if a.year is not None:
        names.append("year")
    if a.month is not None:
        names.append("month")
    if a.offset is not None:
        names.append("offset")
    if a.hm is not None:
        names.append("hm")
    if a.pod is not None or a.eod:
        names.append("pod")
    if a.now:
        names.append("now")
    if a.now_time:
        names.append("hm")
    if a.rec is not None:
        names.append("rec")
    return frozenset(names)


_MERIDIEM: Final = {"am": "am", "pm": "pm", "a": "am", "p": "pm"}
_WMODS: Final = {"this": "this", "next": "next", "last": "last", "previous": "last",
                 "prev": "last", "past": "past", "coming": "this", "upcoming": "this",
                 "following": "following"}
_PERIOD_UNITS: Final = {"week": "week", "wk": "week", "month": "month", "quarter": "quarter",
                        "qtr": "quarter", "year": "year", "weekend": "weekend", "yr": "year"}
_PERIOD_SHIFT: Final = {"this": 0, "current": 0, "next": 1, "following": 1, "coming": 1,
                        "upcoming": 1,
                        "last": -1, "previous": -1, "prev": -1, "past": -1}
_EDGE_WORDS: Final = {"end": "end", "beginning": "start", "start": "start", "middle": "mid",
                      "mid": "mid", "early": "start", "late": "end", "close": "end"}
_TODAY_WORDS: Final = {"today": 0, "tod": 0, "tomorrow": 1, "tmrw": 1, "tmr": 1, "tmw": 1,
                       "tomorow": 1, "tommorow": 1, "tommorrow": 1, "yesterday": -1,
                       "yday": -1, "otd": 0, "overmorrow": 2}
_QUANT_WORDS: Final = {"a": 1.0, "an": 1.0, "one": 1.0, "few": 3.0, "couple": 2.0,
                       "several": 3.0}
_HEDGES: Final = frozenset({"about", "around", "approximately", "approx", "roughly", "just",
                            "less", "more", "than", "under", "over", "nearly", "almost",
                            "only", "like"})
_HOUR_CONTEXT: Final = frozenset({"at", "around", "@", "approximately", "approx", "about",
                                  "circa", "by", "until", "till", "til", "before", "from",
                                  "after", "ca"})
_FREQ_WORDS: Final = {"daily": ("DAILY", 1), "weekly": ("WEEKLY", 1),
                      "monthly": ("MONTHLY", 1), "yearly": ("YEARLY", 1),
                      "annually": ("YEARLY", 1), "hourly": ("HOURLY", 1),
                      "biweekly": ("WEEKLY", 2), "fortnightly": ("WEEKLY", 2),
                      "bimonthly": ("MONTHLY", 2), "quarterly": ("MONTHLY", 3),
                      "nightly": ("DAILY", 1)}
_FREQ_UNITS: Final = {"day": "DAILY", "days": "DAILY", "week": "WEEKLY", "weeks": "WEEKLY",
                      "month": "MONTHLY", "months": "MONTHLY", "year": "YEARLY",
                      "years": "YEARLY", "hour": "HOURLY", "hours": "HOURLY",
                      "quarter": "MONTHLY", "quarters": "MONTHLY", "fortnight": "WEEKLY",
                      "night": "DAILY", "morning": "DAILY", "evening": "DAILY",
                      "afternoon": "DAILY"}
# Words after "weekly"/"daily" that keep it a recurrence rather than an adjective.
_REC_FOLLOWERS: Final = frozenset({"on", "at", "by", "from", "starting", "until", "till", "in",
                                   "and", "or", "before", "after", "around", "basis", "please",
                                   "pls", "for", "every", "each", "this", "next", "tomorrow",
                                   "today", "tonight", "noon", "midnight", "morning",
                                   "afternoon", "evening"})
# Words before a dotted day.month that keep it a date ("on 16.12", "Tuesday 12.09").
_DATE_LEAD_WORDS: Final = (frozenset(GLUE_WORDS) | frozenset(WEEKDAYS)
                           | frozenset({"today", "tomorrow", "until", "till", "due", "since",
                                        "this", "next", "starting", "from", "deadline",
                                        "earlier", "early", "later", "date"}))
# Words that may follow a bare hour ("at 5 tomorrow", "around 7 with the team").
_BARE_HOUR_FOLLOWERS: Final = (frozenset(PARTS_OF_DAY) | frozenset(WEEKDAYS) | frozenset(MONTHS)
                               | frozenset({"today", "tomorrow", "tonight", "tmrw", "on", "this",
                                            "next", "in", "at", "and", "or", "to", "please",
                                            "pls", "sharp", "latest", "the", "eod", "o",
                                            "oclock", "every", "each", "with", "for", "then",
                                            "so", "if", "ok", "okay", "thanks", "thx", "local", "est", "pst", "cet", "utc", "gmt", "pt",
                                            "et", "ct", "mt", "bst", "cst", "edt", "pdt",
                                            "our", "my", "your", "their", "time", "via", "by",
                                            "until", "before", "after", "we", "i", "you",
                                            "they", "he", "she", "it", "let", "lets", "ish"}))
# Words after a number that make it a count of things, not a day or an hour.
_NOT_TIME_AFTER: Final = frozenset(UNITS) | frozenset({"people", "person", "persons", "times",
                                                       "items", "bugs", "tasks", "issues",
                                                       "points", "percent", "users", "files",
                                                       "pages", "tickets", "of", "x"})
# Words that may follow "the 3rd" and still leave it a date.
_DAY_FOLLOWERS: Final = (frozenset(GLUE_WORDS) | frozenset(MONTHS) | frozenset(WEEKDAYS)
                         | frozenset(PARTS_OF_DAY)
                         | frozenset({"and", "or", "to", "please", "pls", "then", "next",
                                      "this", "day", "so", "if", "instead", "latest", "eod",
                                      "cob", "p", "a", "am", "pm", "is", "would",
                                      "will", "works", "that", "we", "i", "you", "ok",
                                      "morning", "early", "late", "sharp", "too"}))


class Scanner:
    """Tokenizes one message and collects its atoms (see `scan`)."""

    __slots__ = ("atoms", "en", "isnum", "low", "month_first", "n", "raw", "st", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        # Chinese writes numeric dates year-month-day: in a message with Chinese in it
        # "12.05" is 5 December, never 12 May.
        self.month_first = has_cjk(text)
        raw: list[str] = []
        st: list[int] = []
        en: list[int] = []
        for m in TOKEN_RE.finditer(text):
            raw.append(m.group())
            st.append(m.start())
            en.append(m.end())
        self.raw = raw
        self.low = [t.lower() for t in raw]
        self.st = st
        self.en = en
        self.isnum = [t.isascii() and t.isdigit() for t in raw]
        self.n = len(raw)
        self.atoms: list[Atom] = []

    # ----------------------------------------------------------------- token helpers
    def tok(self, i: int) -> str:
        """Lower-cased token i, or "" past the end."""
        return self.low[i] if 0 <= i < self.n else ""

    def glued(self, i: int) -> bool:
        """True when token i touches token i+1 (no space between)."""
        return i + 1 < self.n and self.en[i] == self.st[i + 1]

    def num(self, i: int) -> int | None:
        """Integer value of digit token i."""
        if 0 <= i < self.n and self.isnum[i] and len(self.raw[i]) <= 9:
            return int(self.raw[i])
        return None

    def is_word(self, i: int) -> bool:
        """True when token i is a run of letters."""
        return 0 <= i < self.n and self.raw[i][0].isalpha()

    def boundary(self, j: int) -> bool:
        """True when nothing word-like follows at token j (end, or punctuation)."""
        return j >= self.n or not (self.isnum[j] or self.raw[j][0].isalpha())

    def number_start_ok(self, i: int) -> bool:
        """A number can start an expression unless it is glued inside something bigger.

        Rules out "v2.3", "WEB-12", "#12", "1.2.3" continuations and "$5".
        """
        if i == 0:
            return True
        if self.st[i] != self.en[i - 1]:
            return True
        prev = self.raw[i - 1]
        if prev[0].isascii() and prev[0].isalpha():
            return False
        if prev in "#$€£¥%+_":
            return False
        if prev in ".,/:-" and i >= 2 and self.en[i - 2] == self.st[i - 1]:
            p2 = self.raw[i - 2]
            if p2[0].isalnum():
                return False
        return True

    def number_end_ok(self, j: int) -> bool:
        """The number that ends before token j is not glued to letters or more digits."""
        if j >= self.n or self.st[j] != self.en[j - 1]:
            return True
        nxt = self.raw[j]
        if nxt[0].isalpha() or nxt[0].isdigit():
            return False
        if nxt in "%$€£_" :
            return False
        if nxt in ("–", "—"):
            return False  # "16–60": a range of numbers
        return not (nxt in ".,/:-" and j + 1 < self.n and self.st[j + 1] == self.en[j]
                    and self.raw[j + 1][0].isalnum())

    def prev_atom(self, i: int) -> Atom | None:
        """The last atom found, if only glue separates it from token i."""
        if not self.atoms:
            return None
        a = self.atoms[-1]
        k = a.tj
        if i - k > 3:
            return None
        for t in range(k, i):
            w = self.low[t]
            if w not in GLUE_WORDS and w not in GLUE_PUNCT:
                return None
        return a

    # ----------------------------------------------------------------- shared parsers
    def meridiem(self, i: int) -> tuple[int, str] | None:
        """Parse am/pm forms at i: am, pm, a.m., p.m, "a m", "p . m .", glued a/p."""
        w = self.tok(i)
        if w in ("am", "pm"):
            j = i + 1
            if self.tok(j) == "." and self.glued(i):
                j += 1
            return j, w
        if w in ("a", "p"):
            # "a.m." / "a . m ." / "a m" / glued "9a"
            j = i + 1
            if self.tok(j) == ".":
                j += 1
            if self.tok(j) == "m":
                j += 1
                if self.tok(j) == ".":
                    j += 1
                return j, _MERIDIEM[w]
            if i > 0 and self.st[i] == self.en[i - 1] and self.isnum[i - 1]:
                return i + 1, _MERIDIEM[w]
            return None
        return None

    def word_number(self, i: int, limit: int = 99) -> tuple[int, int] | None:
        """Cardinal number words at i: "seven", "twenty one", "twenty-one" → (j, value)."""
        w = self.tok(i)
        if w in TENS_WORDS:
            j = i + 1
            if self.tok(j) == "-" and self.glued(i):
                j += 1
            u = self.tok(j)
            if u in UNITS_WORDS and 1 <= UNITS_WORDS[u] <= 9:
                v = TENS_WORDS[w] + UNITS_WORDS[u]
                return (j + 1, v) if v <= limit else None
            v = TENS_WORDS[w]
            return (i + 1, v) if v <= limit else None
        if w in UNITS_WORDS and w != "oh":
            v = UNITS_WORDS[w]
            return (i + 1, v) if v <= limit else None
        return None

    def ordinal_word(self, i: int) -> tuple[int, int] | None:
        """Ordinal words at i: "third", "twenty first", "twenty-first", "thirtieth"."""
        w = self.tok(i)
        if w in ORDINAL_UNITS:
            return i + 1, ORDINAL_UNITS[w]
        if w in ORDINAL_TENS:
            return i + 1, ORDINAL_TENS[w]
        if w in TENS_WORDS:
            j = i + 1
            if self.tok(j) == "-":
                j += 1
            u = self.tok(j)
            if u in ORDINAL_UNITS and ORDINAL_UNITS[u] <= 9:
                return j + 1, TENS_WORDS[w] + ORDINAL_UNITS[u]
        return None

    def day_number(self, i: int, words: bool = False,
                   inner: bool = False) -> tuple[int, int, bool] | None:
        """A day of month at i → (j, day, ordinal?): "3", "3rd", "04th", "third", "twenty one".

        `inner`: the number continues a date already begun ("Oct/2", "Dec31", "Sep-23").
        """
        if self.isnum[i] if i < self.n else False:
            raw = self.raw[i]
            if len(raw) > 2 or not (inner or self.number_start_ok(i)):
                return None
            d = int(raw)
            if not 1 <= d <= 31:
                return None
            j = i + 1
            suf = self.tok(j)
            if suf in ORDINAL_SUFFIXES and (self.glued(i) or suf == "th"):
                return j + 1, d, True
            if not self.number_end_ok(j) and self.tok(j) not in (".", ",", "/", "-", "("):
                return None
            return j, d, False
        r = self.ordinal_word(i)
        if r is not None and 1 <= r[1] <= 31:
            return r[0], r[1], True
        if words:
            c = self.word_number(i, 31)
            if c is not None and c[1] >= 1:
                return c[0], c[1], False
        return None

    def year_words(self, i: int) -> tuple[int, int] | None:
        """Years in words: "nineteen seventy eight", "two thousand and eighteen",
        "nineteen hundred ninety three", "nineteen zero one", "twenty twenty"."""
        w = self.tok(i)
        if w == "two" and self.tok(i + 1) == "thousand":
            j = i + 2
            if self.tok(j) == "and":
                j += 1
            r = self.word_number(j)
            if r is not None:
                return r[0], 2000 + r[1]
            return i + 2, 2000
        head = UNITS_WORDS.get(w) if w in UNITS_WORDS else TENS_WORDS.get(w)
        if head is None or not 10 <= head <= 99:
            r0 = self.word_number(i)
            if r0 is None or not 10 <= r0[1] <= 99:
                return None
            j, head = r0
        else:
            r0 = self.word_number(i)
            if r0 is None:
                return None
            j, head = r0
        if not 10 <= head <= 29:
            return None
        if self.tok(j) == "hundred":
            j += 1
            if self.tok(j) == "and":
                j += 1
            r = self.word_number(j)
            if r is None:
                return j, head * 100
            return r[0], head * 100 + r[1]
        if self.tok(j) in ("zero", "oh", "o"):
            r = self.word_number(j + 1, 9)
            if r is None:
                return None
            return r[0], head * 100 + r[1]
        r = self.word_number(j)
        if r is None or r[1] < 10:
            return None
        return r[0], head * 100 + r[1]

    def month_word(self, i: int) -> tuple[int, int] | None:
        """A month name at i (with an optional abbreviation dot) → (j, month)."""
        w = self.tok(i)
        m = MONTHS.get(w)
        if m is None:
            return None
        j = i + 1
        if self.tok(j) == "." and self.glued(i) and (len(w) <= 4 or w == "sept") and \
                not self.boundary(j + 1):
            j += 1  # "Dec. 12" — but a sentence-ending "December." keeps its dot
        return j, m

    def year_digits(self, i: int, two_ok: bool) -> tuple[int, int] | None:
        """A written year at i: four digits 1000-2999, or two digits when `two_ok`."""
        if i >= self.n or not self.isnum[i]:
            return None
        raw = self.raw[i]
        if len(raw) == 4:
            y = int(raw)
            if 1000 <= y <= 2999 and self.number_end_ok(i + 1):
                return i + 1, y
            return None
        if two_ok and len(raw) == 2 and self.number_end_ok(i + 1):
            return i + 1, -int(raw) - 1  # marker: two-digit year, widened later
        return None

    def duration(self, i: int) -> tuple[int, Duration] | None:
        """COUNT UNIT [(,|and) COUNT UNIT]*: "2 weeks and 2 days", "1 year, 09 months"."""
        total: Duration = {}
        j = i
        end = -1
        while True:
            r = self._one_duration(j)
            if r is None:
                break
            j2, fieldname, amount = r
            if fieldname in total:
                break
            total[fieldname] = amount
            end = j2
            j = j2
            # separators
            if self.tok(j) == ",":
                j += 1
            if self.tok(j) == "and":
                j += 1
        if end < 0:
            return None
        return end, total

    def _one_duration(self, i: int) -> tuple[int, str, float] | None:
        w = self.tok(i)
        amount: float | None = None
        j = i
        if i < self.n and self.isnum[i]:
            if not self.number_start_ok(i) and not (i > 0 and self.low[i - 1] == ","):
                return None
            raw = self.raw[i]
            if len(raw) > 6:
                return None
            amount = float(int(raw))
            j = i + 1
            # decimals: "2.5", "0,5", "10.75"
            if (self.tok(j) in (".", ",") and self.glued(i) and j + 1 < self.n
                    and self.isnum[j + 1] and self.glued(j) and len(self.raw[j + 1]) <= 3):
                amount = float(f"{raw}.{self.raw[j + 1]}")
                j += 2
        elif w == "half":
            if self.tok(i + 1) in ("an", "a"):
                amount = 0.5
                j = i + 2
        elif w in ("a", "quarter") and (w == "quarter" or self.tok(i + 1) == "quarter"):
            j = i + 1 if w == "quarter" else i + 2
            if self.tok(j) == "of" and self.tok(j + 1) in ("an", "a"):
                j += 2
            amount = 0.25
        elif w == "three" and self.tok(i + 1) == "-" and self.tok(i + 2) == "quarters" and \
                self.tok(i + 3) == "of" and self.tok(i + 4) in ("an", "a"):
            amount, j = 0.75, i + 5
        elif w in ("a", "an") and self.tok(i + 1) in ("few", "couple"):
            amount = _QUANT_WORDS[self.tok(i + 1)]
            j = i + 2
            if self.tok(j) == "of":
                j += 1
        elif w in _QUANT_WORDS:
            amount = _QUANT_WORDS[w]
            j = i + 1
            if w == "couple" and self.tok(j) == "of":
                j += 1
            if w == "one" and self.tok(j) == "and" and self.tok(j + 1) == "a" \
                    and self.tok(j + 2) == "half":
                amount = 1.5
                j += 3
        else:
            r = self.word_number(i)
            if r is not None:
                j, v = r
                amount = float(v)
        if amount is None:
            return None
        if self._and_a_half(j):
            amount += 0.5  # "2 and a half hours"
            j += 3
        if self.tok(j) in ("more", "additional", "extra", "further", "full", "whole"):
            j += 1  # "in 2 more minutes"
        u = self.tok(j)
        if u in WORKDAY_ADJ and self.tok(j + 1) in ("day", "days"):
            return j + 2, "workdays", amount
        if u not in UNITS:
            return None
        if len(u) == 1 and not (j > 0 and self.st[j] == self.en[j - 1]):
            return None  # a lone letter is a unit only glued to its number: "2h", "3d"
        fieldname, mult = UNITS[u]
        if self._and_a_half(j + 1):
            return j + 4, fieldname, (amount + 0.5) * mult  # "an hour and a half"
        return j + 1, fieldname, amount * mult

    def _and_a_half(self, j: int) -> bool:
        return self.tok(j) == "and" and self.tok(j + 1) in ("a", "one") and \
            self.tok(j + 2) == "half"

    # ----------------------------------------------------------------- scanning
    def scan(self) -> list[Atom]:
        """Find every atom in the message, left to right, longest match first."""
        i = 0
        n = self.n
        low = self.low
        while i < n:
            w = low[i]
            matchers = _NUM_MATCHERS if self.isnum[i] else _WORD_DISPATCH.get(w, ())
            best: Atom | None = None
            for fn in matchers:
                a = fn(self, i)
                if a is not None and (best is None or a.tj > best.tj):
                    best = a
            if best is not None:
                if (best.hm is not None or best.pod in ("noon", "midday", "midnight")) and \
                        best.utc_offset is None:
                    _zone_after(self, best)
                best.slots = _slots(best)
                self.atoms.append(best)
                i = best.tj
            else:
                i += 1
        return self.atoms


# ====================================================================== matchers
# Each matcher takes (scanner, i) and returns an Atom starting at token i, or None.

def _week_said_alone(s: Scanner, j: int) -> bool:
    """ "Monday week", "tomorrow week": "week" ends the phrase (not "Monday week planning")."""
    return s.boundary(j) or s.low[j] in ("at", "on", "by", "in", "please", "pls", "and", "or",
                                         "then", "morning", "afternoon", "evening", "night")


def _m_relday(s: Scanner, i: int) -> Atom | None:
    w = s.tok(i)
    if w in _TODAY_WORDS:
        a = Atom(i, i + 1, rel=_TODAY_WORDS[w])
        if w in ("tod", "otd") and not s.boundary(i + 1):
            return None
        if w in ("today", "tomorrow", "tmrw", "tmr") and s.tok(i + 1) == "week" and \
                _week_said_alone(s, i + 2):
            a.rel, a.tj = _TODAY_WORDS[w] + 7, i + 2  # "tomorrow week" (British)
        return a
    if w in ("tonight", "tonite"):
        return Atom(i, i + 1, rel=0, pod="tonight")
    if w == "2moro":
        return Atom(i, i + 1, rel=1)
    j = i
    if w == "the":
        j += 1
    if s.tok(j) == "day" and s.tok(j + 1) in ("after", "before"):
        after = s.tok(j + 1) == "after"
        nxt = s.tok(j + 2)
        if nxt in _TODAY_WORDS and _TODAY_WORDS[nxt] != 0:
            base = _TODAY_WORDS[nxt]
            return Atom(i, j + 3, rel=base + (1 if after else -1))
        if nxt in ("today",):
            return Atom(i, j + 3, rel=1 if after else -1)
        if w == "the" and s.boundary(j + 2):
            return Atom(i, j + 2, rel=1 if after else -1)
        # "the day before Dec 10": a day from the date that follows, if one does
        return Atom(i, j + 2, offset={"days": 1.0}, offset_sign=1 if after else -1,
                    anchored=True, anchor_word=s.tok(j + 1), soft_anchor=True)
    if w in ("the", "next") and s.tok(j) in ("next", "following") and s.tok(j + 1) == "day":
        return Atom(i, j + 2, rel=1)
    if w == "next" and s.tok(i + 1) == "day":
        return Atom(i, i + 2, rel=1)
    if w == "this" and s.tok(i + 1) in ("morning", "afternoon", "evening", "night"):
        return Atom(i, i + 2, rel=0, pod=s.tok(i + 1))
    if w == "this" and s.tok(i + 1) == "day" and s.boundary(i + 2):
        return Atom(i, i + 2, rel=0)
    if w == "last" and s.tok(i + 1) == "night":
        return Atom(i, i + 2, rel=-1, pod="night")
    if w in ("right", "just") and s.tok(i + 1) == "now":
        return Atom(i, i + 2, now=True)
    if w in ("this", "same", "the") and s.tok(i + 1) in ("time", "same"):
        k = i + 1 if w != "the" else i + 2
        if s.tok(k) == "time" and (w != "the" or s.tok(i + 1) == "same"):
            # "this time tomorrow", "same time next week"; alone it is prose ("this time we...")
            return Atom(i, k + 1, now_time=True, weak=True)
    if w == "later" and s.tok(i + 1) in ("today", "tonight"):
        return Atom(i, i + 2, rel=0, pod="tonight" if s.tok(i + 1) == "tonight" else None)
    if w == "first" and s.tok(i + 1) == "thing":
        k = i + 2
        if s.tok(k) == "in" and s.tok(k + 1) == "the" and s.tok(k + 2) == "morning":
            k += 3
        return Atom(i, k, pod="morning")
    return None


def _m_eod(s: Scanner, i: int) -> Atom | None:
    w = s.tok(i)
    if w in ("eod", "cob", "eob", "eodt"):
        return Atom(i, i + 1, eod=True)
    j = i
    if w == "the":
        j += 1
    if s.tok(j) == "close" and s.tok(j + 1) == "of" and s.tok(j + 2) in ("business", "play"):
        return Atom(i, j + 3, eod=True)
    if s.tok(j) == "end" and s.tok(j + 1) == "of":
        k = j + 2
        if s.tok(k) in ("the", "this"):
            k += 1
        t = s.tok(k)
        if t in ("day", "business", "workday"):
            if t == "business" and s.tok(k + 1) == "day":
                k += 1
            return Atom(i, k + 1, eod=True)
        if t in ("work", "working") and s.tok(k + 1) == "day":
            return Atom(i, k + 2, eod=True)
        if t in _TODAY_WORDS:
            return Atom(i, k + 1, eod=True, rel=_TODAY_WORDS[t])
        if (t in WEEKDAYS and t not in WEAK_WEEKDAYS) or (t in WEEKDAYS and k > j + 2):
            return Atom(i, k + 1, eod=True, wd=WEEKDAYS[t],
                        wmod="this" if s.tok(k - 1) == "this" else None)
    return None


def _m_pod(s: Scanner, i: int) -> Atom | None:
    """Parts of the day: "morning", "in the early morning", "noon", "midnight", "11ish"."""
    j = i
    w = s.tok(j)
    if w == "in" and s.tok(j + 1) == "the":
        j += 2
    elif (w == "at" and s.tok(j + 1) in ("noon", "midnight", "midday", "lunchtime", "lunch",
                                        "night")) or (w in ("around", "about") and s.tok(j + 1) in ("noon", "midday", "lunchtime",
                                                        "midnight")):
        j += 1
    mod = None
    if s.tok(j) in ("early", "late", "mid"):
        mod = s.tok(j)
        j += 1
        if s.tok(j) == "-":
            j += 1
    p = s.tok(j)
    if p in ("am", "pm"):
        return None
    if mod == "mid" and p == "day":
        return Atom(i, j + 1, pod="noon")  # "mid day"
    if p not in PARTS_OF_DAY:
        return None
    if (s.tok(j - 1) == "/" and s.glued(j - 1)) or (s.tok(j + 1) == "/" and s.glued(j)):
        return None  # "day/night mode", "morning/evening"
    if p in ("lunch",) and w != "at" and mod is None and \
            s.tok(i - 1) not in ("by", "before", "until", "till", "til"):
        # "lunch" alone is usually the meal; "by lunch" is noon
        return None
    if p == "eve" and mod is None:
        return None
    if p in ("tonight", "tonite"):
        return Atom(i, j + 1, rel=0, pod="tonight")
    pod = p.rstrip("s") if p.endswith("s") and p[:-1] in PARTS_OF_DAY else p
    if mod == "late" and pod in ("evening", "night"):
        pod = "late_evening"
    elif mod == "early" and pod == "evening":
        pod = "early_evening"
    elif mod == "late" and pod == "afternoon":
        pod = "late_afternoon"
    elif mod == "early" and pod == "morning":
        pod = "early_morning"
    elif mod == "late" and pod == "morning":
        pod = "late_morning"
    return Atom(i, j + 1, pod=pod)


def _mk_time(i: int, j: int, h: int, m: int, sec: int, mer: str | None, minutes: bool,
             literal: bool) -> Atom | None:
    if mer is not None and not 1 <= h <= 12 and not (h == 0 and mer == "am"):
        if not (13 <= h <= 23 and mer == "pm"):
            return None
        mer = None  # "1515pm": already 24-hour
    if not (0 <= h <= 24 and 0 <= m < 60 and 0 <= sec < 60):
        return None
    if h == 24:
        if m or sec:
            return None
        h = 0
    return Atom(i, j, hm=(h, m, sec), mer=mer, minutes_stated=minutes, literal24=literal)


def _after_mer(s: Scanner, j: int) -> tuple[int, str | None]:
    r = s.meridiem(j)
    if r is None:
        return j, None
    return r[0], r[1]


def _hour_context(s: Scanner, i: int) -> bool:
    """True when token i sits where a bare hour is expected ("at 5", "tomorrow 5")."""
    if i == 0:
        return False
    if s.low[i - 1] == "to" and i >= 2:
        prev = s.prev_atom(i - 1)
        return prev is not None and prev.hm is not None and prev.tj == i - 1  # "from 9 to 5"
    if s.low[i - 1] == "between":
        # "between 2 and 4 today": two hours; "between 2 and 4 people" counts
        j = i + 1
        while (j < s.n and s.low[j] in (":", ".")) or (j < s.n and s.isnum[j] and j > i + 1
                                                       and s.low[j - 1] in (":", ".")):
            j += 1
        if s.tok(j) != "and" or j + 1 >= s.n or not (s.isnum[j + 1] or s.tok(j + 1) in
                                                     UNITS_WORDS):
            return False
        k = j + 2
        while k < s.n and (s.low[k] in (":", ".") or s.isnum[k]) and s.glued(k - 1):
            k += 1
        return s.meridiem(k) is not None or _bare_hour_end(s, k)
    if s.low[i - 1] == "and" and i >= 3:
        prev = s.prev_atom(i - 1)
        return prev is not None and prev.hm is not None and prev.tj == i - 1 and \
            s.low[prev.ti - 1] == "between"
    if s.low[i - 1] == "say" and i >= 4 and s.low[i - 2] == "s" and s.low[i - 4] == "let":
        return True  # "let's say 9"
    return s.low[i - 1] in _HOUR_CONTEXT


def _opens_the_message(s: Scanner, k: int, j: int) -> bool:
    """ "at 4 demo the flow": a message that starts with "at N" and goes on with the task says
    when; "look at 3 options", "at 5 locations", "at 9 to 10 people" count things."""
    if s.tok(k) != "at" or s.text[:s.st[k]].strip() or not s.is_word(j):
        return False
    w = _glued_word(s, j)
    return w not in ("to", "and", "or", "of", "x", "per") and not (
        len(w) > 3 and w.endswith("s") and not w.endswith("ss"))


def _ends_a_time_range(s: Scanner, i: int) -> bool:
    """The number at i follows a clock time and a dash: "9am-11am", "9-11am"."""
    prev = s.atoms[-1] if s.atoms else None
    return s.tok(i - 1) in ("-", "–", "—") and prev is not None and prev.tj == i - 1 and \
        prev.hm is not None


def _m_time_num(s: Scanner, i: int) -> Atom | None:
    """Clock times starting with digits: 15:30, 3:30 pm, 8.30pm, 9h15, 1515pm, 3pm, at 5."""
    if not s.number_start_ok(i) and not (s.tok(i - 1) == "t" and i >= 2 and s.isnum[i - 2]) \
            and not _ends_a_time_range(s, i):
        return None
    raw = s.raw[i]
    v = int(raw) if len(raw) <= 4 else -1
    j = i + 1
    sep = s.tok(j)
    # H:MM[:SS] [mer]
    if sep == ":" and s.glued(i) and j + 1 < s.n and s.isnum[j + 1] and len(raw) <= 2 \
            and len(s.raw[j + 1]) == 2 and s.glued(j):
        mi = int(s.raw[j + 1])
        k = j + 2
        sec = 0
        if s.tok(k) == ":" and s.glued(k - 1) and k + 1 < s.n and s.isnum[k + 1] \
                and len(s.raw[k + 1]) == 2:
            sec = int(s.raw[k + 1])
            k += 2
        k, mer = _after_mer(s, k)
        if mer is None and s.tok(k) in ("h", "hrs", "uhr"):
            k += 1
        atom = _mk_time(i, k, v, mi, sec, mer, True, (len(raw) == 2 and raw[0] == "0") or v > 12)
        if atom is not None and mer is None and s.tok(i - 1) == "t" and s.glued(k - 1):
            _utc_offset(s, atom)  # ISO 8601 "T10:15:00Z", "T10:15:00+05:30"
        return atom
    # H.MM / H,MM  with am/pm or "h", or where a time is expected
    if sep == "." and s.glued(i) and j + 1 < s.n and s.isnum[j + 1] and len(raw) <= 2 \
            and len(s.raw[j + 1]) == 2 and s.glued(j):
        mi = int(s.raw[j + 1])
        k = j + 2
        k2, mer = _after_mer(s, k)
        if mer is not None:
            return _mk_time(i, k2, v, mi, 0, mer, True, False)
        if s.tok(k) == "h" or (s.tok(k) == "." and s.tok(k + 1) == "h"):
            return _mk_time(i, k + 1 if s.tok(k) == "h" else k + 2, v, mi, 0, None, True, True)
        if s.tok(k) == "." and k + 1 < s.n and s.isnum[k + 1] and s.glued(k):
            return None  # a dotted date such as 13.5.2015
        if s.tok(k) == "." and s.glued(k - 1) and not s.glued(k) and 1 <= mi <= 12 \
                and 1 <= v <= 31:
            return None  # "23.08." is a day and month
        prev = s.prev_atom(i)
        ctx = _hour_context(s, i) or (prev is not None and prev.hm is None and (
            prev.ymd is not None or prev.rel is not None or prev.day is not None))
        if not ctx and prev is not None and prev.hm is None and prev.wd is not None:
            # after a bare weekday "19.06" is a date when it can be one
            ctx = not (1 <= mi <= 12 and 1 <= v <= 31)
        if ctx and v <= 23:
            return _mk_time(i, k, v, mi, 0, None, True, True)
        return None
    # 9h15, 15h05, 10h
    if sep == "h" and s.glued(i) and len(raw) <= 2:
        if j + 1 < s.n and s.isnum[j + 1] and s.glued(j) and len(s.raw[j + 1]) == 2:
            return _mk_time(i, j + 2, v, int(s.raw[j + 1]), 0, None, True, True)
        if s.boundary(j + 1) and (_hour_context(s, i) or s.prev_atom(i) is not None):
            return _mk_time(i, j + 1, v, 0, 0, None, False, True)  # "by 17h"; "2h" is a length
        return None
    # HHMM / HMM with am/pm: 1515pm, 0845am, 1140 a.m., 930am
    if len(raw) in (3, 4):
        k, mer = _after_mer(s, j)
        h, mi = divmod(v, 100)
        if mer is not None:
            return _mk_time(i, k, h, mi, 0, mer, True, False)
        if len(raw) == 4 and s.number_end_ok(j) and mi < 60 and h <= 23:
            prev = s.prev_atom(i)
            dated = prev is not None and prev.hm is None and (
                prev.ymd is not None or prev.wd is not None or prev.rel is not None
                or prev.day is not None or prev.period is not None)
            yearish = 1950 <= v <= 2100
            if prev is not None and prev.ymd is not None and prev.ymd[0] is None and yearish:
                return None  # "Nov 25 2014": a year
            if (dated and (not yearish or (prev is not None and prev.ymd is not None)))\
                    or (_hour_context(s, i) and (raw[0] in "012") and not yearish):
                return _mk_time(i, j, h, mi, 0, None, True, True)
            if dated and yearish and prev is not None and prev.ymd is None and \
                    prev.wd is not None and prev.rel is None:
                # "on Sunday 1925": a year after a weekday makes no sense
                return _mk_time(i, j, h, mi, 0, None, True, True)
        return None
    if len(raw) > 2:
        return None
    # H [mer] / H o'clock / H ish / 12 noon
    k, mer = _after_mer(s, j + 1 if s.tok(j) == "." and s.glued(i) and s.glued(j) else j)
    if mer is not None:
        return _mk_time(i, k, v, 0, 0, mer, False, False)
    t = s.tok(j)
    if t in ("-", "–") and s.glued(i) and j + 1 < s.n and s.isnum[j + 1] and s.glued(j) \
            and len(s.raw[j + 1]) <= 2:
        # "2-3pm", "10-11am": a range of hours starts at the first, with the second's am/pm
        k, mer = _after_mer(s, j + 2)
        v2 = int(s.raw[j + 1])
        if mer is not None and 1 <= v <= 12 and 1 <= v2 <= 12:
            if mer == "pm" and v > v2 and v2 != 12:
                mer = "am"  # "11-1pm"
            # the first hour alone: the second is its own atom and the dash makes the range
            return _mk_time(i, j, v, 0, 0, mer, False, False)
        return None
    if t in ("oclock",) or (t == "o" and s.tok(j + 1) in ("'", "’") and s.tok(j + 2) == "clock"):
        k = j + 1 if t == "oclock" else j + 3
        k2, mer2 = _after_mer(s, k)
        return _mk_time(i, k2, v, 0, 0, mer2, False, False)
    if t == "ish" and s.glued(i):
        return _mk_time(i, j + 1, v, 0, 0, None, False, False)
    if t == "-" and s.tok(j + 1) == "ish" and s.glued(i) and s.glued(j):
        return _mk_time(i, j + 2, v, 0, 0, None, False, False)  # "5-ish"
    if t == "noon" and v == 12:
        return Atom(i, j + 1, pod="noon")
    if t in ("sharp",):
        return _mk_time(i, j + 1, v, 0, 0, None, False, False)
    if not s.number_end_ok(j):
        return None
    # bare hour where one is expected: "at 5", "around 7", "10, tonight"
    if v > 23:
        return None
    if t in _NOT_TIME_AFTER and not (t == "w" and s.tok(j + 1) == "/"):
        return None  # "at 5 people", "2 weeks"; "@ 2 w/ Sarah" is "with"
    if _hour_context(s, i) and (_bare_hour_end(s, j) or _dated_before(s, i)
                                or _opens_the_message(s, i - 1, j)):
        return _mk_time(i, j, v, 0, 0, None, False, False)
    if _hour_after_day(s, i, j, v):
        return _mk_time(i, j, v, 0, 0, None, False, False)
    # number followed by a part of the day: "10, tonight", "3 in the afternoon"
    k = j
    if s.tok(k) == ",":
        k += 1
    if s.tok(k) in ("in", "this") and s.tok(k + 1) in ("the", "morning", "afternoon", "evening"):
        k += 1
        if s.tok(k) == "the":
            k += 1
    if s.tok(k) in ("tonight", "morning", "afternoon", "evening", "night") and 1 <= v <= 12:
        return _mk_time(i, j, v, 0, 0, None, False, False)
    return None


def _hour_after_day(s: Scanner, i: int, j: int, v: int) -> bool:
    """ "by Friday 5", "tomorrow 9", "tomorrow morning 10": a number that ends an expression
    right after a day is its hour (after a weekday only 1-12: "Monday 21" is the 21st)."""
    prev = s.prev_atom(i)
    if prev is None or prev.hm is not None or prev.offset is not None or prev.rec is not None \
            or prev.ymd is not None or prev.day is not None or prev.weak or prev.period is not None:
        return False
    if not (prev.tj == i or (prev.tj == i - 1 and s.low[i - 1] == ",")):
        return False
    if prev.rel is not None:
        ok = 0 <= v <= 23
    elif (prev.wd is not None and prev.nth is None) or prev.pod is not None:
        ok = 1 <= v <= 12
    else:
        return False
    if not ok:
        return False
    if j >= s.n:
        return True
    t = s.low[j]
    if t == "p" and s.glued(j) and j + 1 < s.n and s.isnum[j + 1]:
        return True  # "Friday 5 p2"
    if not s.is_word(j):
        return t in (",", "!", "?", ";", ")", "(", "#", "@") or (t == "." and s.boundary(j + 1))
    return t in _BARE_HOUR_FOLLOWERS and t not in MONTHS and t not in WEEKDAYS and \
        t not in ("the", "to", "and", "or", "in", "on")


def _dated_before(s: Scanner, i: int) -> bool:
    """ "on Monday at 9 review the PR": right after a date and "at", a bare hour is its time
    whatever word follows (a count noun such as "at 5 locations" is ruled out before)."""
    prev = s.prev_atom(i)
    if prev is None or prev.hm is not None or prev.offset is not None or prev.weak or not (
            prev.ymd is not None or prev.wd is not None or prev.rel is not None
            or prev.day is not None or prev.hol is not None or prev.rec is not None):
        return False
    return not _plural_noun(s, i + 1)  # "Friday at 5 locations": a plural noun counts things


def _plural_noun(s: Scanner, j: int) -> bool:
    """Token j looks like a plural noun ("locations", "people" is in _NOT_TIME_AFTER)."""
    if j >= s.n or not s.is_word(j):
        return False
    w = s.low[j]
    return len(w) > 3 and w.endswith("s") and not w.endswith(("ss", "us", "is")) and \
        w not in _BARE_HOUR_FOLLOWERS and w not in WEEKDAYS and w not in PARTS_OF_DAY


def _bare_hour_end(s: Scanner, j: int) -> bool:
    """After "at 5" / "around seven": the end, punctuation or a word that goes with a time
    ("at 5 tomorrow", "at 5 with Ana"), not a noun that makes it a count ("at 5 locations")."""
    if j >= s.n:
        return True
    t = s.low[j]
    if t == "p" and s.glued(j) and j + 1 < s.n and s.isnum[j + 1]:
        return True  # a priority marker: "at 9 p2"
    if t == "w" and s.tok(j + 1) == "/" and s.glued(j):
        return True  # "@ 2 w/ Sarah"
    if not s.is_word(j):
        return (not s.isnum[j] and t not in ("%", "-", "–", "/", ".")) or (
            t == "." and not s.glued(j))
    if t == "to" and j + 1 < s.n and s.isnum[j + 1]:
        # "from 9 to 5 on Monday" is hours; "from 2 to 4 replicas" counts things, "from 4 to
        # 22 this month" are days
        k = j + 2
        return k >= s.n or not s.is_word(k) or s.meridiem(k) is not None or (
            s.low[k] in _BARE_HOUR_FOLLOWERS and not _month_follows(s, k))
    return t in _BARE_HOUR_FOLLOWERS and not _month_follows(s, j)


def _month_follows(s: Scanner, k: int) -> bool:
    """A month is named at k ("May", "this month", "of next month"): the number before it is
    a day, not an hour."""
    t = s.tok(k)
    if t == "of":
        k += 1
        t = s.tok(k)
    return t in MONTHS or (t in ("this", "next", "last", "the") and s.tok(k + 1) == "month")


def _zone_after(s: Scanner, atom: Atom) -> None:
    """ "9am PST", "14:00 UTC", "10:30 ET", "3pm GMT+1", "(UTC+05:30)": the zone the time is
    said in."""
    k = atom.tj
    paren = s.tok(k) == "("
    if paren:
        k += 1
    if k >= s.n:
        return
    raw = s.raw[k]
    z = ZONES.get(raw.lower())
    if z is None or (len(raw) == 2 and not raw.isupper()):
        return  # "ET"/"PT" only in capitals: "et al."
    if raw.lower() == "est" and (s.isnum[k + 1] if k + 1 < s.n else False):
        return  # "10am est 2h": an estimate
    end = k + 1
    if isinstance(z, int) and s.tok(end) in ("+", "-") and s.glued(k) and \
            end + 1 < s.n and s.isnum[end + 1] and s.glued(end):
        tmp = Atom(k, end)  # "GMT+1", "UTC-05:00"
        _utc_offset(s, tmp)
        if tmp.utc_offset is None:
            raw_h = s.raw[end + 1]
            if len(raw_h) <= 2 and int(raw_h) <= 14:
                sign = 1 if s.tok(end) == "+" else -1
                tmp.utc_offset, tmp.tj = sign * int(raw_h) * 60, end + 2
        if tmp.utc_offset is not None:
            z, end = z + tmp.utc_offset, tmp.tj
    if paren:
        if s.tok(end) != ")":
            return
        end += 1
    if isinstance(z, int):
        atom.utc_offset = z
    else:
        atom.zone = z
    atom.tj = end


def _utc_offset(s: Scanner, atom: Atom) -> None:
    k = atom.tj
    t = s.tok(k)
    if t == "z":
        atom.utc_offset, atom.tj = 0, k + 1
        return
    if t not in ("+", "-") or not s.glued(k) or k + 1 >= s.n or not s.isnum[k + 1]:
        return
    raw = s.raw[k + 1]
    sign = 1 if t == "+" else -1
    if len(raw) == 4:
        hh, mm, end = int(raw[:2]), int(raw[2:]), k + 2
    elif len(raw) == 2 and s.tok(k + 2) == ":" and k + 3 < s.n and s.isnum[k + 3] and \
            len(s.raw[k + 3]) == 2:
        hh, mm, end = int(raw), int(s.raw[k + 3]), k + 4
    elif len(raw) == 2:
        hh, mm, end = int(raw), 0, k + 2
    else:
        return
    if hh <= 14 and mm < 60:
        atom.utc_offset, atom.tj = sign * (hh * 60 + mm), end


def _m_time_words(s: Scanner, i: int) -> Atom | None:
    """Hours in words: "ten am", "seven p . m .", "at seven", "one thirty p m", "five-thirty"."""
    r = s.word_number(i, 12)
    if r is None or r[1] == 0:
        return None
    j, h = r
    mi = 0
    minutes = False
    k = j
    if s.tok(k) == "-":
        k += 1
    if s.tok(k) in ("oh", "o") and s.tok(k + 1) in UNITS_WORDS:
        mm = s.word_number(k + 1, 9)
        if mm is not None:
            k, mi, minutes = mm[0], mm[1], True
    else:
        mm = s.word_number(k, 59)
        if mm is not None and mm[1] >= 10:
            k, mi, minutes = mm[0], mm[1], True
    if minutes:
        j = k
    k2, mer = _after_mer(s, j)
    if mer is not None:
        return _mk_time(i, k2, h, mi, 0, mer, minutes, False)
    t = s.tok(j)
    if t == "oclock" or (t == "o" and s.tok(j + 2) == "clock"):
        k3, mer3 = _after_mer(s, j + 1 if t == "oclock" else j + 3)
        return _mk_time(i, k3, h, mi, 0, mer3, minutes, False)
    if t in ("tonight", "tonite") or (t == "this" and s.tok(j + 1) in ("evening", "morning",
                                                                      "afternoon")) or (
            t == "in" and s.tok(j + 1) == "the" and s.tok(j + 2) in (
                "morning", "afternoon", "evening")) or (t == "at" and s.tok(j + 1) == "night"):
        return _mk_time(i, j, h, mi, 0, None, minutes, False)  # "eight tonight"
    if _hour_context(s, i) and (_bare_hour_end(s, j) or _dated_before(s, i)):
        return _mk_time(i, j, h, mi, 0, None, minutes, False)
    if minutes and s.tok(i + 1) == "-":
        return _mk_time(i, j, h, mi, 0, None, minutes, False)
    # "seven, tomorrow evening", "five-thirty tomorrow evening"
    nxt = s.tok(j)
    if minutes and nxt in ("tomorrow", "today", "tonight", "this", "in"):
        return _mk_time(i, j, h, mi, 0, None, minutes, False)
    if minutes and mi >= 10 and (s.boundary(j) or nxt in _BARE_HOUR_FOLLOWERS) and \
            nxt not in ("-", "/", ".") and not s.is_word(i - 1):
        return _mk_time(i, j, h, mi, 0, None, minutes, False)  # "nine thirty", "twelve fifteen"
    return None


def _m_past_to(s: Scanner, i: int) -> Atom | None:
    """ "twenty minutes past five", "a quarter to seven", "half past 3", "10 past 9"."""
    j = i
    w = s.tok(j)
    mins: int | None = None
    if w == "a" and s.tok(j + 1) == "quarter":
        mins, j = 15, j + 2
    elif w == "quarter":
        mins, j = 15, j + 1
    elif w == "half":
        mins, j = 30, j + 1
    elif j < s.n and s.isnum[j] and len(s.raw[j]) <= 2:
        mins, j = int(s.raw[j]), j + 1
    else:
        r = s.word_number(j, 59)
        if r is not None:
            j, mins = r
    if mins is None or not 0 < mins < 60:
        return None
    if s.tok(j) in ("min", "mins", "minute", "minutes"):
        j += 1
    rel = s.tok(j)
    if rel not in ("past", "after", "to", "before", "till", "til"):
        return None
    if s.isnum[i] and rel in ("to", "till", "til") and s.tok(i + 1) == rel and \
            s.tok(i - 1) not in ("at", "around", "about", "by", "@", "approximately", "approx",
                                 "circa", "ca"):
        return None  # "from 9 to 5", "2 to 4pm": a range of hours, not 4:58
    j += 1
    hr: tuple[int, int] | None = None
    if j < s.n and s.isnum[j] and len(s.raw[j]) <= 2:
        hr = (j + 1, int(s.raw[j]))
    elif s.tok(j) in ("noon", "midday", "midnight"):
        hr = (j + 1, 12 if s.tok(j) != "midnight" else 0)
    else:
        hr = s.word_number(j, 12)
    if hr is None or not 0 <= hr[1] <= 23:
        return None
    k, h = hr
    k2, mer = _after_mer(s, k)
    if mer is None and (s.tok(k) in _NOT_TIME_AFTER or _plural_noun(s, k)):
        return None  # "at 9 to 10 people": a count
    if s.tok(j) in ("noon", "midday"):
        mer = "am" if rel in ("to", "before", "till", "til") else "pm"
    if rel in ("after", "before") and s.tok(i + 1) not in (
            "min", "mins", "minute", "minutes", "quarter", "past") and \
            w not in ("quarter", "half", "a") and mer is None:
        return None  # "5 after 3" is too loose; "twenty after 3pm" is fine
    if rel in ("to", "before", "till", "til"):
        h = (h - 1) % 24 if h != 0 else 23
        if h == 0 and mer is None:
            h = 12
        mins = 60 - mins
    a = _mk_time(i, k2, h, mins, 0, mer, True, False)
    return a


def _m_ordinal_day(s: Scanner, i: int) -> Atom | None:
    """ "the 3rd", "the 27", "the twenty second", "29th", "on 15", "the 15th day of"."""
    j = i
    the = False
    on = False
    if s.tok(j) == "the":
        the = True
        j += 1
    elif s.tok(j) == "on":
        on = True
        j += 1
        if s.tok(j) == "the":
            the = True
            j += 1
    if j >= s.n:
        return None
    if not the and not on and s.is_word(j):
        # "first of next month", "fifteenth of December": an ordinal word said of a month
        w = s.day_number(j, words=True)
        if w is not None and w[2] and _month_follows(s, w[0]):
            k = w[0]
            if s.tok(k + 1) == "the" and s.tok(k + 2) == "month":
                k += 3  # "first of the month": the next one
            return Atom(j, k, day=w[1])
        return None
    r = s.day_number(j, words=the)
    if r is None:
        return None
    k, d, ordinal = r
    if not ordinal and not s.number_end_ok(k):
        return None  # "the 5-minute window", "the 4.x line"
    if ordinal and s.tok(k) in WEEKDAYS and d <= 5:
        return None  # "on the first Monday (of ...)": the nth weekday, not the 1st
    if not the and not ordinal and not on:
        prev = s.prev_atom(j)
        if not (prev is not None and prev.wd is not None and prev.ymd is None and
                prev.day is None and prev.tj == j and d >= 13 and s.boundary(k)
                and s.number_end_ok(k)):
            return None
        return Atom(j, k, day=d)
    if on and not the and not ordinal and not (s.boundary(k) and s.number_end_ok(k)):
        return None
    if not ordinal and s.isnum[j] and s.tok(k) in ("st", "nd", "rd", "th"):
        return None
    if s.tok(k) == "day" and s.tok(k + 1) == "of":
        k += 1
    if s.tok(k) == "of" and s.tok(k + 1) == "the" and s.tok(k + 2) == "month":
        k += 3  # "the 1st of the month": the next one
    weak = False
    nxt = s.tok(k)
    if nxt and s.is_word(k) and (_glued_word(s, k) not in _DAY_FOLLOWERS or (
            s.tok(k + 1) == "-" and s.glued(k) and s.is_word(k + 2) and s.glued(k + 1))):
        weak = True  # "the 5 PRs", "the 3 OKRs", "the 6 on-call shifts" count things
    if nxt in _NOT_TIME_AFTER and nxt != "of":
        return None
    if s.isnum[j] is False and not the:
        return None
    if on and not the:
        # "on 15": the day lives at j; "on" stays a connector
        return Atom(j, k, day=d, weak=weak)
    if the and not s.isnum[j] and not (nxt == "of" and _month_follows(s, k)):
        # "the first", "the five", "the first of many": words alone are rarely a date
        weak = True
    return Atom(i if the else j, k, day=d, weak=weak)


def _glued_word(s: Scanner, k: int) -> str:
    """The whole word at token k: the tokenizer splits "PRs" into "P" + "Rs"."""
    j = k
    while s.glued(j) and s.is_word(j + 1):
        j += 1
    return "".join(s.low[k:j + 1])


def _year_after(s: Scanner, k: int) -> tuple[int, int | None]:
    """An optional year after a month-day at k: ", 2019", " 2019", " of 87", "'19", words."""
    j = k
    if s.tok(j) == ",":
        j += 1
    two_ok = False
    if s.tok(j) in ("of", "in"):
        j += 1
        two_ok = True
    if s.tok(j) in ("'", "’"):
        j += 1
        two_ok = True
    if j < s.n and s.isnum[j]:
        # a four-digit time after a date ("12 Nov 1115", "3 Dec 2125") is not a year
        raw = s.raw[j]
        if len(raw) == 4:
            v = int(raw)
            hh, mm = divmod(v, 100)
            if (v < 1900 or v > 2100) and hh <= 23 and mm < 60 and s.tok(j - 1) != "of":
                return k, None
            if s.tok(j + 1) == ":" or s.meridiem(j + 1) is not None:
                return k, None
        r = s.year_digits(j, two_ok)
        if r is not None:
            if len(raw) == 2 and (s.tok(j + 1) == ":" or s.meridiem(j + 1) is not None):
                return k, None
            if s.tok(r[0]) == "year":
                return r[0] + 1, r[1]  # "19 February 2013 year 09:10"
            return r[0], r[1]
        return k, None
    if s.tok(j) == "year" and s.tok(j + 1) in ("of",):
        j += 2
    ry = s.year_words(j)
    if ry is not None:
        return ry[0], ry[1]
    return k, None


def _clock_colon(s: Scanner, j: int) -> bool:
    """A colon at j that joins a number to minutes ("5:30"), not one that ends a label
    ("due Dec 5: tax filing")."""
    return s.tok(j) == ":" and s.glued(j - 1) and s.glued(j) and j + 1 < s.n and s.isnum[j + 1]


def _year_or_clock(s: Scanner, a: Atom) -> Atom:
    """ "Thurs 2 Nov 2015": when the weekday before a date contradicts the four digits after
    it and those read as a 24-hour time, they are the time (20:15), not the year."""
    if a.ymd is None or not s.atoms:
        return a
    y, m, d = a.ymd
    t = a.tj - 1
    prev = s.atoms[-1]
    if y is None or y < 0 or not s.isnum[t] or len(s.raw[t]) != 4 or s.low[t - 1] == "," \
            or (a.tj < s.n and (s.isnum[a.tj] or s.low[a.tj] in (",", ":", "."))):
        return a  # "Jul 22, 2014" and "2016, 12.16 pm" write a year
    if prev.wd is None or prev.wmod is not None or prev.nth is not None or not (
            prev.tj == a.ti or (prev.tj == a.ti - 1 and s.low[a.ti - 1] == ",")):
        return a
    hh, mm = divmod(y, 100)
    if hh > 23 or mm > 59 or not 1 <= d <= _cal.monthrange(y, m)[1] or \
            _cal.weekday(y, m, d) == prev.wd:
        return a
    return Atom(a.ti, a.tj, ymd=(None, m, d), hm=(hh, mm, 0), minutes_stated=True,
                literal24=True, clock_year=y)


def _m_monthdate(s: Scanner, i: int) -> Atom | None:
    """Dates with a month name, in any order: Jan 4 2019, 04th Jan, 2019/aug/01, May twenty
    nine, the 9th of May, Oct/2, mar3, Sep-23-2020, 23/Sep/2020, 2020/23/Sep, March 2027."""
    w = s.tok(i)
    # ---- month first
    mw = s.month_word(i)
    if mw is not None:
        j, m = mw
        k = j
        if s.tok(k) in ("]", ")") and s.tok(i - 1) in ("[", "("):
            k += 1
            j = k
        if s.tok(k) in ("/", "-", ".", ",") and (s.glued(k - 1) or s.tok(k) == "-"
                                                 or s.tok(k) == ","):
            k += 1
        if s.tok(k) == "the":
            k += 1
        # month-year-day: September-2020-23
        if k < s.n and s.isnum[k] and len(s.raw[k]) == 4 and s.tok(k + 1) in ("-", "/"):
            r = s.day_number(k + 2, inner=True)
            y = int(s.raw[k])
            if r is not None and 1000 <= y <= 2999:
                return Atom(i, r[0], ymd=(y, m, r[1]))
        is_may_lower = w == "may" and s.raw[i] == "may"
        r = s.day_number(k, words=not is_may_lower, inner=True)
        if r is not None and not (k < s.n and s.isnum[k] and _clock_colon(s, r[0])):
            kk, d, _ordinal = r
            # "Jan 4 12pm": the 12 would be an hour
            if k < s.n and s.isnum[k] and s.meridiem(kk) is not None:
                r = None
            else:
                ye, y1 = _year_after(s, kk)
                if y1 is None and s.tok(kk) in ("-", "/") and kk + 1 < s.n and s.isnum[kk + 1]:
                    # the "-2020" in "Sep-23-2020"; "Jan 12-14" is a range of days
                    yy = s.year_digits(kk + 1, s.tok(j) in ("-", "/"))
                    if yy is not None:
                        ye, y1 = yy
                return _year_or_clock(s, Atom(i, ye, ymd=(y1, m, d)))
        # month year: "March 2027", "May 2027"
        if k == j or s.tok(j) in (",",):
            yr = s.year_digits(j if s.tok(j) != "," else j + 1, False)
            if yr is not None:
                return Atom(i, yr[0], month=m, year=yr[1])
        a = Atom(i, j, month=m)
        # "March", "June": a capitalised full name is the month; "may", "mar", "Jan" need help
        if not (s.raw[i][0].isupper() and len(w) > 4) or w == "may":
            a.weak = True
        return a
    # ---- year first: 2019/aug/01, 2020/23/Sep, 2019-sep-1
    if i < s.n and s.isnum[i] and len(s.raw[i]) == 4 and s.tok(i + 1) in ("/", "-", "."):
        y = int(s.raw[i])
        if not 1000 <= y <= 2999 or not s.number_start_ok(i):
            return None
        mw2 = s.month_word(i + 2)
        if mw2 is not None:
            j, m = mw2
            if s.tok(j) in ("/", "-", "."):
                r = s.day_number(j + 1, inner=True)
                if r is not None:
                    return Atom(i, r[0], ymd=(y, m, r[1]))
            return None
        r = s.day_number(i + 2, inner=True)
        if r is not None and s.tok(r[0]) in ("/", "-", "."):
            mw3 = s.month_word(r[0] + 1)
            if mw3 is not None:
                return Atom(i, mw3[0], ymd=(y, mw3[1], r[1]))
        return None
    # ---- day first: 04th Jan 2019, 1.Jun, 23/Sep/2020, the 9th of May, 23-2020-September
    j = i
    if w == "the":
        j += 1
    r = s.day_number(j, words=True)
    if r is None and j < s.n and s.isnum[j] and s.glued(j) and s.tok(j + 1) in MONTHS \
            and s.number_start_ok(j) and 1 <= int(s.raw[j]) <= 31 and len(s.raw[j]) <= 2:
        r = (j + 1, int(s.raw[j]), False)  # "14april"
    if r is None:
        return None
    k, d, ordinal = r
    if j < s.n and not s.isnum[j] and not ordinal and w != "the" and d < 13:
        # a cardinal word before a month: "twenty five January" is fine, "one May" is not
        return None
    if s.tok(k) == "day" and s.tok(k + 1) == "of":
        k += 1
    if s.tok(k) in ("/", "-", ".", "of"):
        k += 1
    # day-year-month: 23-2020-September
    if k < s.n and s.isnum[k] and len(s.raw[k]) == 4 and s.tok(k + 1) in ("-", "/"):
        mw4 = s.month_word(k + 2)
        y = int(s.raw[k])
        if mw4 is not None and 1000 <= y <= 2999:
            return Atom(i, mw4[0], ymd=(y, mw4[1], d))
        return None
    if s.tok(k) == "." and k > j:
        k += 1
    mw5 = s.month_word(k)
    if mw5 is None:
        return None
    kk, m = mw5
    if s.tok(kk) in ("/", "-") and kk + 1 < s.n and s.isnum[kk + 1]:
        yy = s.year_digits(kk + 1, True)
        if yy is not None:
            return Atom(i, yy[0], ymd=(yy[1], m, d))
    ye, y2 = _year_after(s, kk)
    return _year_or_clock(s, Atom(i, ye, ymd=(y2, m, d)))


def _m_numeric_date(s: Scanner, i: int) -> Atom | None:
    """Numeric dates: 2019-01-04, 4/1, 22/04, 1/1/2016, 13.5.2015, 16.12, 20161016, 11.9."""
    if not s.number_start_ok(i):
        return None
    raw = s.raw[i]
    if len(raw) == 8 and s.number_end_ok(i + 1):
        y, m, d = int(raw[:4]), int(raw[4:6]), int(raw[6:])
        if 1900 <= y <= 2100 and 1 <= m <= 12 and 1 <= d <= 31:
            return Atom(i, i + 1, ymd=(y, m, d))
        return None
    sep = s.tok(i + 1)
    if sep not in ("/", "-", "."):
        # "2016 10 16"
        if len(raw) == 4 and i + 2 < s.n and s.isnum[i + 1] and s.isnum[i + 2] \
                and len(s.raw[i + 1]) <= 2 and len(s.raw[i + 2]) <= 2:
            y, m, d = int(raw), int(s.raw[i + 1]), int(s.raw[i + 2])
            if 1900 <= y <= 2100 and 1 <= m <= 12 and 1 <= d <= 31 and s.number_end_ok(i + 3):
                return Atom(i, i + 3, ymd=(y, m, d))
        return None
    spaced_ok = sep == "."
    if not s.glued(i) and not spaced_ok:
        return None
    p2 = i + 2
    if p2 >= s.n or not s.isnum[p2] or (not s.glued(i + 1) and not spaced_ok):
        return None
    if not s.glued(i) or not s.glued(i + 1):
        # spaced dots "26. 10.21" / "30 . 09 . 22" only in full day.month.year form
        pass
    raw2 = s.raw[p2]
    k = p2 + 1
    parts = [raw, raw2]
    seps = [sep]
    if s.tok(k) == sep and k + 1 < s.n and s.isnum[k + 1] and (
            (s.glued(k - 1) and s.glued(k)) or (
                spaced_ok and len(s.raw[k + 1]) in (2, 4) and s.tok(k + 2) not in (":", ".")
                and s.meridiem(k + 2) is None)):
        parts.append(s.raw[k + 1])
        seps.append(sep)
        k += 2
    elif s.tok(k) == "," and s.glued(k - 1) and k + 1 < s.n and s.isnum[k + 1] and s.glued(k):
        # "08/12,2015"
        parts.append(s.raw[k + 1])
        k += 2
    trailing_dot = False
    if len(parts) == 2 and sep == "." and s.tok(k) == "." and s.glued(k - 1):
        trailing_dot = True
        # "11.9." German style; don't eat a sentence-ending dot of "v1.2."
        k += 1
    if not s.number_end_ok(k) and s.tok(k) not in ("-", ".", ",") and not (
            s.tok(k) == "t" and k + 1 < s.n and s.isnum[k + 1] and s.glued(k)):
        return None
    if any(len(p) > 4 for p in parts):
        return None
    if len(parts) == 2 and not s.glued(i) and sep == ".":
        return None
    if len(parts) == 3:
        a, b, c = parts
        if len(a) == 4:
            y, m, d = int(a), int(b), int(c)
            if len(b) > 2 or len(c) > 2 or not (1 <= m <= 12 and 1 <= d <= 31):
                return None
            return Atom(i, k, ymd=(y, m, d))
        if len(c) not in (2, 4) or len(a) > 2 or len(b) > 2:
            return None
        y = int(c) if len(c) == 4 else -int(c) - 1
        x1, x2 = int(a), int(b)
        return _dm_atom(i, k, x1, x2, y, day_first=sep == ".", month_first=s.month_first)
    a, b = parts
    if len(a) > 2 or len(b) > 2:
        return None
    x1, x2 = int(a), int(b)
    # a dotted pair where a time is expected ("at 17.30", after a date) is a time
    if sep == "." and not trailing_dot:
        prev = s.prev_atom(i)
        if _hour_context(s, i) or (prev is not None and prev.hm is None and (
                prev.ymd is not None or prev.rel is not None)):
            return None
    if sep == "-" and s.tok(k) in UNITS:
        return None  # "3-5 days"
    if x1 == 24 and x2 == 7:
        return None  # "24/7"
    atom = _dm_atom(i, k, x1, x2, None, day_first=sep == ".", month_first=s.month_first)
    if atom is not None and sep == "." and i > 0 and s.is_word(i - 1) and \
            s.low[i - 1] not in _DATE_LEAD_WORDS:
        atom.weak = True  # "Python 3.11.", "release 2.5": a version, not a date
    if atom is not None and s.tok(i - 1) in ("this", "next") and i > 0:
        atom.ymd_mod = s.tok(i - 1)
        atom.ti = i - 1
    if atom is not None and sep in (".", "-") and not trailing_dot:
        # "2.5", "3-4": plain numbers unless they look like dd.mm or sit next to a date word
        if not (len(a) == 2 and len(b) == 2) and sep == ".":
            atom.weak = True
        if sep == "-":
            atom.weak = True
    return atom


def _dm_atom(i: int, k: int, x1: int, x2: int, y: int | None, day_first: bool,
             month_first: bool = False) -> Atom | None:
    md_ok = 1 <= x1 <= 12 and 1 <= x2 <= 31
    dm_ok = 1 <= x2 <= 12 and 1 <= x1 <= 31
    if not md_ok and not dm_ok:
        return None
    if month_first and md_ok:
        return Atom(i, k, ymd=(y, x1, x2))
    if day_first:
        prim = (y, x2, x1) if dm_ok else (y, x1, x2)
        alt = (y, x1, x2) if dm_ok and md_ok and x1 != x2 else None
    else:
        prim = (y, x1, x2) if md_ok else (y, x2, x1)
        alt = (y, x2, x1) if dm_ok and md_ok and x1 != x2 else None
    return Atom(i, k, ymd=prim, ymd_alt=alt)


def _m_year(s: Scanner, i: int) -> Atom | None:
    """A lone year ("in 2027", "by 2027"); weak: it needs a connector or a neighbour.
    Said as "the year 2027" it needs neither."""
    if s.tok(i) in ("the", "year"):
        j = i + 1 if s.tok(i) == "the" else i
        if s.tok(j) != "year":
            return None
        yr = s.year_digits(j + 1, False)
        if yr is None or not s.number_end_ok(yr[0]) or s.tok(yr[0]) in _NOT_TIME_AFTER:
            return None
        return Atom(i, yr[0], year=yr[1])
    if not s.number_start_ok(i) or len(s.raw[i]) != 4:
        return None
    y = int(s.raw[i])
    if not 1900 <= y <= 2199 or not s.number_end_ok(i + 1):
        return None
    if s.tok(i + 1) in _NOT_TIME_AFTER:
        return None
    return Atom(i, i + 1, year=y, weak=True)


def _m_weekday(s: Scanner, i: int) -> Atom | None:
    """ "Friday", "this Friday", "next Fri", "last Wednesday", "Friday after next", "this
    past Wednesday", "the following Friday", "second Saturday", "two Sundays from now"."""
    j = i
    w = s.tok(j)
    mod: str | None = None
    nth: int | None = None
    if w == "the" and (s.tok(j + 1) in ("following", "next", "coming", "last") or (
            s.ordinal_word(j + 1) is not None)):
        j += 1
        w = s.tok(j)
    if w == "this" and s.tok(j + 1) in ("past", "coming", "upcoming"):
        mod = "past" if s.tok(j + 1) == "past" else "this"
        j += 2
    elif w in _WMODS:
        mod = _WMODS[w]
        j += 1
    else:
        o = s.ordinal_word(j)
        if o is not None and o[1] <= 5 and s.tok(o[0]) in WEEKDAYS:
            nth = o[1]
            j = o[0]
        elif j < s.n and s.isnum[j] and s.tok(j + 1) in ORDINAL_SUFFIXES and \
                s.tok(j + 2) in WEEKDAYS and int(s.raw[j]) <= 5 and s.glued(j):
            nth = int(s.raw[j])
            j += 2
        else:
            c = s.word_number(j, 10) if j < s.n and not s.isnum[j] else (
                (j + 1, int(s.raw[j])) if j < s.n and s.isnum[j] and len(s.raw[j]) <= 2
                else None)
            if c is not None and s.tok(c[0]) in WEEKDAYS:
                k = c[0] + 1
                if s.tok(k) == "from" and s.tok(k + 1) in ("now", "today"):
                    return Atom(i, k + 2, wd=WEEKDAYS[s.tok(c[0])], count_wd=c[1])
                if s.tok(k) in ("later", "after", "hence"):
                    return Atom(i, k + 1, wd=WEEKDAYS[s.tok(c[0])], count_wd=c[1])
                return None
    t = s.tok(j)
    if t not in WEEKDAYS:
        return None
    wd = WEEKDAYS[t]
    k = j + 1
    if s.tok(k) == "." and s.glued(j) and len(t) <= 5 and not s.boundary(k + 1):
        k += 1  # "Fri. 22 Sept."
    if s.tok(k) == "after" and s.tok(k + 1) == "next":
        mod = "after_next"
        k += 2
    elif mod is None and nth is None and s.tok(k) == "week" and _week_said_alone(s, k + 1):
        mod = "after_next"  # "Monday week" (British): a week after the coming Monday
        k += 1
    elif mod is None and nth is None and s.tok(k) in ("before", "after") and \
            s.tok(k + 1) != "next":
        # "the Friday before Dec 10": settled once the next atom is known to be a date
        return Atom(i, k + 1, wd=wd, wd_dir=s.tok(k), soft_anchor=True)
    if s.tok(k) == "of" and (mod == "last" or nth is not None) and \
            s.tok(k + 1) in ("each", "every") and s.tok(k + 2) == "month":
        # "the first Monday of every month": a monthly rule
        return Atom(i, k + 3, rec=Rec("MONTHLY", 1, (wd,), byday_n=-1 if mod == "last" else nth))
    if s.tok(k) == "of" and (mod == "last" or nth is not None) and (
            s.tok(k + 1) in MONTHS or s.tok(k + 1) in ("the", "this", "next", "each", "every")
            or s.tok(k + 1) == "month"):
        # "the last Friday of the month", "first Monday of July"
        if mod == "last":
            nth, mod = -1, None
        if s.tok(k + 1) in ("the", "this") and s.tok(k + 2) == "month":
            k += 3
        elif s.tok(k + 1) == "month":
            k += 2
    weak = False
    if t in WEAK_WEEKDAYS and mod is None and nth is None and s.raw[j][0].islower():
        weak = True
    if t.endswith("s") and t not in ("tues", "thurs", "weds"):
        # "Mondays" is a recurrence ("on Mondays"); alone it is not a date
        return None
    # "Sunday Corp": a capitalised word after a weekday name makes it a name
    if mod is None and nth is None and k < s.n and s.raw[k][0].isupper() and \
            s.is_word(k) and s.low[k] not in MONTHS and s.low[k] not in WEEKDAYS and \
            s.low[k] not in PARTS_OF_DAY and s.meridiem(k) is None and \
            s.low[k] not in ("at", "on", "by", "of", "the", "next", "this", "at", "eod", "noon",
                             "early", "late", "evening", "morning", "afternoon", "night",
                             "tomorrow", "today"):
        weak = True
    return Atom(i, k, wd=wd, wmod=mod, nth=nth, weak=weak)


def _week_of(s: Scanner, i: int) -> Atom | None:
    """ "the first week of December", "last week of next month", "the week of Dec 7": a week
    named by its place in a month or by a day in it; as a deadline it ends on its Friday."""
    j = i + 1 if s.tok(i) == "the" else i
    n: int | None = None
    if s.tok(j) == "last" and s.tok(j + 1) == "week":
        n, j = -1, j + 1
    else:
        o = s.ordinal_word(j)
        if o is None and j < s.n and s.isnum[j] and s.tok(j + 1) in ORDINAL_SUFFIXES:
            o = (j + 2, int(s.raw[j]))
        if o is not None and 1 <= o[1] <= 5 and s.tok(o[0]) == "week":
            n, j = o[1], o[0]
    if s.tok(j) != "week" or s.tok(j + 1) != "of":
        return None
    k = j + 2
    if n is None:
        if s.tok(k) == "the":
            k += 1
        d = _m_monthdate(s, k) if s.tok(k) in MONTHS or (k < s.n and s.isnum[k]) else None
        if d is None and k < s.n and s.isnum[k]:
            d = _m_numeric_date(s, k)
        if d is None or d.ymd is None:
            return None
        d.ti, d.week_of = i, True
        return d
    if s.tok(k) in ("the", "this") and s.tok(k + 1) == "month":
        return Atom(i, k + 2, wd=4, nth=n, week_of=True)
    if s.tok(k) in ("next", "last", "previous") and s.tok(k + 1) == "month":
        return Atom(i, k + 2, wd=4, nth=n, week_of=True,
                    period=("month", 1 if s.tok(k) == "next" else -1, "end"))
    mw = s.month_word(k)
    if mw is None:
        return None
    a = Atom(i, mw[0], wd=4, nth=n, month=mw[1], week_of=True)
    yr = s.year_digits(mw[0], False)
    if yr is not None:
        a.tj, a.year = yr
    return a


def _m_period(s: Scanner, i: int) -> Atom | None:
    """ "this week", "next week", "end of month", "the week after next", "eow", "weekend",
    "end of next quarter", "beginning of next month", "mid-month", "Q3", "end of March"."""
    j = i
    w = s.tok(j)
    # "third quarter", "the 4th qtr 2018"
    jq = j + 1 if w == "the" else j
    oq = s.ordinal_word(jq)
    if oq is None and jq < s.n and s.isnum[jq] and s.tok(jq + 1) in ORDINAL_SUFFIXES:
        oq = (jq + 2, int(s.raw[jq]))
    if oq is not None and 1 <= oq[1] <= 4 and s.tok(oq[0]) in ("quarter", "qtr"):
        aq = Atom(i, oq[0] + 1, quarter=oq[1])
        yq = s.year_digits(oq[0] + 1 + (s.tok(oq[0] + 1) in ("of", ",")), False)
        if yq is not None:
            aq.tj, aq.year = yq
        return aq
    wk = _week_of(s, i)
    if wk is not None:
        return wk
    # "the last day of October", "first day of next month"
    jd = j + 1 if w == "the" else j
    if s.tok(jd) in ("last", "first") and s.tok(jd + 1) == "day" and s.tok(jd + 2) == "of":
        edge0 = "end" if s.tok(jd) == "last" else "start"
        k0 = jd + 3
        if s.tok(k0) == "the":
            k0 += 1
        mw0 = s.month_word(k0)
        if mw0 is not None:
            a0 = Atom(i, mw0[0], month=mw0[1], medge=edge0)
            y0 = s.year_digits(mw0[0], False)
            if y0 is not None:
                a0.tj, a0.year = y0
            return a0
        rest = _m_period(s, k0)
        if rest is not None and rest.period is not None and rest.period[0] != "weekend":
            return Atom(i, rest.tj, period=(rest.period[0], rest.period[1], edge0))
        if s.tok(k0) in ("month", "week", "quarter", "year"):
            return Atom(i, k0 + 1, period=(_PERIOD_UNITS[s.tok(k0)], 0, edge0))
        return None
    if w in ("eow", "eom", "eoq", "eoy"):
        unit = {"eow": "week", "eom": "month", "eoq": "quarter", "eoy": "year"}[w]
        return Atom(i, i + 1, period=(unit, 0, "end"))
    if w == "q" and s.glued(i) and i + 1 < s.n and s.isnum[i + 1] and s.raw[i + 1] in "1234" \
            and len(s.raw[i + 1]) == 1:
        k = i + 2
        q = int(s.raw[i + 1])
        yr = s.year_digits(k, False)
        a = Atom(i, k, quarter=q, weak=True)  # "plan Q3 roadmap": Q3 names the work
        if yr is not None:
            a.tj = yr[0]
            a.year = yr[1]
            a.weak = False
        return a
    if w == "midweek" or (w == "mid" and s.tok(j + 1) == "-" and s.tok(j + 2) == "week"):
        return Atom(i, j + 1 if w == "midweek" else j + 3, period=("week", 0, "mid"))
    edge = "end"
    has_edge = False
    if w == "the":
        j += 1
        w = s.tok(j)
    if w in _EDGE_WORDS and (
            s.tok(j + 1) == "of" or (w in ("early", "mid", "late") and s.tok(j + 1) != "of")
            or (w == "end" and s.tok(j + 1) in ("this", "next", "the"))):
        edge = _EDGE_WORDS[w]
        has_edge = True
        j += 1
        if s.tok(j) == "-":
            j += 1
        if s.tok(j) == "of":
            j += 1
        if s.tok(j) == "the":
            j += 1
        # "end of March", "end of 2027", "mid-March"
        mw = s.month_word(j)
        if mw is not None:
            k, m = mw
            a = Atom(i, k, month=m, medge=edge)
            yr = s.year_digits(k, False)
            if yr is not None:
                a.tj, a.year = yr
            return a
        yr = s.year_digits(j, False)
        if yr is not None:
            return Atom(i, yr[0], year=yr[1], medge=edge)
        if s.tok(j) == "q" and j + 1 < s.n and s.raw[j + 1] in "1234" and s.glued(j):
            a = Atom(i, j + 2, quarter=int(s.raw[j + 1]))
            yr = s.year_digits(j + 2, False)
            if yr is not None:
                a.tj, a.year = yr
            return a
        w = s.tok(j)
    shift = 0
    if w == "this" and s.tok(j + 1) in ("coming", "upcoming"):
        j += 1
        w = s.tok(j)
    if w == "later" and s.tok(j + 1) == "this":
        j += 1
        w = s.tok(j)
        edge, has_edge = "end", True
    if w in _PERIOD_SHIFT:
        shift = _PERIOD_SHIFT[w]
        j += 1
        if w == "the" and s.tok(j) in _PERIOD_SHIFT:
            shift = _PERIOD_SHIFT[s.tok(j)]
            j += 1
    elif w == "the" and s.tok(j + 1) in ("following",):
        shift = 1
        j += 2
    elif w == "the" and s.tok(j + 1) in _PERIOD_UNITS:
        j += 1
    u = s.tok(j)
    if u == "weekend" or (u == "week" and s.tok(j + 1) == "-" and s.tok(j + 2) == "end"):
        k = j + 1 if u == "weekend" else j + 3
        if s.tok(j - 1) in ("coming", "upcoming"):
            shift = 0  # "the coming weekend" is the next one to come
        if s.tok(k) == "after" and s.tok(k + 1) == "next":
            shift, k = 2, k + 2  # "the weekend after next"
        return Atom(i, k, period=("weekend", shift, "start"))
    if u not in _PERIOD_UNITS:
        return None
    unit = _PERIOD_UNITS[u]
    k = j + 1
    if s.tok(k) == "after" and s.tok(k + 1) == "next" and unit in ("week", "month", "year"):
        shift = 2
        k += 2
    explicit = w in _PERIOD_SHIFT or has_edge or s.tok(i) in _PERIOD_SHIFT or shift == 2
    if not explicit:
        return None
    return Atom(i, k, period=(unit, shift, edge))


def _m_offset(s: Scanner, i: int) -> Atom | None:
    """ "in 3 days", "within 2 weeks", "after 4 days", "3 days ago", "2 hours from now",
    "30 min later", "in three weeks' time", "two days after today", "2 weeks before <date>"."""
    j = i
    w = s.tok(j)
    lead = None
    if w in ("in", "within", "after", "over"):
        lead = w
        j += 1
        if s.tok(j) == "the" and s.tok(j + 1) in ("next", "coming", "following"):
            j += 2  # "in the next 2 days"
        elif w == "over":
            return None
        while s.tok(j) in _HEDGES and j < i + 4:
            j += 1
    elif w in ("about", "around", "approximately", "approx", "roughly", "nearly", "almost",
               "over", "just"):
        j += 1
    r = s.duration(j)
    if r is None:
        if w in ("in", "after") and s.tok(j) in ("a", "an") and s.tok(j + 1) == "fortnight":
            return Atom(i, j + 2, offset={"weeks": 2.0})
        return None
    k, dur = r
    if s.tok(k) in ("'s", "'", "’") or (s.tok(k) in ("'", "’") and s.tok(k + 1) == "s"):
        k += 2 if s.tok(k + 1) == "s" else 1
    if s.tok(k) == "time" and lead == "in":
        k += 1
    t = s.tok(k)
    if lead is not None:
        if t in ("from", "after") and s.tok(k + 1) in ("now", "today"):
            k += 2
        elif lead in ("in", "within") and t in ("from", "since", "after") and \
                s.tok(k + 1) not in ("now", "right"):
            # "in 2 weeks from Monday": from that date if one follows, else from now
            return Atom(i, k + 1, offset=dur, offset_sign=1, anchored=True, anchor_word=t,
                        soft_anchor=True)
        return Atom(i, k, offset=dur, offset_sign=1)
    if t == "from" and s.tok(k + 1) == "right" and s.tok(k + 2) == "now":
        return Atom(i, k + 3, offset=dur, offset_sign=1)
    if set(dur) == {"weeks"}:
        # British "a week on Monday", "two weeks today", "a fortnight tomorrow"
        if t == "on" and s.tok(k + 1) in WEEKDAYS and s.tok(k + 2) not in ("'", "’"):
            return Atom(i, k + 1, offset=dur, offset_sign=1, anchored=True, anchor_word="on")
        if t in ("today", "tomorrow") and _week_said_alone(s, k + 1):
            return Atom(i, k + 1, offset=dur, offset_sign=1, rel=_TODAY_WORDS[t],
                        anchored=True)
    if t in ("ago", "earlier", "back"):
        return Atom(i, k + 1, offset=dur, offset_sign=-1)
    if t in ("later", "hence", "afterwards", "onwards"):
        return Atom(i, k + 1, offset=dur, offset_sign=1)
    if t in ("from", "after", "before", "since"):
        sign = -1 if t == "before" else 1
        nxt = s.tok(k + 1)
        if nxt == "now":
            return Atom(i, k + 2, offset=dur, offset_sign=sign)
        if nxt in _TODAY_WORDS:
            a = Atom(i, k + 2, offset=dur, offset_sign=sign)
            a.rel = _TODAY_WORDS[nxt]
            a.anchored = True
            return a
        return Atom(i, k + 1, offset=dur, offset_sign=sign, anchored=True, anchor_word=t)
    if w == "the" or not _alone(s, i, k):
        return None
    # the whole message is a length of time ("3 days", "2 weeks"): that long from now
    return Atom(i, k, offset=dur, offset_sign=1)


def _alone(s: Scanner, i: int, k: int) -> bool:
    """Tokens i..k are the whole message, apart from closing punctuation."""
    return i == 0 and all(s.low[t] in (".", "!", "?") for t in range(k, s.n))


def _m_recurrence(s: Scanner, i: int) -> Atom | None:
    """ "every day", "daily", "every weekday", "every Monday and Thursday", "every 2 weeks",
    "biweekly", "every other week", "every month on the 1st", "monthly on the last day",
    "on Mondays", "each morning"."""
    j = i
    w = s.tok(j)
    rec: Rec | None = None
    pod: str | None = None
    if w in _FREQ_WORDS:
        f, n = _FREQ_WORDS[w]
        rec = Rec(f, n)
        j += 1
        if w == "quarterly":
            rec = Rec("MONTHLY", 3)
    elif w == "bi" and s.tok(j + 1) == "-" and s.tok(j + 2) in ("weekly", "monthly"):
        rec = Rec("WEEKLY" if s.tok(j + 2) == "weekly" else "MONTHLY", 2)
        j += 3
    elif w in ("every", "each", "evry"):
        j += 1
        nth_atom = _every_nth(s, i, j)
        if nth_atom is not None:
            return nth_atom
        interval = 1
        if s.tok(j) == "other":
            interval = 2
            j += 1
        elif j < s.n and s.isnum[j] and len(s.raw[j]) <= 3:
            interval = int(s.raw[j])
            j += 1
        else:
            c = s.word_number(j, 99)
            if c is not None and c[1] >= 2:
                j, interval = c
            elif s.tok(j) in ("second",):
                interval = 2
                j += 1
        u = s.tok(j)
        days: list[int] = []
        if u in ("weekday", "workday", "weekdays", "workdays") or (
                u in WORKDAY_ADJ and s.tok(j + 1) == "day"):
            rec = Rec("WEEKLY", 1, (0, 1, 2, 3, 4))
            j += 2 if u in WORKDAY_ADJ else 1
        elif u in ("weekend", "weekends"):
            rec = Rec("WEEKLY", interval, (5, 6))
            j += 1
        elif u in WEEKDAYS:
            while s.tok(j) in WEEKDAYS:
                days.append(WEEKDAYS[s.tok(j)])
                j += 1
                if s.tok(j) in (",", "and", "&", "/") and s.tok(j + 1) in WEEKDAYS:
                    j += 1
                elif s.tok(j) == "," and s.tok(j + 1) == "and" and s.tok(j + 2) in WEEKDAYS:
                    j += 2
            rec = Rec("WEEKLY", interval, tuple(sorted(set(days))))
        elif u in _FREQ_UNITS:
            f = _FREQ_UNITS[u]
            if u in ("quarter", "quarters"):
                interval *= 3
            if u == "fortnight":
                interval *= 2
            rec = Rec(f, interval)
            if u in ("morning", "evening", "afternoon", "night"):
                pod = u
            j += 1
        elif u in ("mon", "tue"):
            return None
        else:
            # "every 1st of the month", "every last day of the month"
            return None
        if rec is None:
            return None
    elif w == "on" and s.tok(j + 1) in ("weekdays", "workdays", "weekends"):
        rec = Rec("WEEKLY", 1, (5, 6) if s.tok(j + 1) == "weekends" else (0, 1, 2, 3, 4))
        j += 2
    elif w in ("weekdays", "workdays", "weekends") and _clock_follows(s, j + 1):
        rec = Rec("WEEKLY", 1, (5, 6) if w == "weekends" else (0, 1, 2, 3, 4))
        j += 1  # "standup weekdays at 9"
    elif (w == "on" and s.tok(j + 1) in _PLURAL_WEEKDAYS) or w in _PLURAL_WEEKDAYS:
        j += 1 if w == "on" else 0
        days = []
        while s.tok(j) in WEEKDAYS and s.tok(j).endswith("s"):
            days.append(WEEKDAYS[s.tok(j)])
            j += 1
            if s.tok(j) in (",", "and", "&", "/") and s.tok(j + 1) in WEEKDAYS:
                j += 1
        if w != "on" and not _clock_follows(s, j):
            return None  # "Mondays are busy"; "Mondays at 10" recurs
        rec = Rec("WEEKLY", 1, tuple(sorted(set(days))))
    else:
        return None
    # trailing details: "on Monday", "on the 1st", "on the last day", "at the end of the month"
    k = j
    if rec.freq == "WEEKLY" and not rec.byday:
        kk = k
        if s.tok(kk) == "on":
            kk += 1
        days2: list[int] = []
        while s.tok(kk) in WEEKDAYS:
            days2.append(WEEKDAYS[s.tok(kk)])
            kk += 1
            if s.tok(kk) in (",", "and", "&") and s.tok(kk + 1) in WEEKDAYS:
                kk += 1
        if days2:
            rec.byday = tuple(sorted(set(days2)))
            k = kk
    if rec.freq == "YEARLY" and rec.bymonth is None:
        kk = k + 1 if s.tok(k) in ("on", "in") else k
        md = _m_monthdate(s, kk) if s.tok(kk) in MONTHS or (kk < s.n and s.isnum[kk]) else None
        if md is not None and md.ymd is not None and md.ymd[0] is None:
            rec.bymonth, rec.bymonthday = md.ymd[1], md.ymd[2]
            k = md.tj
    if rec.freq == "MONTHLY":
        kk = k
        if s.tok(kk) in ("on", "at", ","):
            kk += 1
        if s.tok(kk) == "the":
            kk += 1
        nth = _nth_weekday(s, kk)
        if nth is not None:
            # "every month on the first Monday", "monthly on the last Friday"
            k, rec.byday_n, wd = nth
            rec.byday = (wd,)
            tail = _of_the_month(s, k)
            k = tail if tail is not None else k
        elif s.tok(kk) == "last" and s.tok(kk + 1) == "day":
            rec.bymonthday = -1
            k = kk + 2
        elif s.tok(kk) == "end" and (s.tok(kk + 1) == "of" or s.boundary(kk + 1)):
            rec.bymonthday = -1
            k = kk + 1
            if s.tok(k) == "of" and s.tok(k + 1) in ("the", "month"):
                k += 2 if s.tok(k + 1) == "the" else 1
                if s.tok(k) == "month":
                    k += 1
        else:
            r = s.day_number(kk)
            if r is not None and (r[2] or s.tok(kk - 1) == "the"):
                rec.bymonthday = r[1]
                k = r[0]
                if s.tok(k) == "day":
                    k += 1
    a = Atom(i, k, rec=rec)
    if pod is not None:
        a.pod = pod
    if w in _FREQ_WORDS and k == i + 1 and s.is_word(k) and s.tok(k) not in _REC_FOLLOWERS:
        a.adjective = True
    return a


def _nth_weekday(s: Scanner, j: int) -> tuple[int, int, int] | None:
    """ "first Monday", "2nd Tuesday", "last Friday" at j → (end, n, weekday); last is -1."""
    if s.tok(j) == "last":
        o: tuple[int, int] | None = (j + 1, -1)
    else:
        o = s.ordinal_word(j)
        if o is None and j < s.n and s.isnum[j] and s.tok(j + 1) in ORDINAL_SUFFIXES and \
                s.glued(j):
            o = (j + 2, int(s.raw[j]))
    if o is None or not (1 <= o[1] <= 5 or o[1] == -1) or s.tok(o[0]) not in WEEKDAYS:
        return None
    return o[0] + 1, o[1], WEEKDAYS[s.tok(o[0])]


_PLURAL_WEEKDAYS: Final = frozenset(w for w in WEEKDAYS if w.endswith("s") and w not in (
    "tues", "thurs", "weds"))


def _clock_follows(s: Scanner, j: int) -> bool:
    """A time of day starts at token j: "at 9", "@ 10", "9am", "10:30", "mornings"."""
    t = s.tok(j)
    return t in ("at", "@", "around") or (j < s.n and s.isnum[j]) or t in PARTS_OF_DAY


def _of_the_month(s: Scanner, k: int) -> int | None:
    """ "of the month" / "of each month" / "of every month" / "of month" at k → end, or None."""
    if s.tok(k) != "of":
        return None
    if s.tok(k + 1) in ("the", "each", "every", "this") and s.tok(k + 2) == "month":
        return k + 3
    if s.tok(k + 1) == "month":
        return k + 2
    return None


def _every_nth(s: Scanner, i: int, j: int) -> Atom | None:
    """After "every": "first Monday (of the month)", "last Friday", "2nd Tuesday" (every other
    one), "15th of the month", "last day of the month"."""
    o = s.ordinal_word(j)
    if o is None and j < s.n and s.isnum[j] and s.tok(j + 1) in ORDINAL_SUFFIXES and s.glued(j):
        o = (j + 2, int(s.raw[j]))
    if o is None and s.tok(j) == "last":
        o = (j + 1, -1)
    if o is None:
        return None
    k, n = o
    if s.tok(k) in WEEKDAYS:
        wd = WEEKDAYS[s.tok(k)]
        tail = _of_the_month(s, k + 1)
        if tail is not None and (1 <= n <= 5 or n == -1):
            return Atom(i, tail, rec=Rec("MONTHLY", 1, (wd,), byday_n=n))
        if n == 2:
            return Atom(i, k + 1, rec=Rec("WEEKLY", 2, (wd,)))  # every second Tuesday
        if 1 <= n <= 5 or n == -1:
            return Atom(i, k + 1, rec=Rec("MONTHLY", 1, (wd,), byday_n=n))
        return None
    if n == -1 and s.tok(k) == "day":
        tail = _of_the_month(s, k + 1)
        if tail is not None:
            return Atom(i, tail, rec=Rec("MONTHLY", 1, (), -1))
        return None
    if s.tok(k) == "day" and s.tok(k + 1) == "of":
        k += 1
    tail = _of_the_month(s, k)
    if tail is not None and 1 <= n <= 31:
        return Atom(i, tail, rec=Rec("MONTHLY", 1, (), n))
    return None


def _m_monthly_prefix(s: Scanner, i: int) -> Atom | None:
    """ "the 1st of every month", "on the last day of each month", "the 15th of each month"."""
    j = i
    if s.tok(j) == "on":
        j += 1
    if s.tok(j) == "the":
        j += 1
    md: int | None = None
    if s.tok(j) == "last" and s.tok(j + 1) == "day":
        md = -1
        j += 2
    elif s.tok(j) == "end":
        md = -1
        j += 1
    else:
        r = s.day_number(j)
        if r is None:
            return None
        j, md = r[0], r[1]
        if s.tok(j) == "day":
            j += 1
    if s.tok(j) != "of" or s.tok(j + 1) not in ("every", "each") or s.tok(j + 2) != "month":
        return None
    return Atom(i, j + 3, rec=Rec("MONTHLY", 1, (), md))


_OTHER_CALENDARS: Final = frozenset({"islamic", "hijri", "arabic", "chinese", "lunar",
                                     "jewish", "persian", "hindu", "tamil", "thai",
                                     "vietnamese", "korean", "orthodox"})


def _m_holiday(s: Scanner, i: int) -> Atom | None:
    """ "Christmas", "next Easter", "black friday 2010", "independence day of this year"."""
    j = i
    mod: str | None = None
    w = s.tok(j)
    if w in ("next", "last", "previous", "following", "this", "coming"):
        mod = {"previous": "last", "coming": "next"}.get(w, w)
        j += 1
    words: list[str] = []
    ends: list[int] = []
    k = j
    while k < s.n and len(words) < MAX_HOLIDAY_TOKENS:
        t = s.low[k]
        if t in ("'", "’"):
            k += 1
            continue
        if not (t[0].isalpha() or t == "."):
            break
        words.append(t)
        ends.append(k + 1)
        k += 1
    if not words or words[0] not in HOLIDAY_FIRST_WORDS:
        return None
    for n in range(len(words), 0, -1):
        name = tuple(words[:n])
        if name in HOLIDAYS:
            end = ends[n - 1]
            if name == ("may", "day") and s.raw[j][0] == "m":
                return None
            if s.tok(i - 1) in _OTHER_CALENDARS and mod is None:
                return None  # "Islamic New Year", "Chinese New Year": not 1 January
            a = Atom(i, end, hol=name, wmod=mod)
            yr = s.year_digits(end, False)
            if yr is not None:
                a.tj, a.year = yr
            elif s.tok(end) == "of" and s.tok(end + 1) in ("this", "next", "last") and \
                    s.tok(end + 2) == "year":
                a.tj = end + 3
                a.ymd_mod = s.tok(end + 1)
            elif s.is_word(end) and s.low[end] not in _BARE_HOUR_FOLLOWERS:
                a.weak = True  # "the Christmas party": it names the party; "by Christmas" counts
            return a
    return None


def _m_unit_end(s: Scanner, i: int) -> Atom | None:
    """ "by month end", "at year-end", "before quarter end": the end of this period.  Weak:
    "the month-end close" names a task unless a connector leads in."""
    j = i + 1 if s.tok(i) == "the" else i
    unit = {"month": "month", "quarter": "quarter", "qtr": "quarter", "year": "year"}.get(
        s.tok(j))
    if unit is None:
        return None
    k = j + 1
    if s.tok(k) == "-" and s.glued(j) and s.glued(k):
        k += 1
    if s.tok(k) != "end":
        return None
    return Atom(i, k + 1, period=(unit, 0, "end"), weak=True)


def _m_range_end_day(s: Scanner, i: int) -> Atom | None:
    """ "Dec 1-5", "Dec 21 to 24": a day number that ends a range begun by a month-day is a
    day of that month."""
    if not s.atoms or i < 1 or s.low[i - 1] not in ("-", "–", "—", "to", "through", "thru",
                                                     "until", "till"):
        return None
    prev = s.atoms[-1]
    if prev.tj != i - 1 or prev.ymd is None or prev.hm is not None or prev.ymd_alt is not None \
            or prev.week_of:
        return None
    raw = s.raw[i]
    y, m, d1 = prev.ymd
    nxt = s.tok(i + 1)
    ordinal = nxt in ORDINAL_SUFFIXES and s.glued(i)
    if len(raw) > 2 or not d1 < int(raw) <= 31 or not (ordinal or s.number_end_ok(i + 1)):
        return None
    after = i + 2 if ordinal else i + 1
    nxt = s.tok(after)
    if nxt in MONTHS or nxt in UNITS or nxt in (":", "/", "-") or s.meridiem(after) is not None \
            or (nxt == "." and not s.boundary(after + 1)):
        return None  # "Dec 1-5pm", "Dec 1-5 days", "Dec 1-5.3"
    return Atom(i, after, ymd=(y, m, int(raw)))


_NUM_MATCHERS: Final[tuple[Callable[[Scanner, int], Atom | None], ...]] = (
    _m_range_end_day, _m_time_num, _m_numeric_date, _m_monthdate, _m_offset, _m_ordinal_day,
    _m_past_to, _m_year, _m_weekday, _m_period,
)


def _build_dispatch() -> dict[str, tuple[Callable[[Scanner, int], Atom | None], ...]]:
    table: dict[str, list[Callable[[Scanner, int], Atom | None]]] = {}

    def add(words: object, *fns: Callable[[Scanner, int], Atom | None]) -> None:
        assert isinstance(words, (list, tuple, set, frozenset, dict))
        for wd in words:
            lst = table.setdefault(str(wd), [])
            for f in fns:
                if f not in lst:
                    lst.append(f)

    add([*list(_TODAY_WORDS), "tonight", "tonite", "2moro", "right", "just"], _m_relday)
    add(["the"], _m_relday, _m_eod, _m_ordinal_day, _m_monthdate, _m_period, _m_weekday,
        _m_monthly_prefix, _m_year)
    add(["year"], _m_year)
    add(["next"], _m_relday, _m_weekday, _m_period)
    add(["this"], _m_relday, _m_weekday, _m_period)
    add(["last"], _m_relday, _m_weekday, _m_period)
    add(["day", "later", "first", "same"], _m_relday)
    add(["eod", "cob", "eob", "close", "end"], _m_eod)
    add(["end", "beginning", "start", "middle", "mid", "early", "late", "eow", "eom", "eoq",
         "eoy", "q", "midweek", "later", "current", "weekend", "coming", "upcoming", "following",
         "previous", "prev", "past"], _m_period)
    add(["early", "late", "mid"], _m_pod)
    add([*list(PARTS_OF_DAY), "in", "at", "around", "about"], _m_pod)
    add(list(MONTHS), _m_monthdate)
    add(list(WEEKDAYS) + list(_WMODS), _m_weekday)
    add(["in", "within", "after", "over", "about", "around", "approximately", "approx", "roughly",
         "nearly", "almost", "over", "just", "a", "an", "few", "couple", "several", "half",
         *UNITS_WORDS, *TENS_WORDS], _m_offset)
    add(list(UNITS_WORDS) + list(TENS_WORDS), _m_time_words, _m_past_to, _m_monthdate,
        _m_weekday)
    add(["a", "quarter", "half"], _m_past_to)
    add(list(ORDINAL_UNITS) + list(ORDINAL_TENS), _m_monthdate, _m_weekday, _m_period,
        _m_ordinal_day)
    add(["first", "last", "week"], _m_period)
    add(["the", "month", "quarter", "qtr", "year"], _m_unit_end)
    add([*list(_FREQ_WORDS), "every", "each", "evry", "bi", "on", "weekdays", "workdays",
         "weekends", *_PLURAL_WEEKDAYS], _m_recurrence)
    add(["on"], _m_ordinal_day, _m_monthly_prefix)
    add([*HOLIDAY_FIRST_WORDS, "next", "last", "previous", "following", "this", "coming"],
        _m_holiday)
    return {k: tuple(v) for k, v in table.items()}


_WORD_DISPATCH: Final = _build_dispatch()

__all__ = ["Atom", "Duration", "Rec", "Scanner"]
