"""Heteronyms read by the neighbouring words (runtime/heteronyms.py), on sentences written for it.

Each case: a sentence, the heteronym (its word index in the sentence) and the reading expected
(phonemes without stress marks). The accuracy is asserted, and compared with reading every
heteronym at its lexicon DEFAULT (what the G2P did before). ``CASES`` were written with the rules
(and the rules tuned on them: 100 %); ``HELD_OUT`` was written after the rules were frozen and has
not been tuned on (88 % when written, vs 51 % at DEFAULT): that is the number to quote.
"""

import pytest

from kokoro_litert.runtime import g2p as g2p_module
from kokoro_litert.runtime.g2p import G2P
from kokoro_litert.runtime.heteronyms import tag

CASES = [
    # read: ɹid (present, infinitive) / ɹɛd (past, participle)
    ("I read the news every morning.", "read", "ɹid"),
    ("She read the letter twice.", "read", "ɹɛd"),
    ("Have you read this book?", "read", "ɹɛd"),
    ("I will read it tonight.", "read", "ɹid"),
    ("He read it yesterday.", "read", "ɹɛd"),
    ("They like to read in bed.", "read", "ɹid"),
    ("The book was read aloud.", "read", "ɹɛd"),
    ("I read that article last week.", "read", "ɹɛd"),
    ("I've read all of them.", "read", "ɹɛd"),
    # live / lives: lIv (adjective), lIvz (noun) / lɪv, lɪvz (verb)
    ("We live in a small town.", "live", "lɪv"),
    ("The band played live music.", "live", "lIv"),
    ("Where do you live?", "live", "lɪv"),
    ("The show is broadcast live.", "live", "lIv"),
    ("They want to live forever.", "live", "lɪv"),
    ("Watch the live stream tonight.", "live", "lIv"),
    ("She lives near the river.", "lives", "lɪvz"),
    ("Their lives changed forever.", "lives", "lIvz"),
    ("The firefighters saved many lives.", "lives", "lIvz"),
    ("He lives alone.", "lives", "lɪvz"),
    # lead: lid (to guide) / lɛd (the metal)
    ("She will lead the team.", "lead", "lid"),
    ("The pipes were full of lead.", "lead", "lɛd"),
    ("Lead paint is dangerous.", "lead", "lɛd"),
    ("Follow my lead.", "lead", "lid"),
    ("Children can get lead poisoning from old houses.", "lead", "lɛd"),
    ("They lead by example.", "lead", "lid"),
    # wind: wɪnd (air) / wInd (to turn)
    ("The wind was cold.", "wind", "wɪnd"),
    ("Wind the clock before bed.", "wind", "wInd"),
    ("A strong wind blew all night.", "wind", "wɪnd"),
    ("The road starts to wind through the hills.", "wind", "wInd"),
    ("Let's wind down after work.", "wind", "wInd"),
    # tear / tears: tɪɹ (crying) / tɛɹ (to rip)
    ("A tear rolled down her cheek.", "tear", "tɪɹ"),
    ("Don't tear the paper.", "tear", "tɛɹ"),
    ("They will tear down the old barn.", "tear", "tɛɹ"),
    ("Her eyes filled with tears.", "tears", "tɪɹz"),
    ("He tears open the envelope.", "tears", "tɛɹz"),
    # close: klOs (near) / klOz (to shut, the end)
    ("Please close the door.", "close", "klOz"),
    ("The shop is close to the station.", "close", "klOs"),
    ("That was a close call.", "close", "klOs"),
    ("The stores close at nine.", "close", "klOz"),
    ("We sat close together.", "close", "klOs"),
    ("At the close of the day, we rested.", "close", "klOz"),
    # use / uses: juz (verb) / jus (noun)
    ("I use this pen every day.", "use", "juz"),
    ("What is the use of worrying?", "use", "jus"),
    ("This tool is in use.", "use", "jus"),
    ("Make use of your time.", "use", "jus"),
    ("You can use my car.", "use", "juz"),
    ("The drug has many uses.", "uses", "jusᵻz"),
    ("She uses a laptop.", "uses", "juzᵻz"),
    # record: ɹɛkəɹd (noun) / ɹəkɔɹd (verb)
    ("She broke the world record.", "record", "ɹɛkəɹd"),
    ("Please record the meeting.", "record", "ɹəkɔɹd"),
    ("They record every call.", "record", "ɹəkɔɹd"),
    ("He bought a record player.", "record", "ɹɛkəɹd"),
    ("We need to record this.", "record", "ɹəkɔɹd"),
    # present: pɹɛzᵊnt (noun, adjective) / pɹizɛnt (verb)
    ("She gave me a present.", "present", "pɹɛzᵊnt"),
    ("We will present the results tomorrow.", "present", "pɹizɛnt"),
    ("Everyone was present at the meeting.", "present", "pɹɛzᵊnt"),
    ("At present, we have no plans.", "present", "pɹɛzᵊnt"),
    ("Let me present my friend.", "present", "pɹizɛnt"),
    # object: ɑbʤəkt (noun) / əbʤɛkt (verb)
    ("I object to that remark.", "object", "əbʤɛkt"),
    ("The object fell off the table.", "object", "ɑbʤəkt"),
    ("Nobody will object.", "object", "əbʤɛkt"),
    ("She held a strange object in her hand.", "object", "ɑbʤəkt"),
    # minute: mɪnət (sixty seconds) / mInut (tiny)
    ("Wait a minute.", "minute", "mɪnət"),
    ("The changes were minute.", "minute", "mInut"),
    ("He examined every minute detail.", "minute", "mInut"),
    ("It took one minute to load.", "minute", "mɪnət"),
    ("Minute traces of gold were found.", "minute", "mInut"),
    # wound: wund (injury) / wWnd (past of wind)
    ("The wound healed slowly.", "wound", "wund"),
    ("He wound the rope around the post.", "wound", "wWnd"),
    ("She cleaned the wound carefully.", "wound", "wund"),
    ("The road wound through the valley.", "wound", "wWnd"),
    ("We wound up at a diner.", "wound", "wWnd"),
    # bass: bAs (music) / bæs (fish)
    ("He plays bass in a band.", "bass", "bAs"),
    ("They caught a huge bass in the lake.", "bass", "bæs"),
    ("Turn up the bass on the speakers.", "bass", "bAs"),
    ("Grilled sea bass is on the menu.", "bass", "bæs"),
    # bow: bO (ribbon, weapon) / bW (to bend, front of a ship)
    ("She tied a bow in her hair.", "bow", "bO"),
    ("The actors took a bow.", "bow", "bW"),
    ("Bow to the queen.", "bow", "bW"),
    ("He shot an arrow from his bow.", "bow", "bO"),
    ("The waves hit the bow of the ship.", "bow", "bW"),
    # desert: dɛzəɹt (dry land) / dəzɜɹt (to abandon)
    ("The desert is hot and dry.", "desert", "dɛzəɹt"),
    ("Soldiers who desert are punished.", "desert", "dəzɜɹt"),
    ("Never desert your friends.", "desert", "dəzɜɹt"),
    ("They crossed the Sahara desert.", "desert", "dɛzəɹt"),
    ("The camel walked across the desert.", "desert", "dɛzəɹt"),
]


