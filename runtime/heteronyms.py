"""A light part-of-speech guess for English heteronyms, from the words around them (no tagger).

misaki's lexicon keys a heteronym's readings by spaCy tag ("read": DEFAULT ɹˈid, VBD ɹˈɛd; "live":
DEFAULT lˈIv, VERB lˈɪv; ...). Without spaCy the G2P read every one at DEFAULT; ``tag`` picks the
key from a few cues instead:

* a determiner or possessive just before ("the record", "their lives", "a close call") -> the noun
  or adjective reading; a subject pronoun, "to", a modal or "who/that" just before ("they record",
  "to live", "will present") -> the verb;
* an object just after ("record the", "close your", "tear it") -> the verb, particles too
  ("tear up", "wind down", "bow to", "object to", "live in");
* per word: "read" is past after he/she/it, have/had/was/been, or with "yesterday/ago/last" later
  in the sentence; "wound" is the past of wind before "up/the/..." or after a pronoun; "lead" is the
  metal before "poisoning/paint/pipes/..."; "bass" is music unless fish words are near; "minute" is
  the adjective before "detail(s)/amounts/...".

Returns a key of the lexicon entry (``VERB``, ``NOUN``, ``ADJ``, ``VBD``, ``VBN``), ``METAL`` (the
G2P's own reading of "lead" the metal), or None for the entry's DEFAULT. Measured on 80 sentences
written for it (``tests/test_heteronyms.py``).
"""

from __future__ import annotations

from typing import Optional, Sequence

__all__ = ["HETERONYMS", "tag", "LEAD_METAL", "LEAD_METAL_KEY"]

LEAD_METAL = "lˈɛd"  # "lead" the metal, which misaki's lexicon lacks
LEAD_METAL_KEY = "METAL"

HETERONYMS = frozenset(
    "read live lives lead wind winds tear tears close closes use uses record records present presents object "
    "objects minute wound bass bow bows desert deserts".split())

_DETERMINERS = frozenset(
    "a an the this that these those my your his her its our their no every each some any another one first "
    "last next whose which what many few several all both such whole".split())
_SUBJECTS = frozenset("i you we they he she it who that people men women children".split())
_THIRD_PERSON = frozenset("he she it".split())
_MODALS = frozenset("will would can could shall should may might must do does did don't doesn't didn't won't "
                    "can't cannot couldn't wouldn't shouldn't 'll 'd let's let please not never always often "
                    "usually also just".split())
_PERFECT = frozenset("have has had having 've 'd was were been be being is are already".split())
_OBJECTS = frozenset("the a an this that these those my your his her its our their it them him me us some all "
                     "every each any".split())
_PAST_CUES = frozenset("yesterday ago last earlier previously".split())
_CONTRACTIONS = frozenset("let's it's he's she's that's what's there's here's who's where's how's".split())

_VERB_PARTICLES = {
    "live": {"in", "on", "at", "with", "near", "here", "there", "together", "alone", "off", "for", "by", "long",
             "happily", "abroad", "nearby", "like", "without", "under", "inside", "outside"},
    "lives": {"in", "on", "at", "with", "near", "here", "there", "together", "alone", "off", "for", "by", "abroad",
              "nearby", "next"},
    "wind": {"up", "down", "around", "round", "back", "through", "along", "the", "it", "your", "his", "her", "my",
             "them"},
    "winds": {"up", "down", "around", "round", "back", "through", "along"},
    "tear": {"up", "apart", "down", "off", "open", "into", "through", "out", "away"},
    "tears": {"up", "apart", "down", "off", "open", "into", "through", "out", "away"},
    "bow": {"down", "to", "before", "deeply", "low", "out", "your", "his", "her", "their", "our", "my"},
    "bows": {"down", "to", "before", "deeply", "low", "out"},
    "object": {"to", "that"},
    "objects": {"to", "that"},
    "close": {"the", "your", "my", "his", "her", "their", "our", "it", "them", "this", "that", "down", "up", "off",
              "at"},
    "closes": set(),
    "present": {"the", "a", "an", "it", "them", "their", "his", "her", "our", "my", "your", "this", "these",
                "with", "evidence"},
    "record": {"the", "a", "an", "it", "them", "their", "his", "her", "our", "my", "your", "this", "every",
               "everything"},
}
_METAL_NEXT = frozenset("poisoning paint pipe pipes pencil pencils acid shot weight weights bullet bullets levels "
                        "exposure contamination free based crystal oxide sheet sheets batteries battery".split())
