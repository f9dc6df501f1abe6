"""Word tables and the tokenizer for the English date/time resolver (`core.nlp.time_en`).

Everything here is plain data built at import time: month and weekday names, number words,
ordinals, duration units and the small word classes the grammar tests tokens against.
"""

from __future__ import annotations

import re
from typing import Final

# Tokens: a run of letters (split where a lower-case letter meets an upper-case one, so
# "2pmTuesday" gives "pm", "Tuesday"), a run of digits, or one other visible character.
TOKEN_RE: Final = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+|[^\sA-Za-z\d]")

MONTHS: Final[dict[str, int]] = {
    "january": 1, "jan": 1,
    "february": 2, "feb": 2, "febr": 2,
    "march": 3, "mar": 3,
    "april": 4, "apr": 4,
    "may": 5,
    "june": 6, "jun": 6,
    "july": 7, "jul": 7,
    "august": 8, "aug": 8,
    "september": 9, "sep": 9, "sept": 9,
    "october": 10, "oct": 10,
    "november": 11, "nov": 11,
    "december": 12, "dec": 12,
}  # fmt: skip

WEEKDAYS: Final[dict[str, int]] = {
    "monday": 0, "mon": 0, "mondays": 0,
    "tuesday": 1, "tue": 1, "tues": 1, "tuesdays": 1,
    "wednesday": 2, "wed": 2, "weds": 2, "wednesdays": 2,
    "thursday": 3, "thu": 3, "thur": 3, "thurs": 3, "thursdays": 3,
    "friday": 4, "fri": 4, "fridays": 4,
    "saturday": 5, "sat": 5, "saturdays": 5,
    "sunday": 6, "sun": 6, "sundays": 6,
}  # fmt: skip

# Abbreviations that are everyday words ("sat on it", "the sun"): need context to count.
WEAK_WEEKDAYS: Final = frozenset({"sat", "sun", "wed"})

RRULE_DAY: Final = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")

UNITS_WORDS: Final[dict[str, int]] = {
    "zero": 0, "oh": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
    "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17,
    "eighteen": 18, "nineteen": 19,
}
TENS_WORDS: Final[dict[str, int]] = {
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
    "eighty": 80, "ninety": 90,
}
ORDINAL_UNITS: Final[dict[str, int]] = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
    "eighth": 8, "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13,
    "fourteenth": 14, "fifteenth": 15, "sixteenth": 16, "seventeenth": 17, "eighteenth": 18,
    "nineteenth": 19,
}
ORDINAL_TENS: Final[dict[str, int]] = {"twentieth": 20, "thirtieth": 30}
ORDINAL_SUFFIXES: Final = frozenset({"st", "nd", "rd", "th"})

# Duration units → (field, multiplier).  Fields: years, months, weeks, days, hours, minutes,
# seconds, workdays.
UNITS: Final[dict[str, tuple[str, int]]] = {
    "year": ("years", 1), "years": ("years", 1), "yr": ("years", 1), "yrs": ("years", 1),
    "y": ("years", 1),
    "month": ("months", 1), "months": ("months", 1), "mo": ("months", 1), "mos": ("months", 1),
    "mth": ("months", 1), "mths": ("months", 1),
    "week": ("weeks", 1), "weeks": ("weeks", 1), "wk": ("weeks", 1), "wks": ("weeks", 1),
    "w": ("weeks", 1), "fortnight": ("weeks", 2), "fortnights": ("weeks", 2),
    "quarters": ("months", 3),
    "day": ("days", 1), "days": ("days", 1), "d": ("days", 1),
    "hour": ("hours", 1), "hours": ("hours", 1), "hr": ("hours", 1), "hrs": ("hours", 1),
    "h": ("hours", 1),
    "minute": ("minutes", 1), "minutes": ("minutes", 1), "min": ("minutes", 1),
    "mins": ("minutes", 1), "m": ("minutes", 1),
    "second": ("seconds", 1), "seconds": ("seconds", 1), "sec": ("seconds", 1),
    "secs": ("seconds", 1), "s": ("seconds", 1),
    "workday": ("workdays", 1), "workdays": ("workdays", 1),
    "weekday": ("workdays", 1), "weekdays": ("workdays", 1),
}  # fmt: skip
# "working day(s)", "business day(s)": adjective before "day(s)".
WORKDAY_ADJ: Final = frozenset({"working", "business", "work", "workday", "biz"})

# Parts of the day → default hour, and whether an hour said with it is after noon.
PARTS_OF_DAY: Final[dict[str, tuple[int, int, bool | None]]] = {
    "morning": (9, 0, False), "mornings": (9, 0, False), "am": (9, 0, False),
    "afternoon": (14, 0, True), "afternoons": (14, 0, True), "pm": (14, 0, True),
    "evening": (20, 0, True), "evenings": (20, 0, True), "eve": (20, 0, True),
    "night": (20, 0, True), "nights": (20, 0, True), "tonight": (20, 0, True),
    "tonite": (20, 0, True),
    "noon": (12, 0, True), "midday": (12, 0, True), "noonish": (12, 0, True),
    "lunchtime": (12, 0, True), "lunch": (12, 0, True),
    "midnight": (0, 0, False),
}  # fmt: skip

# Words that may sit between two parts of one expression ("Friday at 5pm", "4th of July").
GLUE_WORDS: Final = frozenset({"at", "on", "of", "the", "around", "about", "approx",
                               "approximately", "circa", "ca", "for", "by", "in", "roughly",
                               "say", "latest", "before", "until", "till", "due", "from"})
GLUE_PUNCT: Final = frozenset({",", "-", "(", ")", "@", ".", "/", "[", "]", "–", "—", ":", "~"})

# Connectors that lead into an expression and belong to its span.
POINT_CONNECTORS: Final = frozenset({"by", "before", "due", "on", "at", "until", "till", "til",
                                     "around", "about", "approx", "approximately", "circa",
                                     "no", "not", "later", "than", "deadline", "during",
                                     "for", "in", "within", "of", "since", "after", "the",
                                     "as", "soon", "@", "eta", "sometime", "anytime"})
START_CONNECTORS: Final = frozenset({"starting", "from", "beginning", "start", "starts",
                                     "commencing", "effective", "begin", "begins",
                                     "between"})

# Time zones written after a clock time ("9am PST", "14:00 UTC", "10:30 ET"): minutes east of
# UTC, or an IANA name where the abbreviation leaves daylight saving open.  Two letters count
# only in capitals ("ET", not "et al.").  CST (US Central or China) and IST
# (India, Ireland, Israel) are ambiguous and left out.
ZONES: Final[dict[str, int | str]] = {
    "utc": 0, "gmt": 0,
    "est": -300, "edt": -240, "et": "America/New_York",
    "cdt": -300, "ct": "America/Chicago",
    "mst": -420, "mdt": -360, "mt": "America/Denver",
    "pst": -480, "pdt": -420, "pt": "America/Los_Angeles",
    "cet": 60, "cest": 120, "bst": 60, "wet": 0, "west": 60, "eet": 120, "eest": 180,
    "jst": 540, "kst": 540, "sgt": 480, "hkt": 480, "aest": 600, "aedt": 660,
}  # fmt: skip