# written after the rules were frozen; never tuned on
HELD_OUT = [
    ("Did you read my email?", "read", "ɹid"),
    ("My father read us stories at night.", "read", "ɹɛd"),
    ("The sign was hard to read.", "read", "ɹid"),
    ("Nobody had read the contract.", "read", "ɹɛd"),
    ("Kids who read a lot write well.", "read", "ɹid"),
    ("Many people live on less than a dollar a day.", "live", "lɪv"),
    ("The concert will be streamed live.", "live", "lIv"),
    ("Plants need light to live.", "live", "lɪv"),
    ("Careful, that is a live wire.", "live", "lIv"),
    ("The cat lives under the porch.", "lives", "lɪvz"),
    ("The war cost thousands of lives.", "lives", "lIvz"),
    ("He took the lead in the final lap.", "lead", "lid"),
    ("These roads lead to the coast.", "lead", "lid"),
    ("The fishing weights are made of lead.", "lead", "lɛd"),
    ("The old house had lead pipes.", "lead", "lɛd"),
    ("The wind howled outside.", "wind", "wɪnd"),
    ("Remember to wind your watch.", "wind", "wInd"),
    ("Tears streamed down his face.", "tears", "tɪɹz"),
    ("Be careful not to tear your jacket.", "tear", "tɛɹ"),
    ("She shed a single tear.", "tear", "tɪɹ"),
    ("Stand close to me.", "close", "klOs"),
    ("Could you close the window?", "close", "klOz"),
    ("They are close friends.", "close", "klOs"),
    ("The bank will close early today.", "close", "klOz"),
    ("There is no use crying.", "use", "jus"),
    ("We use solar power at home.", "use", "juz"),
    ("Its main use is cooking.", "use", "jus"),
    ("The police record all interviews.", "record", "ɹəkɔɹd"),
    ("He has a clean record.", "record", "ɹɛkəɹd"),
    ("The students will present their projects.", "present", "pɹizɛnt"),
    ("Live in the present.", "present", "pɹɛzᵊnt"),
    ("Several members objected, and one will object again.", "object", "əbʤɛkt"),
    ("Every object has a shadow.", "object", "ɑbʤəkt"),
    ("I'll be back in a minute.", "minute", "mɪnət"),
    ("Only a minute amount remained.", "minute", "mInut"),
    ("She wound the yarn into a ball.", "wound", "wWnd"),
    ("The soldier had a deep wound.", "wound", "wund"),
    ("She sings bass in the choir.", "bass", "bAs"),
    ("He caught a bass with a small lure.", "bass", "bæs"),
    ("The violinist lifted her bow.", "bow", "bO"),
    ("The servants bow when the king enters.", "bow", "bW"),
    ("Rats desert a sinking ship.", "desert", "dəzɜɹt"),
    ("Cacti grow in the desert.", "desert", "dɛzəɹt"),
]