_FISH = frozenset("fish fishing caught catch catching sea largemouth smallmouth striped lake pond lure boat "
                  "fillet fillets grilled".split())
_MUSIC_NEXT = frozenset("guitar guitars player players line lines drum drums clef note notes voice singer amp "
                        "amplifier speaker speakers boost solo section part parts".split())
_MINUTE_ADJ_NEXT = frozenset("detail details amount amounts trace traces quantity quantities particle particles "
                             "difference differences change changes fraction crack cracks fragments".split())


def tag(word: str, before: Sequence[str], after: Sequence[str], rest: Sequence[str] = ()) -> Optional[str]:
    """The lexicon key for ``word`` (lower case) given the words ``before`` it (nearest last) and
    ``after`` it (nearest first) within its phrase, and the ``rest`` of its sentence after it."""
    if word not in HETERONYMS:
        return None
    prev = before[-1] if before else None
    prev2 = before[-2] if len(before) > 1 else None
    nxt = after[0] if after else None
    det_before = prev in _DETERMINERS or (prev is not None and prev.endswith("'s") and prev not in _CONTRACTIONS)
    verb_before = prev in _SUBJECTS or prev == "to" or prev in _MODALS

    if word == "read":
        if prev is not None and prev.endswith(("'s", "'ve", "'d")):
            return "VBD"  # he's read, I've read, she'd read
        if prev in _PERFECT or prev in _THIRD_PERSON or (prev2 in _PERFECT and prev in {
                "not", "never", "already", "just", "widely", "once", "you", "we", "they", "i", "he", "she", "it"}):
            return "VBD"
        if any(w in _PAST_CUES for w in rest) and prev not in _MODALS and prev != "to":
            return "VBD"
        return None
    if word == "wound":
        if nxt in {"up", "down", "around", "round", "through", "the", "his", "her", "their", "its", "tightly"} \
                or prev in _SUBJECTS - {"who", "that"} or prev in {"had", "has", "have", "tightly", "was", "were"}:
            return "VBD"
        return None
    if word == "lead":
        if nxt in _METAL_NEXT or (prev in {"of", "with"} and prev2 in {"made", "full", "lined", "heavy"}) \
                or (prev == "as" and prev2 == "heavy"):
            return LEAD_METAL_KEY
        return None
    if word == "bass":
        if any(w in _FISH for w in (*before, *after)):
            return None  # the fish
        return "ADJ"  # the music (misaki's ADJ reading, bˈAs)
    if word == "minute":
        if nxt in _MINUTE_ADJ_NEXT or prev in {"very", "so", "too", "extremely", "most"} \
                or (prev in {"is", "are", "was", "were"} and nxt is None):  # "the changes were minute."
            return "ADJ"
        return None
    if word in ("use", "uses"):
        if det_before or prev in {"of", "in", "for", "into", "no", "make", "makes", "made", "making"} or nxt == "of" \
                and prev not in _SUBJECTS and prev != "to" and prev not in _MODALS:
            return "NOUN"
        return None
    if word == "close":
        if det_before:
            return "NOUN" if nxt in (None, "of") else None  # "the close of day" / "a close call"
        if verb_before or (prev is None and nxt in _VERB_PARTICLES["close"]) or nxt in {"down", "up", "off"}:
            return "VERB"
        if nxt in _VERB_PARTICLES["close"] and prev not in {"is", "are", "was", "were", "so", "very", "too", "and"}:
            return "VERB"
        return None
    if word == "bow" and prev == "a" and prev2 in {"take", "takes", "took", "taking"}:
        return "VERB"  # take a bow: bˈW
    if word in ("bow", "bows") and nxt == "of":
        return "VERB"  # the bow of the ship
    if det_before:
        return None  # the noun (DEFAULT: record, present, object, desert, wind, tear, live (adjective), ...)
    if word in ("lives", "closes"):
        # lives: verb after a subject or before a particle; noun otherwise (their lives, save lives)
        if prev in _SUBJECTS or prev in _THIRD_PERSON or nxt in _VERB_PARTICLES.get(word, ()):
            return "VERB"
        return None
    if verb_before:
        return "VERB"
    particles = _VERB_PARTICLES.get(word)
    if particles and nxt in particles:
        return "VERB"
    if word in ("desert", "deserts") and nxt in _OBJECTS:
        return "VERB"
    if word in ("object", "objects", "present", "presents", "record", "records") and nxt in _OBJECTS \
            and prev is None:
        return "VERB"  # imperative at the start: "Record the show."
    return None

