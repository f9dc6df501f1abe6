"""Text normalisation for the rule parser: full-width forms, traditional time words, numerals.

`normalize` returns the cleaned text together with an offset map back into the original, so
spans found in the clean text can be cut out of the text exactly as the user wrote it.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final

# Full-width ASCII (U+FF01..U+FF5E) sits at a fixed distance from ASCII; U+3000 is the CJK space.
_FULLWIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
_FULLWIDTH[0x3000] = 0x20

# Traditional characters that appear in time, priority, wrapper and intent words; mapping them
# one-to-one lets a single simplified grammar serve both scripts.
_TRAD = (
    "週周禮礼後后個个點点時时鐘钟號号兩两間间內内開开從从幾几這这頭头淩凌農农曆历節节聖圣誕诞"
    "慶庆勞劳動动兒儿婦妇緊紧優优級级預预計计務务請请煩烦幫帮記记遲迟給给轉转為为於于來来"
    "過过嗎吗麼么們们項项詢询顯显報报會会週周該该讓让準准備备鐘钟歲岁樣样發发單单關关閉闭"
    "畢毕實实現现並并隊队國国邊边晝昼說说邏逻輯辑複复測测試试應应"
)
_TRAD_MAP = {ord(_TRAD[i]): ord(_TRAD[i + 1]) for i in range(0, len(_TRAD) - 1, 2)}

_TABLE: dict[int, int] = {**_FULLWIDTH, **_TRAD_MAP}

# Unicode spaces read as plain spaces; invisible characters (controls, zero-width, bidi marks)
# are what forces the slow path in `normalize`.
for _code in (0x00A0, *range(0x2000, 0x200B), 0x2028, 0x2029, 0x202F, 0x205F):
    _TABLE[_code] = 0x20
_INVISIBLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f"
                        r"\u202a-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb\ud800-\udfff\ue000-\uf8ff]")
_CJK_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")

_CN_DIGITS = {
    "零": 0, "〇": 0, "○": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4,
    "五": 5, "六": 6, "七": 7, "八": 8, "九": 9,
}  # fmt: skip
_CN_UNITS = {"十": 10, "百": 100, "千": 1000, "万": 10000}


def _dropped(ch: str) -> bool:
    """Control, format (zero-width, RTL marks) and other invisible characters carry no meaning."""
    if ch in "\t\n\r":
        return False
    return unicodedata.category(ch) in {"Cc", "Cf", "Cs", "Co", "Cn"}


def normalize(text: str) -> tuple[str, list[int]]:
    """Return the cleaned text and, per clean character, its offset in `text` (plus a final end)."""
    if _INVISIBLE.search(text) is None:
        # Nothing to drop: a one-to-one translation keeps every offset (the common case).
        return _words(text.translate(_TABLE)), list(range(len(text) + 1))
    chars: list[str] = []
    offsets: list[int] = []
    for i, ch in enumerate(text):
        code = ord(ch)
        if code < 0x80:
            chars.append(ch)
            offsets.append(i)
            continue
        if _dropped(ch):
            continue
        mapped = _TABLE.get(code)
        if mapped is not None:
            chars.append(chr(mapped))
        elif ch.isspace():
            chars.append(" ")
        else:
            chars.append(ch)
        offsets.append(i)
    offsets.append(len(text))
    return _words("".join(chars)), offsets


def _words(text: str) -> str:
    """Same-length word swaps: Taiwan's 工作天 is the mainland's 工作日."""
    return text.replace("工作天", "工作日") if "工作天" in text else text


def as_written(original: str, offsets: list[int], start: int, end: int) -> str:
    """The clean-text stretch [start, end) as the user wrote it, full-width letters and digits
    folded to ASCII: a name keeps its traditional characters (`#業務`, `@黃國強`)."""
    if end <= start:
        return ""
    return original[offsets[start]:offsets[end - 1] + 1].translate(_FULLWIDTH)


def has_cjk(text: str) -> bool:
    """Return True when `text` holds a CJK ideograph."""
    return _CJK_RE.search(text) is not None


# `一两天`, `两三个月`, `三五天`: a rough count names its upper bound.  (Years read digit by
# digit, `二三年` = 2023, are another matter: callers use this only before a unit of time.)
_APPROX: Final = {"一两": 2, "两三": 3, "三四": 4, "三五": 5, "四五": 5, "五六": 6, "六七": 7,
                  "七八": 8, "八九": 9}


def approx_count(token: str) -> int | None:
    """The upper bound of a rough count (`两三` → 3), or None when `token` is not one."""
    return _APPROX.get(token.strip())


def cn_to_int(token: str) -> int | None:
    """Read ASCII digits or a Chinese numeral (`十五`, `两千零四`, `廿九`, `二零零四`) as an int."""
    if not token:
        return None
    if token.isascii():
        return int(token) if token.isdigit() else None
    if token[0] in "廿卅":
        base = 20 if token[0] == "廿" else 30
        rest = token[1:]
        if not rest:
            return base
        last = _CN_DIGITS.get(rest)
        return None if last is None else base + last
    if all(ch in _CN_DIGITS for ch in token):
        if len(token) == 1:
            return _CN_DIGITS[token]
        # A run of bare digits is read digit by digit, as in years: 二零零四 → 2004.
        value = 0
        for ch in token:
            value = value * 10 + _CN_DIGITS[ch]
        return value
    total = 0
    section = 0
    digit: int | None = None
    for ch in token:
        if ch in _CN_DIGITS:
            digit = _CN_DIGITS[ch]
        elif ch in _CN_UNITS:
            unit = _CN_UNITS[ch]
            if unit == 10000:
                total += (section + (digit or 0)) * unit
                section = 0
            else:
                # A leading 十 means one ten: 十五 → 15.
                section += (1 if digit is None else digit) * unit
            digit = None
        elif ch.isdigit() and ch.isascii():
            digit = (digit or 0) * 10 + int(ch)
        else:
            return None
    return total + section + (digit or 0)