def _reading(g2p, sentence, word):
    words = sentence.split()
    i = next(k for k, w in enumerate(words) if w.strip(".,?!").lower() == word)
    ps = g2p.phonemize(sentence).split()
    assert len(ps) == len(words), (sentence, ps)
    return ps[i].strip(".,?!").replace("ˈ", "").replace("ˌ", "")


def _accuracy(g2p, cases=CASES):
    misses = [(s, w, want, got) for s, w, want in cases if (got := _reading(g2p, s, w)) != want]
    return 1 - len(misses) / len(cases), misses


def test_there_are_enough_sentences():
    assert len(CASES) >= 60 and len(HELD_OUT) >= 40 and not {s for s, _, _ in CASES} & {s for s, _, _ in HELD_OUT}
    assert {w for _, w, _ in CASES} >= set("read live lead wind tear close use record present object minute wound "
                                           "bass bow desert".split())


def test_heteronym_accuracy(monkeypatch):
    g2p = G2P()
    accuracy, misses = _accuracy(g2p)
    monkeypatch.setattr(g2p_module, "_heteronym_tags", lambda tokens: {})
    baseline, _ = _accuracy(g2p)
    print(f"heteronyms: {accuracy:.1%} right with context, {baseline:.1%} at the lexicon DEFAULT "
          f"({len(CASES)} sentences); misses: {misses}")
    assert accuracy >= 0.95, misses
    assert accuracy > baseline + 0.3


def test_heteronym_accuracy_held_out(monkeypatch):
    g2p = G2P()
    accuracy, misses = _accuracy(g2p, HELD_OUT)
    monkeypatch.setattr(g2p_module, "_heteronym_tags", lambda tokens: {})
    baseline, _ = _accuracy(g2p, HELD_OUT)
    print(f"heteronyms, held out: {accuracy:.1%} right with context, {baseline:.1%} at the lexicon DEFAULT "
          f"({len(HELD_OUT)} sentences); misses: {misses}")
    assert accuracy >= 0.85, misses
    assert accuracy > baseline + 0.25


@pytest.mark.parametrize("word, before, after, expected", [
    ("read", ["she"], ["the"], "VBD"),
    ("read", ["to"], ["it"], None),
    ("record", ["the"], [], None),
    ("record", ["to"], ["it"], "VERB"),
    ("lead", [], ["paint"], "METAL"),
    ("cat", ["the"], [], None),
])
def test_tag(word, before, after, expected):
    assert tag(word, before, after) == expected
