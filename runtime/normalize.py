"""English text normalisation for the Kokoro front-end.

``normalize(text)`` rewrites text into plain words that the lexicon G2P can read:

* unicode: curly quotes -> straight quotes, ``--``/spaced hyphens/em/en dashes -> ``—``
  (en dash between numbers -> "to"), ``...`` -> ``…``, exotic spaces -> space;
* abbreviations: titles (Dr. Mr. Mrs. Ms. Prof. St. Mt. Jr. Sr.), e.g. i.e. etc. vs. approx. No.;
  "Dr."/"St." read as Drive/Street after a capitalised word, Doctor/Saint otherwise;
* currency ($ £ €, optional thousand/million/billion/trillion), percentages, clock times
  (3:30 pm -> "three thirty P.M."), ordinals (3rd), decades (1990s, '90s), years
  (1100-2099 standing alone), decimals, cardinals with thousands separators, negatives;
* symbols & + = @ % # ° and a few others become words.

All number words come from ``num2words`` (cardinal, ordinal, year; currency unit names from its
``CURRENCY_FORMS``). Hyphens and commas num2words puts in number words are removed and its British
"and" inside numbers ("one hundred and one") is dropped, as misaki does.
Sentence punctuation Kokoro uses (. , ! ? ; : — … quotes, parentheses) is kept.
"""

from __future__ import annotations

import re

from num2words import num2words
from num2words.lang_EN import Num2Word_EN

__all__ = ["normalize", "NON_TERMINAL_ABBREVIATIONS", "number_words"]

# Abbreviations after which a period never ends a sentence (used by the chunker too).
NON_TERMINAL_ABBREVIATIONS = frozenset(
    ["mr", "mrs", "ms", "dr", "prof", "st", "mt", "vs", "e.g", "i.e", "no", "approx", "fig", "cf", "ca"]
)

_CURRENCY_CODES = {"$": "USD", "£": "GBP", "€": "EUR"}
_SCALES = ("thousand", "million", "billion", "trillion")


def _currency_forms(symbol: str):
    """((major singular, plural), (minor singular, plural)) from num2words' English tables."""
    (maj1, maj2), (min1, min2) = Num2Word_EN.CURRENCY_FORMS[_CURRENCY_CODES[symbol]]
    # num2words says "pound(s) sterling" and uses "euro" as plural; US speech says "pounds", "euros".
    maj1, maj2 = maj1.replace(" sterling", ""), maj2.replace(" sterling", "")
    if maj2 == "euro":
        maj2 = "euros"
    return (maj1, maj2), (min1, min2)


def _clean(words: str) -> str:
    """num2words output -> plain space-separated words (no hyphens, commas or inner 'and')."""
    words = words.replace("-", " ").replace(",", "")
    words = re.sub(r"\band\b", " ", words)
    return re.sub(r"\s+", " ", words).strip()


def _digits(s: str) -> str:
    return " ".join(num2words(int(c)) for c in s)


def number_words(num: str) -> str:
    """Cardinal/decimal digits (thousands commas allowed) -> words."""
    num = num.replace(",", "")
    neg = num.startswith("-")
    num = num.lstrip("-")
    if "." in num:
        whole, _, frac = num.partition(".")
        out = (number_words(whole) if whole else "") + " point " + _digits(frac)
        out = out.strip()
    elif len(num) > 1 and num.startswith("0") or len(num) > 15:
        out = _digits(num)  # codes, phone-like strings: digit by digit
    else:
        out = _clean(num2words(int(num)))
    return ("minus " + out) if neg else out


def _year_words(y: int) -> str:
    return _clean(num2words(y, to="year"))


def _pluralise(words: str) -> str:
    head, _, last = words.rpartition(" ")
    last = last[:-1] + "ies" if last.endswith("y") else last + "s"
    return f"{head} {last}".strip()


# --- individual rules ------------------------------------------------------------------------------

