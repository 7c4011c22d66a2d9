"""misaki's US lexicons as one compact file for the Java G2P (``core/text/Lexicon.java``).

The content is exactly what ``runtime.g2p._load_lexicon()`` builds: ``us_gold.json`` and
``us_silver.json``, each after ``_grow`` (Capitalised / lower-case twins added).

Format: gzip'd UTF-8 text, ``\\n``-terminated lines.

* Line 1 is the header ``#kokoro-lexicon<TAB>1`` (format version; no lexicon word starts with ``#``).
* Every other line is one entry, ``word<TAB>lexicon<TAB>value``:

  - ``lexicon`` is ``g`` (gold) or ``s`` (silver); a word may have one line in each.
  - ``value`` is the phoneme string, or for an entry keyed by part of speech one field per key,
    ``POS=phonemes`` (``DEFAULT=jˈuzd<TAB>VBD=jˈust``), with ``POS`` alone (no ``=``) where the
    lexicon's value is None (``NOUN`` for a noun reading misaki leaves to letter spelling). Phoneme
    strings never contain ``=``, a tab or a newline, so a value field holding ``=`` starts the
    POS form (every POS entry has a ``DEFAULT`` string). POS keys are sorted.

* Lines are sorted by (word, lexicon) in code-point order; the words are ASCII (letters, ``'``,
  ``-``, ``.``), so this is also byte order and the reader binary-searches the decompressed bytes
  instead of building a hash map (fast to load on a phone, about the decompressed size in memory).

Deterministic: sorted lines, gzip level 9 with mtime 0 and no file name in the header, so the
sha256 only changes with misaki's data (or the zlib build).
"""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

from kokoro_litert.cache import atomic_path
from kokoro_litert.runtime.g2p import _load_lexicon

__all__ = ["export_lexicon", "lexicon_lines", "HEADER", "FILE_NAME"]

FILE_NAME = "lexicon_us.tsv.gz"
HEADER = "#kokoro-lexicon\t1"
_FORBIDDEN = frozenset("\t\n\r=")


def _check(text: str, what: str) -> str:
    if not text or _FORBIDDEN & set(text):
        raise ValueError(f"lexicon {what} {text!r} cannot be written in the TSV format")
    return text


def _value(v) -> str:
    if isinstance(v, str):
        return _check(v, "phonemes")
    if not isinstance(v.get("DEFAULT"), str):
        raise ValueError(f"lexicon POS entry without a DEFAULT string: {v!r}")
    return "\t".join(_check(k, "POS key") if p is None else f"{_check(k, 'POS key')}={_check(p, 'phonemes')}"
                     for k, p in sorted(v.items()))


def lexicon_lines() -> list[str]:
    """The entry lines (no header, no newlines), sorted."""
    golds, silvers = _load_lexicon()
    lines = []
    for lex, d in (("g", golds), ("s", silvers)):
        for word, v in d.items():
            if not word.isascii() or word.startswith("#"):
                raise ValueError(f"lexicon word {word!r} cannot be written in the TSV format")
            lines.append((word, lex, f"{_check(word, 'word')}\t{lex}\t{_value(v)}"))
    lines.sort()
    return [line for _, _, line in lines]


def export_lexicon(path) -> dict:
    """Write the lexicon file at ``path``; its manifest entry ``{file, sha256, entries, bytes}``."""
    path = Path(path)
    lines = lexicon_lines()
    text = "\n".join([HEADER, *lines]) + "\n"
    data = gzip.compress(text.encode("utf-8"), compresslevel=9, mtime=0)
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return {"file": path.name, "sha256": hashlib.sha256(data).hexdigest(), "entries": len(lines),
            "bytes": len(data)}
