"""English text normalisation for the Kokoro front-end.

``normalize(text)`` rewrites text into plain words that the lexicon G2P can read. Text is cut into
paragraphs (blank lines) and, conservatively, into *segments* (sentences, never after an
abbreviation; an overlong run of text without sentence ends is cut at clause punctuation or between
two lower-case words), and each segment is normalised on its own, so that ``segments`` +
``normalize_segment`` let the chunker normalise lazily, and every rule runs in time linear in the
text (no regex may backtrack over an unbounded run: runs of spaces are collapsed first, digit runs
are anchored with ``(?<![0-9])`` and context is looked at through bounded windows).

The families, in the order they run on a segment (one small function each):

* ``_whitespace`` / ``_punctuation``: control and zero-width characters removed, exotic spaces and
  runs of spaces -> one space; curly quotes -> straight, dashes -> ``—`` (an en dash between numbers
  -> "to"), ``...`` -> ``…``; non-ASCII digits -> ASCII;
* ``_web``: URLs and e-mail addresses ("example dot com slash docs", "jane dot doe at example dot org");
* ``_phone_numbers``: digit by digit, groups separated by commas;
* ``_dates``: ISO (2024-03-15), numeric (3/15/2024, 15.03.2024), month names and abbreviations
  (Jan. 5, Sept 2021, 5 March 2024) -> "March fifteenth, twenty twenty four";
* ``_ranges``: 10-15 -> "10 to 15" (numbers and clock times);
* ``_abbreviations``: titles, Dr./St. (Doctor/Drive, Saint/Street), e.g., i.e., vs., No. 5, Fig. 3...;
* ``_currency``: $ £ € ¥ ₹ ₩ and the codes USD EUR GBP JPY INR CHF, scales (k, m, bn, million),
  negative amounts (-$5 -> "minus five dollars");
* ``_times``: 3:30 pm, 10:30:15, 3pm;
* ``_units``: a number followed by km, m, cm, mm, kg, g, lb, mph, km/h, °C, °F, KB, MB, GB, TB, ms,
  Hz, kHz ... (singular for 1);
* ``_roman_numerals``: Henry VIII -> "Henry the eighth", Chapter IV -> "Chapter four",
  World War II -> "World War two" (only after a regnal name or a word like Chapter; "I", "MIX" and
  other words are left alone);
* ``_numbers``: fractions, percentages, ordinals, decades (80s, '90s, 1990s), years (in 1984) vs
  plain numbers (2048 bytes, 1500 people), decimals, cardinals, negatives;
* ``_symbols`` (& + = @ % ° ...) and ``_spacing``.

All number words come from ``num2words`` (cardinal, ordinal, year). Hyphens and commas num2words
puts in number words are removed and its British "and" inside numbers ("one hundred and one") is
dropped, as misaki does. Sentence punctuation Kokoro uses (. , ! ? ; : — … quotes, parentheses) is kept.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Iterator

from num2words import num2words

__all__ = ["normalize", "normalize_segment", "paragraphs", "segments", "NON_TERMINAL_ABBREVIATIONS",
           "number_words"]

# Abbreviations after which a period does not end a sentence in *normalised* text (the chunker's
# list: titles are spelled out by then, and "No." before a number has become "number", so "no." is
# a word that can end a sentence: "I said no.").
NON_TERMINAL_ABBREVIATIONS = frozenset(
    ["mr", "mrs", "ms", "dr", "prof", "st", "mt", "vs", "e.g", "i.e", "approx", "fig", "cf", "ca"]
)

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December")
_MONTH_ABBREVIATIONS = {"Jan": 1, "Feb": 2, "Mar": 3, "Apr": 4, "Jun": 6, "Jul": 7, "Aug": 8, "Sep": 9,
                        "Sept": 9, "Oct": 10, "Nov": 11, "Dec": 12}

# Abbreviations after which a period never ends a *raw* segment (checked before normalising).
_RAW_ABBREVIATIONS = NON_TERMINAL_ABBREVIATIONS | {
    "no", "nos", "jr", "sr", "gen", "capt", "sgt", "rev", "gov", "sen", "rep", "inc", "ltd", "co",
    "corp", "ave", "blvd", "rd", "vol", "ch", "p", "pp", "figs", "eg", *(m.lower() for m in _MONTH_ABBREVIATIONS)}

_MAX_INT_DIGITS = 15  # longer digit strings are read digit by digit (and never passed to int())


# --- number words ----------------------------------------------------------------------------------

def _clean(words: str) -> str:
    """num2words output -> plain space-separated words (no hyphens, commas or inner 'and')."""
    words = words.replace("-", " ").replace(",", "")
    words = re.sub(r"\band\b", " ", words)
    return re.sub(r"\s+", " ", words).strip()


def _digits(s: str) -> str:
    return " ".join(_DIGIT_WORDS[c] for c in s if c in _DIGIT_WORDS)


_DIGIT_WORDS = dict(zip("0123456789", "zero one two three four five six seven eight nine".split()))


def number_words(num: str) -> str:
    """Cardinal/decimal digits (thousands commas allowed, leading '-') -> words."""
    num = num.replace(",", "")
    neg = num.startswith("-")
    num = num.lstrip("-")
    if "." in num:
        whole, _, frac = num.partition(".")
        out = ((number_words(whole) if whole else "") + " point " + _digits(frac)).strip()
    elif not num:
        return ""
    elif len(num) > 1 and num.startswith("0") or len(num) > _MAX_INT_DIGITS:
        out = _digits(num)  # codes, phone-like strings: digit by digit
    else:
        out = _clean(num2words(int(num)))
    return ("minus " + out) if neg else out


def ordinal_words(num: str) -> str:
    num = num.replace(",", "")
    if len(num) > _MAX_INT_DIGITS:
        return _digits(num)
    return _clean(num2words(int(num), to="ordinal"))


def _year_words(y: int) -> str:
    return _clean(num2words(y, to="year"))


def _pluralise(words: str) -> str:
    head, _, last = words.rpartition(" ")
    last = last[:-1] + "ies" if last.endswith("y") else last + "s"
    return f"{head} {last}".strip()


def _ends_sentence(text: str, pos: int) -> bool:
    """Does the text from ``pos`` on start a new sentence (end, line break, or a capital next)?"""
    return _SENTENCE_NEXT_RE.match(text, pos) is not None


_SENTENCE_NEXT_RE = re.compile(r"\s*$|\s*\n| [\"(]?[A-Z]")


def _word_before(text: str, pos: int) -> str:
    """The word just before ``pos`` (looked for in a bounded window)."""
    m = _LAST_WORD_RE.search(text, max(0, pos - 40), pos)
    return m.group(1) if m else ""


_LAST_WORD_RE = re.compile(r"([A-Za-z']+)[.,]? ?$")


# --- paragraphs and segments -----------------------------------------------------------------------

_LINE_BREAKS = str.maketrans({"\r": "\n", "\x0b": "\n", "\x0c": "\n", "\x1c": "\n", "\x1d": "\n",
                              "\x1e": "\n", "\x85": "\n", "\u2028": "\n", "\u2029": "\n\n"})
_PARAGRAPH_BREAK_RE = re.compile(r"\n[^\S\n]*\n\s*")


def paragraphs(text: str) -> Iterator[str]:
    """The paragraphs of ``text`` (separated by blank lines), lazily, raw and stripped."""
    text = text.replace("\r\n", "\n").translate(_LINE_BREAKS)
    start = 0
    for m in _PARAGRAPH_BREAK_RE.finditer(text):
        if text[start:m.start()].strip():
            yield text[start:m.start()].strip()
        start = m.end()
    if text[start:].strip():
        yield text[start:].strip()


# A sentence end in raw text: a run of . ! ? … (anchored at its start, so a long run is tried once),
# closing quotes/brackets, then a space and something that starts a sentence.
_RAW_END_RE = re.compile(r"(?<![.!?…])[.!?…]+[\"'”’)\]]*(?=\s+[\"'“‘(\[]?[A-Z0-9])")
_INITIALISM_RE = re.compile(r"(?:[A-Za-z]\.)*[A-Za-z]")
SEGMENT_CHARS = 1500  # longer runs without a sentence end are cut (at clauses, else between words)
_CLAUSE_CUT_RE = re.compile(r"[,;:—](?= [^0-9\s])")
_LOWER_WORDS_CUT_RE = re.compile(r"(?<=[a-z][a-z]) (?=[a-z][a-z])")
_ALPHA_CUT_RE = re.compile(r"(?<=[^\W\d]) (?=[^\W\d])")
_ANY_SPACE_RE = re.compile(r"\s")


def _raw_sentence_end(para: str, m: re.Match) -> bool:
    if m.group().startswith(".") and len(m.group().rstrip("\"'”’)]")) == 1:
        start = max(0, m.start() - 40)
        w = para[start:m.start()].rsplit(None, 1)[-1] if para[start:m.start()].strip() else ""
        w = w.lstrip("\"'“‘([")
        if w.lower() in _RAW_ABBREVIATIONS or _INITIALISM_RE.fullmatch(w):
            return False
    return True


def _cut_long(seg: str) -> Iterator[str]:
    """Cut a segment longer than ``SEGMENT_CHARS`` at clause punctuation, else between two words
    (lower-case first: never inside "March 15", "Henry VIII", "10 km"), never inside a word."""
    while len(seg) > SEGMENT_CHARS:
        cut = None
        for regex in (_CLAUSE_CUT_RE, _LOWER_WORDS_CUT_RE, _ALPHA_CUT_RE, _ANY_SPACE_RE):
            last = None
            for last in regex.finditer(seg, SEGMENT_CHARS // 2, SEGMENT_CHARS):
                pass
            if last is not None:
                cut = last.end()
                break
        if cut is None:  # one very long word: up to the next space
            m = _ANY_SPACE_RE.search(seg, SEGMENT_CHARS)
            if m is None:
                break
            cut = m.end()
        head = seg[:cut].strip()
        if head:
            yield head
        seg = seg[cut:].lstrip()
    if seg.strip():
        yield seg.strip()


def segments(paragraph: str) -> Iterator[str]:
    """Raw sentences of a paragraph, lazily; never cut after an abbreviation ("Dr. Smith", "No. 5",
    "U.S. Army"), so that each can be normalised on its own. Long ones are cut (``_cut_long``)."""
    start = 0
    for m in _RAW_END_RE.finditer(paragraph):
        if _raw_sentence_end(paragraph, m):
            seg = paragraph[start:m.end()].strip()
            if seg:
                yield from _cut_long(seg)
            start = m.end()
    if paragraph[start:].strip():
        yield from _cut_long(paragraph[start:].strip())


# --- whitespace and punctuation ---------------------------------------------------------------------

# controls (but \n), zero-width and bidi formatting characters, the BOM, variation selectors, lone
# surrogates (from undecodable bytes)
_INVISIBLE_RE = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064"
                           r"\u2066-\u206f\ufeff\ufe00-\ufe0f\ud800-\udfff]")
_SPACES_RE = re.compile(r"[^\S\n]+")
_NEWLINES_RE = re.compile(r" ?\n[ \n]*")
_NON_ASCII_DIGIT_RE = re.compile(r"(?![0-9])\d")  # ٣, ３, ...


def _ascii_digit(m: re.Match) -> str:
    return str(unicodedata.digit(m.group(), 0))


_COMBINING_RE = re.compile(r"[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")


def _whitespace(text: str) -> str:
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").translate(_LINE_BREAKS))
    text = _COMBINING_RE.sub("", text)  # marks left over after composing (zalgo text): dropped
    text = text.replace("\t", " ")
    text = _INVISIBLE_RE.sub("", text)
    text = _SPACES_RE.sub(" ", text)  # exotic spaces and runs of spaces -> one space
    text = _NEWLINES_RE.sub(lambda m: "\n\n" if m.group().count("\n") > 1 else " ", text)
    return _NON_ASCII_DIGIT_RE.sub(_ascii_digit, text)


_EN_DASH_BETWEEN_NUMBERS_RE = re.compile(r"(?<=[0-9]) ?[\u2013\u2012] ?(?=[0-9])")
_DASH_RE = re.compile(r" ?(?:[\u2012\u2013\u2014\u2015\u2e3a]|--+) ?")
_SPACED_HYPHEN_RE = re.compile(r"(?<=\w) - (?=\w)")
_ELLIPSIS_RE = re.compile(r"\.\.\.+|\. \. \.")


def _punctuation(text: str) -> str:
    text = re.sub(r"[\u2018\u2019\u201a\u201b\u2032\u00b4`]", "'", text)
    text = re.sub(r"[\u201c\u201d\u201e\u201f\u2033\u00ab\u00bb]", '"', text)
    text = text.replace("\u2212", "-").replace("\u2010", "-").replace("\u2011", "-")  # minus, hyphens
    text = _EN_DASH_BETWEEN_NUMBERS_RE.sub(" to ", text)  # 1990–2000
    text = _DASH_RE.sub(" — ", text)
    text = _SPACED_HYPHEN_RE.sub(" — ", text)  # spaced hyphen used as a dash
    return _ELLIPSIS_RE.sub("…", text)


# --- URLs and e-mail addresses -------------------------------------------------------------------------

_TLDS = "com|org|net|edu|gov|io|ai|co|uk|de|fr|dev|app|info|biz|me|tv|us|ca|au|in|jp|ly|gg|eu|nl|ch"
_EMAIL_RE = re.compile(r"(?<![\w.+-])[A-Za-z0-9][\w.+-]{0,63}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){1,8}")
_URL_RE = re.compile(
    r"(?<![\w@/.-])(?:(?:https?|ftp)://|www\.)[^\s<>\"]{1,2000}"
    r"|(?<![\w@/.-])[a-z0-9-]{1,63}(?:\.[a-z0-9-]{1,63}){0,5}\.(?:" + _TLDS + r")(?![\w-])(?:/[^\s<>\"]{0,2000})?")
_URL_SYMBOLS = {".": "dot", "/": "slash", "@": "at", "-": "dash", "_": "underscore", ":": "colon", "?": "question mark",
                "=": "equals", "&": "and", "#": "hash", "%": "percent", "~": "tilde", "+": "plus"}
_URL_PART_RE = re.compile(r"[A-Za-z]+|[0-9]+|.")


def _spell_address(address: str) -> str:
    out = []
    for part in _URL_PART_RE.findall(address):
        if part[0].isdigit():
            out.append(_digits(part))
        elif part.isalpha():
            out.append(" ".join(part) if part.lower() == "www" else part)
        elif part in _URL_SYMBOLS:
            out.append(_URL_SYMBOLS[part])
    return " ".join(out)


def _web(text: str) -> str:
    text = _EMAIL_RE.sub(lambda m: _spell_address(m.group()), text)

    def url(m: re.Match) -> str:
        address = m.group()
        trail = re.search(r"[.,;:!?)\]'\"]+$", address)  # sentence punctuation after the address
        tail = trail.group() if trail else ""
        address = address[: len(address) - len(tail)]
        address = re.sub(r"^(?:https?|ftp)://", "", address).rstrip("/")
        return _spell_address(address) + tail

    return _URL_RE.sub(url, text)


# --- phone numbers ------------------------------------------------------------------------------------

_PHONE_RE = re.compile(
    r"(?<![\w+-])(?:(?P<cc>\+?1)[-. ])?(?P<area>\(\d{3}\)|\d{3})[-. ](?P<ex>\d{3})[-.](?P<line>\d{4})(?![\w-])"
    r"|(?<![\w+])\+(?P<icc>\d{1,3})(?P<rest>(?:[-. ]\(?\d{1,4}\)?){2,5})(?![\w-])"
    r"|(?<![\w+-])(?P<local>0\d{2,4}(?:[- ]\d{3,6}){1,2})(?![\w-])")  # 020 7946 0958, 07700 900123


def _phone_numbers(text: str) -> str:
    def repl(m: re.Match) -> str:
        if m.group("local"):
            groups = [_digits(g) for g in re.findall(r"\d+", m.group("local"))]
        elif m.group("icc"):
            groups = ["plus " + _digits(m.group("icc"))] + [_digits(g) for g in re.findall(r"\d+", m.group("rest"))]
        else:
            groups = [_digits(g) for g in (m.group("cc"), m.group("area"), m.group("ex"), m.group("line")) if g]
            if (m.group("cc") or "").startswith("+"):
                groups[0] = "plus " + groups[0]
        return ", ".join(groups)

    return _PHONE_RE.sub(repl, text)


# --- dates ----------------------------------------------------------------------------------------

_MONTH_NAME = "|".join(MONTHS) + "|" + "|".join(sorted(_MONTH_ABBREVIATIONS, key=len, reverse=True))
_ISO_MONTH_RE = re.compile(r"(?<![0-9-])(\d{4})-(0[1-9])(?![0-9-])")  # 2024-03 (2010-12 is a range)
_ISO_DATE_RE = re.compile(r"(?<![0-9-])(\d{4})-(0?[1-9]|1[0-2])-(0?[1-9]|[12]\d|3[01])(?![0-9-])")
_NUMERIC_DATE_RE = re.compile(r"(?<![0-9/.-])(\d{1,2})([/.-])(\d{1,2})\2(\d{4}|\d{2})(?![0-9/-]|\.\d)")
_MONTH_DAY_RE = re.compile(r"\b(" + _MONTH_NAME + r")(\.?) (\d{1,2})(?:st|nd|rd|th)?(?![0-9:])(?:(,?) (\d{4})(?![0-9]))?\b")
_DAY_MONTH_RE = re.compile(r"(?<![0-9.,])\b(\d{1,2})(?:st|nd|rd|th)? (?:of )?(" + _MONTH_NAME + r")\b(\.?)(?:(,?) (\d{4})(?![0-9]))?")
_MONTH_YEAR_RE = re.compile(r"\b(" + _MONTH_NAME + r")(\.?),? (\d{4})(?![0-9])")


def _month(name: str) -> str:
    return MONTHS[_MONTH_ABBREVIATIONS[name] - 1] if name in _MONTH_ABBREVIATIONS else name


def _date_words(month: int, day: int, year: str | None) -> str:
    out = f"{MONTHS[month - 1]} {ordinal_words(str(day))}"
    if year:
        out += ", " + (_year_words(int(year)) if len(year) == 4 else number_words(year))
    return out


def _dates(text: str) -> str:
    text = _ISO_DATE_RE.sub(lambda m: _date_words(int(m.group(2)), int(m.group(3)), m.group(1)), text)
    text = _ISO_MONTH_RE.sub(lambda m: f"{MONTHS[int(m.group(2)) - 1]} {_year_words(int(m.group(1)))}", text)

    def numeric(m: re.Match) -> str:
        a, sep, b, year = int(m.group(1)), m.group(2), int(m.group(3)), m.group(4)
        month, day = (b, a) if sep == "." or (a > 12 and b <= 12) else (a, b)  # 15.03.2024, 15/3/2024: day first
        if not (1 <= month <= 12 and 1 <= day <= 31):
            return m.group()
        return _date_words(month, day, year)

    text = _NUMERIC_DATE_RE.sub(numeric, text)

    def month_day(m: re.Match) -> str:
        name, dot, day, comma, year = m.groups()
        if dot and name not in _MONTH_ABBREVIATIONS or not 1 <= int(day) <= 31:
            return m.group()
        out = f"{_month(name)} {ordinal_words(day)}"
        return out + (f", {_year_words(int(year))}" if year else "")

    text = _MONTH_DAY_RE.sub(month_day, text)

    def day_month(m: re.Match) -> str:
        day, name, dot, comma, year = m.groups()
        if dot and name not in _MONTH_ABBREVIATIONS or not 1 <= int(day) <= 31:
            return m.group()
        the = "" if text[max(0, m.start() - 4):m.start()].lower() == "the " else "the "
        out = f"{the}{ordinal_words(day)} of {_month(name)}"
        return out + (f", {_year_words(int(year))}" if year else "")

    text = _DAY_MONTH_RE.sub(day_month, text)

    def month_year(m: re.Match) -> str:
        name, dot, year = m.groups()
        if dot and name not in _MONTH_ABBREVIATIONS:
            return m.group()
        return f"{_month(name)} {_year_words(int(year))}"

    return _MONTH_YEAR_RE.sub(month_year, text)


# --- ranges -------------------------------------------------------------------------------------------

_RANGE_RE = re.compile(r"(?<![\w.,:/-])(\d+(?:[.,]\d+)?(?::[0-5]\d)?) ?- ?(\d+(?:[.,]\d+)?(?::[0-5]\d)?)(?![\w/-]|[.,]\d)")


_CODE_RE = re.compile(r"(?<![\w.-])\d+(?:-\d+){2,}(?![\w-])")  # ISBN 978-3-16-148410-0, serial numbers
_AMPM_RANGE_RE = re.compile(r"(?:(?<=[AaPp]\.[Mm]\.)|(?<=[AaPp][Mm]\.)|(?<=[AaPp]\.[Mm])|(?<=[0-9 ][AaPp][Mm])) ?- ?(?=[0-9])")


def _ranges(text: str) -> str:
    """10-15 -> 10 to 15 (pages 10-15, 1990-2000, 9:00-17:00, 9am-5pm); after dates and phone numbers.
    Longer chains of hyphenated numbers are codes, read digit by digit, group by group."""
    text = _CODE_RE.sub(lambda m: ", ".join(_digits(g) for g in m.group().split("-")), text)
    text = _AMPM_RANGE_RE.sub(" to ", text)
    return _RANGE_RE.sub(r"\1 to \2", text)


# --- abbreviations ------------------------------------------------------------------------------------

_TITLES = {"Mr": "Mister", "Mrs": "Mrs", "Ms": "Miz", "Prof": "Professor", "Mt": "Mount",
           "Gen": "General", "Capt": "Captain", "Sgt": "Sergeant", "Rev": "Reverend", "Gov": "Governor",
           "Sen": "Senator", "Rep": "Representative"}
_ENDERS = {"Jr": "Junior", "Sr": "Senior", "Inc": "Incorporated", "Ltd": "Limited", "Co": "Company",
           "Corp": "Corporation", "Ave": "Avenue", "Blvd": "Boulevard", "Rd": "Road", "etc": "etc",
           "approx": "approximately"}
# abbreviations read as a word before a number: No. 5, Nos. 5 and 6, Fig. 3, p. 12, pp. 10-15
_BEFORE_NUMBER = {"no": "number", "nos": "numbers", "fig": "figure", "figs": "figures", "vol": "volume",
                  "ch": "chapter", "p": "page", "pp": "pages", "sec": "section", "eq": "equation"}
_BEFORE_NUMBER_RE = re.compile(r"\b(No|Nos|Fig|Figs|Vol|Ch|p|pp|Sec|Eq|no|nos|fig|figs|vol|ch|sec|eq)\. ?(?=[0-9])")
_HASH_NUMBER_RE = re.compile(r"#(?=[0-9])")
_TITLE_RE = re.compile(r"\b(" + "|".join(_TITLES) + r")\.(?= )")
_ENDER_RE = re.compile(r"\b(" + "|".join(_ENDERS) + r")\.")
_PLACE_RE = re.compile(r"\b(Dr|St)\.")
_CAPITALISED_BEFORE_RE = re.compile(r"\b[A-Z][a-z]+ ?$")
_CAPITALISED_AFTER_RE = re.compile(r" [A-Z]")
_TWO_CAPITALISED_AFTER_RE = re.compile(r" [A-Z][a-z]+ [A-Z]")


def _ender(word: str, text: str, end: int) -> str:
    """Expansion for an abbreviation that may also end the sentence: keep the period if it does."""
    return word + "." if _ends_sentence(text, end) else word


def _abbreviations(text: str) -> str:
    text = re.sub(r"\b(?:e\.g\.|eg\.)(?=\s|,|$)", "for example", text, flags=re.I)
    text = re.sub(r"\bi\.e\.(?=\s|,|$)", "that is", text, flags=re.I)
    text = re.sub(r"\bvs\.?(?=\s)", "versus", text, flags=re.I)
    text = re.sub(r"\bcf\.(?=\s)", "compare", text)
    text = re.sub(r"\b(?:ca|c)\. ?(?=[0-9])", "circa ", text)
    text = _BEFORE_NUMBER_RE.sub(lambda m: (_BEFORE_NUMBER[m.group(1).lower()].capitalize() if m.group(1)[0].isupper()
                                            and m.group(1) not in ("No", "Nos") else _BEFORE_NUMBER[m.group(1).lower()]) + " ",
                                 text)
    text = _HASH_NUMBER_RE.sub("number ", text)
    text = _TITLE_RE.sub(lambda m: _TITLES[m.group(1)], text)

    def place(m: re.Match) -> str:
        title, street = {"Dr": ("Doctor", "Drive"), "St": ("Saint", "Street")}[m.group(1)]
        window = text[max(0, m.start() - 40):m.start()]
        prev_cap = _CAPITALISED_BEFORE_RE.search(window) is not None
        next_cap = _CAPITALISED_AFTER_RE.match(text, m.end()) is not None
        if prev_cap and not next_cap:
            return _ender(street, text, m.end())
        if prev_cap and next_cap and not _TWO_CAPITALISED_AFTER_RE.match(text, m.end()):
            # "Main St. Then ..." vs "visited St. Louis": ambiguous; a street name before wins.
            return _ender(street, text, m.end())
        return title

    text = _PLACE_RE.sub(place, text)
    return _ENDER_RE.sub(lambda m: _ender(_ENDERS[m.group(1)], text, m.end()), text)


# --- currency -----------------------------------------------------------------------------------------

# symbol or ISO code -> (major singular, plural, minor singular, plural); minor None: no minor unit read
_CURRENCIES = {
    "$": ("dollar", "dollars", "cent", "cents"), "USD": ("dollar", "dollars", "cent", "cents"),
    "£": ("pound", "pounds", "penny", "pence"), "GBP": ("pound", "pounds", "penny", "pence"),
    "€": ("euro", "euros", "cent", "cents"), "EUR": ("euro", "euros", "cent", "cents"),
    "¥": ("yen", "yen", None, None), "JPY": ("yen", "yen", None, None),
    "₹": ("rupee", "rupees", "paisa", "paise"), "INR": ("rupee", "rupees", "paisa", "paise"),
    "₩": ("won", "won", None, None), "KRW": ("won", "won", None, None),
    "CHF": ("franc", "francs", "centime", "centimes"),
}
_SCALES = ("thousand", "million", "billion", "trillion")
_SCALE_ABBREVIATIONS = {"k": "thousand", "m": "million", "mn": "million", "b": "billion", "bn": "billion"}
_NUM = r"\d{1,3}(?:,\d{3})+|\d+"
_AMOUNT = r"(-?)(" + _NUM + r"|(?=\.\d))(?:\.(\d+))?"  # the whole part may be left out: $.99
_SCALE = r"(?: ?(" + "|".join(_SCALES) + r"|[kK]|[mM]n?|[bB]n?)\b)?"
_SYMBOL = r"[$£€¥₹₩]"
_CODE = r"(?:USD|EUR|GBP|JPY|INR|KRW|CHF)"
_CURRENCY_BEFORE_RE = re.compile(r"(?<![\w-])(-?)(?:(" + _SYMBOL + r") ?|(" + _CODE + r") )" + _AMOUNT + _SCALE)
_CURRENCY_AFTER_RE = re.compile(r"(?<![\w.,-])" + _AMOUNT + r"(?: ?([€£¥₹₩])| (" + _CODE + r")\b)")


def _amount_words(unit: str, neg: bool, whole: str, frac: str | None, scale: str | None = None) -> str:
    maj1, maj2, min1, min2 = _CURRENCIES[unit]
    sign = "minus " if neg else ""
    whole = whole or "0"
    if scale:
        scale = _SCALE_ABBREVIATIONS.get(scale.lower(), scale)
        return f"{sign}{number_words(whole + ('.' + frac if frac else ''))} {scale} {maj2}"
    if frac and (len(frac) > 2 or min1 is None):  # $1.234, ¥1.5: a decimal amount
        return f"{sign}{number_words(whole + '.' + frac)} {maj2}"
    digits = whole.replace(",", "")
    major = int(digits) if len(digits) <= _MAX_INT_DIGITS else None
    minor = int(frac.ljust(2, "0")) if frac else 0
    parts = []
    if major != 0 or not minor:
        parts.append(f"{number_words(whole)} {maj1 if major == 1 else maj2}")
    if minor:
        parts.append(f"{number_words(str(minor))} {min1 if minor == 1 else min2}")
    return sign + " and ".join(parts)


def _currency(text: str) -> str:
    def before(m: re.Match) -> str:
        neg1, symbol, code, neg2, whole, frac, scale = m.groups()
        return _amount_words(symbol or code, bool(neg1 or neg2), whole, frac, scale)

    def after(m: re.Match) -> str:
        neg, whole, frac, symbol, code = m.groups()
        return _amount_words(symbol or code, bool(neg), whole, frac)

    text = _CURRENCY_BEFORE_RE.sub(before, text)
    return _CURRENCY_AFTER_RE.sub(after, text)


# --- times --------------------------------------------------------------------------------------------

_AMPM = r"(?: ?([AaPp])\.? ?[Mm]\b(\.?))"
_CLOCK_RE = re.compile(r"(?<![0-9:.])([01]?\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?(?![0-9])" + _AMPM + "?")
_HOUR_AMPM_RE = re.compile(r"(?<![0-9:.,])(1[0-2]|0?[1-9])" + _AMPM)


def _ampm(letter: str, dot: str, text: str, end: int) -> str:
    # "A.M"/"P.M": the G2P spells dotted initialisms letter by letter; a consumed final period that
    # also ended the sentence is put back
    return f" {letter.upper()}.M" + ("." if dot and _ends_sentence(text, end) else "")


def _times(text: str) -> str:
    def clock(m: re.Match) -> str:
        h, mnt, sec, ap, dot = int(m.group(1)), int(m.group(2)), m.group(3), m.group(4), m.group(5)
        hour = number_words(str(h))
        if mnt == 0 and not sec:
            out = hour if ap else (f"{hour} o'clock" if 0 < h <= 12 else f"{hour} hundred")
        elif mnt < 10:
            out = f"{hour} oh {number_words(str(mnt))}"
        else:
            out = f"{hour} {number_words(str(mnt))}"
        if sec:
            s = int(sec)
            out += f" and {number_words(str(s))} {'second' if s == 1 else 'seconds'}"
        if ap:
            out += _ampm(ap, dot, text, m.end())
        return out

    text = _CLOCK_RE.sub(clock, text)
    return _HOUR_AMPM_RE.sub(lambda m: number_words(m.group(1).lstrip("0")) + _ampm(m.group(2), m.group(3), text, m.end()),
                             text)


# --- units --------------------------------------------------------------------------------------------

# symbol -> (singular, plural); case-sensitive (MB is a megabyte, Mb would be a megabit)
_UNITS = {
    "km/h": ("kilometer per hour", "kilometers per hour"), "kph": ("kilometer per hour", "kilometers per hour"),
    "m/s": ("meter per second", "meters per second"), "mph": ("mile per hour", "miles per hour"),
    "km": ("kilometer", "kilometers"), "cm": ("centimeter", "centimeters"), "mm": ("millimeter", "millimeters"),
    "m": ("meter", "meters"), "mi": ("mile", "miles"), "ft": ("foot", "feet"),
    "kg": ("kilogram", "kilograms"), "mg": ("milligram", "milligrams"), "g": ("gram", "grams"),
    "lbs": ("pound", "pounds"), "lb": ("pound", "pounds"), "oz": ("ounce", "ounces"),
    "ml": ("milliliter", "milliliters"), "mL": ("milliliter", "milliliters"),
    "°C": ("degree Celsius", "degrees Celsius"), "°F": ("degree Fahrenheit", "degrees Fahrenheit"),
    "KB": ("kilobyte", "kilobytes"), "kB": ("kilobyte", "kilobytes"), "MB": ("megabyte", "megabytes"),
    "GB": ("gigabyte", "gigabytes"), "TB": ("terabyte", "terabytes"),
    "ms": ("millisecond", "milliseconds"), "sec": ("second", "seconds"), "min": ("minute", "minutes"),
    "hr": ("hour", "hours"), "hrs": ("hour", "hours"),
    "Hz": ("hertz", "hertz"), "kHz": ("kilohertz", "kilohertz"), "MHz": ("megahertz", "megahertz"),
    "GHz": ("gigahertz", "gigahertz"), "kW": ("kilowatt", "kilowatts"), "kWh": ("kilowatt hour", "kilowatt hours"),
}
_UNIT_RE = re.compile(
    r"(?<![\w.,-])(-?)(" + _NUM + r")(\.\d+)? ?(" + "|".join(re.escape(u).replace("°", "° ?") for u in
                                                        sorted(_UNITS, key=len, reverse=True)) + r")(?![\w/°])")


_FEET_INCHES_RE = re.compile(r"(?<![\w.'])(\d{1,2})' ?(\d{1,2})(?:\"|'')")  # 5'10"


def _units(text: str) -> str:
    text = _FEET_INCHES_RE.sub(lambda m: f"{number_words(m.group(1))} foot {number_words(m.group(2))}", text)
    def repl(m: re.Match) -> str:
        neg, whole, frac, unit = m.groups()
        unit = unit.replace(" ", "")
        singular, plural = _UNITS[unit]
        words = number_words(whole + (frac or ""))
        return f"{'minus ' if neg else ''}{words} {singular if whole == '1' and not frac else plural}"

    return _UNIT_RE.sub(repl, text)


# --- Roman numerals ------------------------------------------------------------------------------------

_ROMAN_VALUES = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}
_VALID_ROMAN_RE = re.compile(r"M{0,3}(?:CM|CD|D?C{0,3})(?:XC|XL|L?X{0,3})(?:IX|IV|V?I{0,3})")
# rulers and popes: "Henry VIII" -> "Henry the eighth"
_REGNAL_NAMES = frozenset(
    "Henry Elizabeth Louis George Edward William Charles James John Paul Richard Pius Benedict Gregory Leo "
    "Napoleon Philip Frederick Peter Catherine Mary Victoria Alexander Nicholas Ivan Ramesses Ramses Constantine "
    "Innocent Clement Urban Boniface Alfonso Ferdinand Isabella Wilhelm Friedrich Carlos Felipe Juan Harald Olaf "
    "Gustav Gustavus Christian Frederik Rama Mehmed Selim Suleiman Stephen Anne David Robert Malcolm Duncan "
    "Kenneth Alfred Matilda Sixtus Julius Adrian Honorius Celestine Eugene Martin Nero Ptolemy Thutmose Amenhotep "
    "Darius Xerxes Cyrus Antiochus Herod Baldwin Otto Conrad Rudolf Leopold Joseph Franz Sancho Pedro Manuel "
    "Afonso Umberto Vittorio Emmanuel Haakon Magnus Eric Erik Valdemar Casimir Sigismund Władysław Vladimir "
    "Vasily Dmitry Fyodor Mohammed Muhammad Abdullah Hussein Faisal".split())
# words after which a Roman numeral is a cardinal: "Chapter IV" -> "Chapter four"
_NUMBERED = frozenset(
    "Chapter Part Act Scene Volume Book Section Article Phase Stage Level Class Type Grade Category Episode "
    "Round Appendix Title Unit Schedule Annex Division Tier Mark Mk Series Canto Psalm Bowl War Vatican "
    "Game Season Movement Symphony Op Opus Plate Figure Table Rule Clause Amendment".split())
_ROMAN_RE = re.compile(r"\b([A-Z][a-z]+)( [A-Z][a-z]+)? ([IVXLCDM]{1,9})\b(?!['’-]\w)")
_ROMAN_WORDS = frozenset(["MIX", "DIM", "MID", "LID", "DID", "CIVIL", "MILD", "VIC", "LIV", "MIC", "DC", "CD", "MC",
                          "CC", "CV", "MD", "DVD", "LCD", "DL", "XL", "XXL", "XXX", "ML", "DI", "LI", "CI", "MI",
                          "MM", "CM", "DX", "MCD"])


def _roman_value(s: str) -> int | None:
    if not s or not _VALID_ROMAN_RE.fullmatch(s):
        return None
    total = 0
    for a, b in zip(s, s[1:] + " "):
        v = _ROMAN_VALUES[a]
        total += -v if b != " " and _ROMAN_VALUES[b] > v else v
    return total


_WORLD_WARS_RE = re.compile(r"\bWW(II|I)\b")


def _roman_numerals(text: str) -> str:
    text = _WORLD_WARS_RE.sub(lambda m: "World War " + ("two" if m.group(1) == "II" else "one"), text)
    def repl(m: re.Match) -> str:
        word, second, numeral = m.group(1), m.group(2) or "", m.group(3)
        value = _roman_value(numeral)
        if value is None or numeral in _ROMAN_WORDS:
            return m.group()
        last = second.strip() or word
        if last in _REGNAL_NAMES or (word in _REGNAL_NAMES and second.strip() in _REGNAL_NAMES):
            if numeral == "I" and _PRONOUN_I_NEXT_RE.match(text, m.end()):
                return m.group()  # "then Henry I went": no, "Henry I am": the pronoun
            return f"{word}{second} the {ordinal_words(str(value))}"
        if last in _NUMBERED:
            if numeral == "I" and _PRONOUN_I_NEXT_RE.match(text, m.end()):
                return m.group()
            return f"{word}{second} {number_words(str(value))}"
        if len(numeral) >= 2 and set(numeral) <= set("IVX"):  # Rocky II, Final Fantasy VII
            return f"{word}{second} {number_words(str(value))}"
        return m.group()

    return _ROMAN_RE.sub(repl, text)


_PRONOUN_I_NEXT_RE = re.compile(r" (?:am|was|have|had|will|would|could|should|can|do|did|think|know|said|'m|'ll|'ve|'d)\b")


# --- numbers ------------------------------------------------------------------------------------------

_FRACTION_RE = re.compile(r"(?<![0-9/.])(\d{1,6})/(\d{1,6})(?![0-9/]|\.[0-9])")
_OUT_OF_RE = re.compile(r"(?<![0-9/.])(\d+\.\d+)/(\d{1,6})(?![0-9/]|\.[0-9])")  # 4.5/5 stars
_DOTTED_RE = re.compile(r"(?<![0-9.])\d+(?:\.\d+){2,}(?![0-9]|\.[0-9])")  # versions 2.0.1, 192.168.0.1
_HYPHEN_BY_DIGIT_RE = re.compile(r"(?<=[A-Za-z])-(?=[0-9])|(?<=[0-9])-(?=[A-Za-z])")  # COVID-19, 10-year-old
_PERCENT_RE = re.compile(r"(?<![0-9.,])(-?(?:" + _NUM + r")(?:\.\d+)?) ?%")
_ORDINAL_RE = re.compile(r"(?<![0-9,.])\b(" + _NUM + r")(st|nd|rd|th)\b")
_DECADE_RE = re.compile(r"\b(1[1-9]\d0|20\d0)'?s\b")
_SHORT_DECADE_RE = re.compile(r"(?:'|(?<![\w'.,]))([1-9]0)'?s\b")
_YEAR_RE = re.compile(r"(?<![0-9,.])\b(1[0-9]\d\d|20\d\d)\b(?![,.]?[0-9])")
_NEGATIVE_RE = re.compile(r"(?<![\w-])-(?=[0-9])")
_NUMBER_RE = re.compile(r"(?<![0-9])(?:" + _NUM + r")(?:\.\d+)?|(?<![0-9])\.\d+")
_NEXT_WORD_RE = re.compile(r" ([a-z]+)")
_TOKEN_BEFORE_RE = re.compile(r"(\S+) $")
# before a 4-digit number, these make it a year; the second set make it a count
_YEAR_BEFORE = frozenset("in since by from until till through before after during of circa around year "
                         "early late mid summer winter spring autumn fall christmas class the this".split())
_COUNT_BEFORE = frozenset("page pages number numbers room flight route bus model version step line item verse exit "
                          "highway suite unit about approximately nearly almost than only just exactly roughly some "
                          "over under top score scored costs cost paid earns earned weighs contains".split())
_NOT_NOUNS = frozenset("was is has as us this his its does thus plus less unless across whereas yes".split())
_UNCOUNTED_PLURALS = frozenset("people men women children feet teeth mice geese sheep fish deer cattle police staff "
                               "personnel".split())


def _fraction(m: re.Match) -> str:
    if m.group() == "24/7":
        return "twenty four seven"
    n, d = int(m.group(1)), int(m.group(2))
    if d == 0 or d > 10 or n > 20:
        return f"{number_words(m.group(1))} over {number_words(m.group(2))}"
    unit = {2: ("half", "halves"), 4: ("quarter", "quarters")}.get(d)
    if unit is None:
        o = ordinal_words(str(d))
        unit = (o, o + "s")
    return f"{number_words(m.group(1))} {unit[0] if n == 1 else unit[1]}"


def _year_or_number(text: str, m: re.Match) -> str:
    """A bare 4-digit number 1000-2099: a year ("in 1984", "1984.") or a count ("2048 bytes")."""
    before = _word_before(text, m.start()).lower()
    if before in _COUNT_BEFORE:
        return number_words(m.group(1))
    token = _TOKEN_BEFORE_RE.search(text, max(0, m.start() - 40), m.start())
    attributive = token is not None and (token.group(1)[0].isupper() or token.group(1).endswith("'s")
                                         or any(c.isdigit() for c in token.group(1)))  # Apple's / Q3 / Microsoft 2024 results
    if before not in _YEAR_BEFORE and not attributive:
        nxt = _NEXT_WORD_RE.match(text, m.end())
        if nxt is not None:
            w = nxt.group(1)
            if w in _UNCOUNTED_PLURALS or (len(w) > 2 and w.endswith("s") and not w.endswith("ss") and w not in _NOT_NOUNS):
                return number_words(m.group(1))
    return _year_words(int(m.group(1)))


def _numbers(text: str) -> str:
    text = _DOTTED_RE.sub(lambda m: " " + " point ".join(number_words(p) for p in m.group().split(".")) + " ", text)
    text = _OUT_OF_RE.sub(lambda m: f" {number_words(m.group(1))} out of {number_words(m.group(2))} ", text)
    text = _FRACTION_RE.sub(_fraction, text)  # 1/2, 3/4 (dates like 3/4/2024 are already words)
    text = _HYPHEN_BY_DIGIT_RE.sub(" ", text)
    text = _PERCENT_RE.sub(lambda m: number_words(m.group(1)) + " percent", text)
    text = _ORDINAL_RE.sub(lambda m: ordinal_words(m.group(1)), text)
    text = _DECADE_RE.sub(lambda m: _pluralise(_year_words(int(m.group(1)))), text)  # 1990s, 2000s
    text = _SHORT_DECADE_RE.sub(lambda m: _pluralise(number_words(m.group(1))), text)  # 80s, '90s
    text = _YEAR_RE.sub(lambda m: _year_or_number(text, m), text)
    text = _NEGATIVE_RE.sub("minus ", text)
    return _NUMBER_RE.sub(lambda m: f" {number_words(m.group(0))} ", text)


# --- symbols and spacing ----------------------------------------------------------------------------------

_SYMBOLS = {"&": "and", "+": "plus", "=": "equals", "@": "at", "%": "percent", "°": "degrees",
            "×": "times", "½": "one half", "¼": "one quarter", "¾": "three quarters"}
_SYMBOL_RE = re.compile("|".join(map(re.escape, _SYMBOLS)))
_SLASH_RE = re.compile(r"(?<=\w)/(?=\w)")
_SPACE_BEFORE_PUNCT_RE = re.compile(r" +([,.;:!?…)])")


def _symbols(text: str) -> str:
    text = _SLASH_RE.sub(" ", text)  # and/or
    return _SYMBOL_RE.sub(lambda m: f" {_SYMBOLS[m.group(0)]} ", text)


def _spacing(text: str) -> str:
    text = _SPACES_RE.sub(" ", text).strip()
    return _SPACE_BEFORE_PUNCT_RE.sub(r"\1", text)


# --- entry points -------------------------------------------------------------------------------------------

def normalize_segment(text: str) -> str:
    """Normalise one segment (a sentence or a piece of one, no blank lines; see ``segments``)."""
    text = _whitespace(text)
    text = _punctuation(text)
    text = _web(text)
    text = _phone_numbers(text)
    text = _dates(text)
    text = _ranges(text)
    text = _abbreviations(text)
    text = _currency(text)
    text = _times(text)
    text = _units(text)
    text = _roman_numerals(text)
    text = _numbers(text)
    text = _symbols(text)
    return _spacing(text)


def normalize(text: str) -> str:
    """Normalise English ``text`` into speakable words, keeping Kokoro's punctuation; paragraphs are
    separated by a blank line."""
    out = []
    for para in paragraphs(text):
        p = " ".join(s for s in map(normalize_segment, segments(para)) if s)
        if p:
            out.append(p)
    return "\n\n".join(out)