def _unicode(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = re.sub(r"[\u00a0\u2000-\u200b\u202f\u205f\u3000\t\f\v]", " ", text)
    text = re.sub(r"[\u2018\u2019\u201a\u201b\u2032\u00b4`]", "'", text)
    text = re.sub(r"[\u201c\u201d\u201e\u201f\u2033\u00ab\u00bb]", '"', text)
    text = re.sub(r"(?<=\d)\s?[\u2013\u2012]\s?(?=\d)", " to ", text)  # 1990–2000
    text = re.sub(r"\s*(?:[\u2012\u2013\u2014\u2015\u2e3a]|--+)\s*", " — ", text)
    text = re.sub(r"(?<=\w) +- +(?=\w)", " — ", text)  # spaced hyphen used as a dash
    text = re.sub(r"\.\.\.+|\. \. \.", "…", text)
    return text


_TITLES = {"Mr": "Mister", "Mrs": "Mrs", "Ms": "Miz", "Prof": "Professor", "Mt": "Mount",
           "Gen": "General", "Capt": "Captain", "Sgt": "Sergeant", "Rev": "Reverend", "Gov": "Governor",
           "Sen": "Senator", "Rep": "Representative"}
_ENDERS = {"Jr": "Junior", "Sr": "Senior", "Inc": "Incorporated", "Ltd": "Limited", "Co": "Company",
           "Corp": "Corporation", "Ave": "Avenue", "Blvd": "Boulevard", "Rd": "Road", "etc": "etc",
           "approx": "approximately"}


def _ender(word: str, m: re.Match, text: str) -> str:
    """Expansion for an abbreviation that may also end the sentence: keep the period if it does."""
    rest = text[m.end():]
    if not rest.strip() or re.match(r"\s*\n|\s+[\"(]?[A-Z]", rest):
        return word + "."
    return word


def _abbreviations(text: str) -> str:
    text = re.sub(r"\b(?:e\.g\.|eg\.)(?=\s|,|$)", "for example", text, flags=re.I)
    text = re.sub(r"\bi\.e\.(?=\s|,|$)", "that is", text, flags=re.I)
    text = re.sub(r"\bvs\.?(?=\s)", "versus", text, flags=re.I)
    text = re.sub(r"\b[Nn]o\.\s?(?=\d)", "number ", text)
    text = re.sub(r"#\s?(?=\d)", "number ", text)
    text = re.sub(r"\b(" + "|".join(_TITLES) + r")\.(?=\s)", lambda m: _TITLES[m.group(1)], text)

    def place(m: re.Match, title: str, street: str) -> str:
        before = text[: m.start()].rstrip()
        prev_cap = bool(re.search(r"\b[A-Z][a-z]+$", before))
        next_cap = bool(re.match(r"\s+[A-Z]", text[m.end():]))
        if prev_cap and not next_cap:
            return _ender(street, m, text)
        if prev_cap and next_cap and not re.match(r"\s+[A-Z][a-z]+\s+[A-Z]", text[m.end():]):
            # "Main St. Then ..." vs "visited St. Louis": ambiguous; a street name before wins.
            return _ender(street, m, text)
        return title

    for abbr, title, street in (("Dr", "Doctor", "Drive"), ("St", "Saint", "Street")):
        text = re.sub(r"\b" + abbr + r"\.", lambda m, t=title, s=street: place(m, t, s), text)
    text = re.sub(r"\b(" + "|".join(_ENDERS) + r")\.", lambda m: _ender(_ENDERS[m.group(1)], m, text), text)
    return text


_NUM = r"\d{1,3}(?:,\d{3})+|\d+"


def _currency(text: str) -> str:
    pat = re.compile(r"([$£€])\s?(" + _NUM + r")(?:\.(\d+))?(?:\s?(" + "|".join(_SCALES) + r"|[kKmMbB]n?)\b)?")

    def repl(m: re.Match) -> str:
        sym, whole, frac, scale = m.groups()
        (maj1, maj2), (min1, min2) = _currency_forms(sym)
        if scale:
            scale = {"k": "thousand", "m": "million", "b": "billion", "bn": "billion"}.get(scale.lower(), scale)
            num = number_words(whole + ("." + frac if frac else ""))
            return f"{num} {scale} {maj2}"
        major = int(whole.replace(",", ""))
        if frac and len(frac) > 2:  # $1.234: read as a decimal amount
            return f"{number_words(whole + '.' + frac)} {maj2}"
        minor = int((frac or "0").ljust(2, "0")) if frac else 0
        parts = []
        if major or not minor:
            parts.append(f"{number_words(whole)} {maj1 if major == 1 else maj2}")
        if minor:
            parts.append(f"{number_words(str(minor))} {min1 if minor == 1 else min2}")
        return " and ".join(parts)

    return pat.sub(repl, text)


def _times(text: str) -> str:
    pat = re.compile(r"\b([01]?\d|2[0-3]):([0-5]\d)(?::[0-5]\d)?(?:\s?([AaPp])\.?\s?[Mm]\b\.?)?")

    def repl(m: re.Match) -> str:
        h, mnt, ap = int(m.group(1)), int(m.group(2)), m.group(3)
        hour = number_words(str(h))
        if mnt == 0:
            out = hour if ap else (f"{hour} o'clock" if 0 < h <= 12 else f"{hour} hundred")
        elif mnt < 10:
            out = f"{hour} oh {number_words(str(mnt))}"
        else:
            out = f"{hour} {number_words(str(mnt))}"
        if ap:
            # "A.M"/"P.M": the G2P spells dotted initialisms letter by letter.
            out += f" {ap.upper()}.M"
            rest = text[m.end():]
            # a consumed final period that also ended the sentence is put back
            if m.group(0).endswith(".") and (not rest.strip() or re.match(r"\s*\n|\s+[A-Z\"]", rest)):
                out += "."
        return out

    return pat.sub(repl, text)


def _fraction(m: re.Match) -> str:
    n, d = int(m.group(1)), int(m.group(2))
    if d == 0 or d > 10 or n > 20:
        return f"{number_words(m.group(1))} over {number_words(m.group(2))}"
    unit = {2: ("half", "halves"), 4: ("quarter", "quarters")}.get(d)
    if unit is None:
        o = _clean(num2words(d, to="ordinal"))
        unit = (o, o + "s")
    return f"{number_words(m.group(1))} {unit[0] if n == 1 else unit[1]}"


def _numbers(text: str) -> str:
    # simple fractions 1/2, 3/4 (not dates like 3/4/2024)
    text = re.sub(r"(?<![\d/])(\d+)/(\d+)(?![\d/])", _fraction, text)
    # percentages
    text = re.sub(r"(-?(?:" + _NUM + r")(?:\.\d+)?)\s?%", lambda m: number_words(m.group(1)) + " percent", text)
    # ordinals
    text = re.sub(r"\b(" + _NUM + r")(st|nd|rd|th)\b",
                  lambda m: _clean(num2words(int(m.group(1).replace(",", "")), to="ordinal")), text)
    # decades: 1990s, 2000s, '90s
    text = re.sub(r"\b(1[1-9]\d0|20\d0)'?s\b", lambda m: _pluralise(_year_words(int(m.group(1)))), text)
    text = re.sub(r"'([1-9]0)s\b", lambda m: _pluralise(number_words(m.group(1))), text)
    # years: a bare 4-digit number 1100-2099 that is not part of a longer number
    text = re.sub(r"(?<![\d,.])\b(1[1-9]\d\d|20\d\d)\b(?![,.]?\d)", lambda m: _year_words(int(m.group(1))), text)
    # negatives, decimals, cardinals
    text = re.sub(r"(?<![\w-])-(?=\d)", "minus ", text)
    text = re.sub(r"(?:" + _NUM + r")(?:\.\d+)?|\.\d+", lambda m: f" {number_words(m.group(0))} ", text)
    return text


_SYMBOLS = {"&": "and", "+": "plus", "=": "equals", "@": "at", "%": "percent", "°": "degrees",
            "×": "times", "½": "one half", "¼": "one quarter", "¾": "three quarters"}


def _symbols(text: str) -> str:
    text = re.sub(r"(?<=\w)/(?=\w)", " ", text)  # and/or, km/h
    return re.sub("|".join(map(re.escape, _SYMBOLS)), lambda m: f" {_SYMBOLS[m.group(0)]} ", text)


def _spacing(text: str) -> str:
    paragraphs = re.split(r"\n\s*\n", text)
    out = []
    for p in paragraphs:
        p = re.sub(r"\s+", " ", p).strip()
        p = re.sub(r" +([,.;:!?…)])", r"\1", p)
        if p:
            out.append(p)
    return "\n\n".join(out)


def normalize(text: str) -> str:
    """Normalise English ``text`` into speakable words, keeping Kokoro's punctuation."""
    text = _unicode(text)
    text = _abbreviations(text)
    text = _currency(text)
    text = _times(text)
    text = _numbers(text)
    text = _symbols(text)
    return _spacing(text)
