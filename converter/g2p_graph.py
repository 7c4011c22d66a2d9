"""A neural grapheme-to-phoneme fallback graph (``g2p.tflite``) for words misaki's lexicons lack.

The model is the pretrained GRU encoder-decoder of PyPI ``g2p-en`` 2.1.0 (Kyubyong Park and
Jongseok Kim, Apache-2.0, trained on CMUdict): its numpy checkpoint ``g2p_en/checkpoint20.npz`` is
read out of the pinned wheel (``pip download``, checked by sha256, cached); ``g2p_en`` itself is
never imported (it downloads NLTK data at import).

    letters   int32 [1, MAX_LETTERS]   grapheme ids (``LETTERS``), right-padded with 0
    phonemes  int32 [1, MAX_PHONEMES]  ARPAbet ids (``ARPABET``), greedy; 0 from </s> on (no 0: unfinished)

Graph (one signature, ``SIGNATURE``): a GRU(256) encoder over the letters, masked so that padded
steps keep the state (the state after the last real letter is what the unpadded model has), then
the </s> step g2p-en appends; a GRU(256) decoder unrolled for ``MAX_PHONEMES`` greedy steps from <s>,
its argmax fed back as the next input. This is exactly ``g2p_en.G2p.predict`` (which stops at 20
phonemes; the graph goes to 32). The input projections are folded into per-symbol tables
(``emb @ W_ih^T + b_ih``: the embedding gather then needs no matmul), and every step's recurrent
product is a FULLY_CONNECTED on one shared constant weight tensor, which XNNPACK's weight cache
packs once.

The host maps the ids to Kokoro's misaki symbols with ``PHONEMES`` (``arpabet_to_misaki``: stress
mark before the vowel, AH/ER reduced when unstressed) and refines the sequence with
``runtime/g2p_graph.py``'s rules (flap T, ʔn, syllabic ᵊl, -ᵻd / -ᵻz, reduced ɪ). ``export_g2p_graph``
writes the file and returns its manifest entry, which carries both vocabularies: a runtime needs
nothing else. ``g2p_fallback_eval`` measures it against the lexicon and espeak-ng.
"""

from __future__ import annotations

import ast
import hashlib
import io
import os
import shutil
import sys
import tempfile
import time
import warnings
import zipfile
from pathlib import Path

import numpy as np

from kokoro_litert.cache import atomic_path, cache_dir, sha256_file, verify_sha256
from kokoro_litert.errors import WeightsError

from . import sources

G2P_EN = sources.WheelPart("g2p-en", "2.1.0", "2a7aabf1fc7f270fcc3349881407988c9245173c2413debbe5432f4a4f31319f")
CHECKPOINT_MEMBER = "g2p_en/checkpoint20.npz"
CHECKPOINT_SHA256 = "b8af35e4596d8dd5836dfd3fe9b2ba4f97b9c311efe8879544cbcfcbd566d8c6"
SOURCE_MEMBER = "g2p_en/g2p.py"

MAX_LETTERS = 32
MAX_PHONEMES = 32
SIGNATURE = "g2p"
FILE = "g2p.tflite"
HIDDEN = 256

# g2p_en.G2p.__init__: the vocabularies the checkpoint was trained with.
LETTERS = ["<pad>", "<unk>", "</s>"] + list("abcdefghijklmnopqrstuvwxyz")
ARPABET = ["<pad>", "<unk>", "<s>", "</s>"] + [
    "AA0", "AA1", "AA2", "AE0", "AE1", "AE2", "AH0", "AH1", "AH2", "AO0", "AO1", "AO2", "AW0", "AW1",
    "AW2", "AY0", "AY1", "AY2", "B", "CH", "D", "DH", "EH0", "EH1", "EH2", "ER0", "ER1", "ER2", "EY0",
    "EY1", "EY2", "F", "G", "HH", "IH0", "IH1", "IH2", "IY0", "IY1", "IY2", "JH", "K", "L", "M", "N",
    "NG", "OW0", "OW1", "OW2", "OY0", "OY1", "OY2", "P", "R", "S", "SH", "T", "TH", "UH0", "UH1",
    "UH2", "UW", "UW0", "UW1", "UW2", "V", "W", "Y", "Z", "ZH",
]
PAD_ID, UNK_ID, END_LETTER_ID = 0, 1, 2
START_ID, END_ID = 2, 3

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


PHONEMES = [arpabet_to_misaki(t) for t in ARPABET]


# ------------------------------------------------------------------------------------ checkpoint


def fetch_wheel() -> Path:
    """The verified g2p-en wheel, kept in ``cache_dir("g2p")`` (``pip download`` on first use)."""
    dest = cache_dir("g2p") / G2P_EN.filename
    if dest.is_file() and sha256_file(dest) == G2P_EN.sha256:
        return dest
    with tempfile.TemporaryDirectory(prefix="kokoro-g2p-") as tmp:
        wheel = sources.fetch_wheel(G2P_EN, Path(tmp))
        with atomic_path(dest) as part:
            part.write_bytes(wheel.read_bytes())
            verify_sha256(part, G2P_EN.sha256)
    return dest


def _member(name: str) -> bytes:
    try:
        with zipfile.ZipFile(fetch_wheel()) as z:
            return z.read(name)
    except (zipfile.BadZipFile, KeyError) as e:
        raise WeightsError(f"{G2P_EN.filename}: no {name} inside ({e})") from e


def load_checkpoint() -> dict[str, np.ndarray]:
    """g2p-en's ``checkpoint20.npz``: enc_emb [29, 256], enc_w_ih/w_hh [768, 256], enc_b_ih/b_hh [768],
    dec_* likewise with dec_emb [74, 256], fc_w [74, 256], fc_b [74]. Checked against its sha256."""
    blob = _member(CHECKPOINT_MEMBER)
    digest = hashlib.sha256(blob).hexdigest()
    if digest != CHECKPOINT_SHA256:
        raise WeightsError(f"{G2P_EN.filename}:{CHECKPOINT_MEMBER}: sha256 {digest[:16]}… is not the pinned "
                           f"{CHECKPOINT_SHA256[:16]}…")
    with np.load(io.BytesIO(blob)) as npz:
        ckpt = {k: npz[k].astype(np.float32) for k in npz.files}
    if ckpt["enc_emb"].shape != (len(LETTERS), HIDDEN) or ckpt["fc_w"].shape != (len(ARPABET), HIDDEN):
        raise WeightsError(f"{CHECKPOINT_MEMBER}: unexpected shapes {ckpt['enc_emb'].shape} / {ckpt['fc_w'].shape}")
    return ckpt


def wheel_reference():
    """g2p-en's own numpy inference (``G2p.sigmoid/grucell/gru/encode/predict``), taken from the wheel's
    source text without importing the package (its import fetches NLTK data). Returns an object
    whose ``predict(word)`` gives ARPAbet tokens (at most 20, as g2p-en stops there)."""
    with warnings.catch_warnings():  # its source has a "\-" escape Python now warns about
        warnings.simplefilter("ignore", SyntaxWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        tree = ast.parse(_member(SOURCE_MEMBER).decode())
    cls = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "G2p")
    init = next(n for n in cls.body if isinstance(n, ast.FunctionDef) and n.name == "__init__")
    vocab = {}
    for stmt in init.body:  # self.graphemes = [...]; self.phonemes = [...]
        if isinstance(stmt, ast.Assign) and isinstance(stmt.targets[0], ast.Attribute) \
                and stmt.targets[0].attr in ("graphemes", "phonemes"):
            vocab[stmt.targets[0].attr] = eval(compile(ast.Expression(stmt.value), SOURCE_MEMBER, "eval"),
                                               {"__builtins__": {}, "list": list})
    if vocab.get("graphemes") != LETTERS or vocab.get("phonemes") != ARPABET:
        raise WeightsError(f"{SOURCE_MEMBER}: vocabularies differ from the pinned ones")
    keep = {"sigmoid", "grucell", "gru", "encode", "predict", "load_variables"}
    cls.body = [n for n in cls.body if isinstance(n, ast.FunctionDef) and n.name in keep]
    cls.decorator_list = []
    module = ast.Module(body=[cls], type_ignores=[])
    ns = {"np": np, "os": os}
    exec(compile(module, SOURCE_MEMBER, "exec"), ns)
    ref = ns["G2p"].__new__(ns["G2p"])
    ref.graphemes, ref.phonemes = LETTERS, ARPABET
    ref.g2idx = {g: i for i, g in enumerate(LETTERS)}
    ref.idx2p = dict(enumerate(ARPABET))
    ref.variables = load_checkpoint()
    for k, v in ref.variables.items():
        setattr(ref, k, v)
    return ref


# ------------------------------------------------------------------------------------- the graph


def _torch_module(ckpt: dict[str, np.ndarray]):
    import torch
    import torch.nn.functional as F
    from torch import nn

    def const(a: np.ndarray) -> nn.Parameter:
        return nn.Parameter(torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32)), requires_grad=False)

    class G2PGraph(nn.Module):
        """letters [1, MAX_LETTERS] int32 -> {"phonemes": [1, MAX_PHONEMES] int32} (see the module doc)."""

        def __init__(self):
            super().__init__()
            h = HIDDEN
            # input projections folded into per-symbol tables: row i = emb[i] @ W_ih^T + b_ih
            self.enc_table = const(ckpt["enc_emb"] @ ckpt["enc_w_ih"].T + ckpt["enc_b_ih"])  # [29, 3H]
            self.enc_w_hh, self.enc_b_hh = const(ckpt["enc_w_hh"]), const(ckpt["enc_b_hh"])
            self.dec_table = const(ckpt["dec_emb"] @ ckpt["dec_w_ih"].T + ckpt["dec_b_ih"])  # [74, 3H]
            self.dec_w_hh, self.dec_b_hh = const(ckpt["dec_w_hh"]), const(ckpt["dec_b_hh"])
            self.fc_w, self.fc_b = const(ckpt["fc_w"]), const(ckpt["fc_b"])
            self.h = h

        def cell(self, gi, hid, w_hh, b_hh):
            """torch.nn.GRUCell (= g2p-en's grucell) with the input projection ``gi`` given."""
            gh = F.linear(hid, w_hh, b_hh)
            h2 = 2 * self.h
            rz = torch.sigmoid(gi[:, :h2] + gh[:, :h2])
            r, z = rz[:, : self.h], rz[:, self.h:]
            n = torch.tanh(gi[:, h2:] + r * gh[:, h2:])
            return (1 - z) * n + z * hid

        def forward(self, letters: torch.Tensor) -> dict[str, torch.Tensor]:
            ids = letters.long()[0]  # [T]
            mask = (ids != PAD_ID).to(torch.float32)[:, None]  # [T, 1]
            gi = self.enc_table[ids]  # [T, 3H]
            hid = torch.zeros(1, self.h)
            for t in range(ids.shape[0]):  # padded steps keep the state
                new = self.cell(gi[t:t + 1], hid, self.enc_w_hh, self.enc_b_hh)
                m = mask[t:t + 1]
                hid = m * new + (1 - m) * hid
            hid = self.cell(self.enc_table[END_LETTER_ID:END_LETTER_ID + 1], hid, self.enc_w_hh, self.enc_b_hh)

            x = self.dec_table[START_ID:START_ID + 1]
            running = torch.ones(1, dtype=torch.int32)  # 1 until </s> has been emitted
            outs = []
            for _ in range(MAX_PHONEMES):
                hid = self.cell(x, hid, self.dec_w_hh, self.dec_b_hh)
                logits = F.linear(hid, self.fc_w, self.fc_b)
                pred = torch.argmax(logits, dim=-1).to(torch.int32)  # [1]
                running = running * (pred != END_ID).to(torch.int32)
                outs.append(pred * running)  # </s> and all after it: 0
                x = self.dec_table[pred.long()]
            return {"phonemes": torch.stack(outs, dim=1)}  # [1, MAX_PHONEMES]

    return G2PGraph().eval()


def build_module(ckpt: dict[str, np.ndarray] | None = None):
    """The export-ready torch module (weights from g2p-en's checkpoint)."""
    return _torch_module(ckpt if ckpt is not None else load_checkpoint())


def encode_letters(word: str) -> np.ndarray:
    """A lower-case a-z word (at most MAX_LETTERS) -> the graph's ``letters`` input, int32 [1, MAX_LETTERS]."""
    if not 0 < len(word) <= MAX_LETTERS:
        raise ValueError(f"{word!r}: 1 to {MAX_LETTERS} letters")
    ids = np.zeros((1, MAX_LETTERS), np.int32)
    ids[0, : len(word)] = [LETTERS.index(c) if c in LETTERS[3:] else UNK_ID for c in word]
    return ids


def decode_ids(ids) -> tuple[list[str], bool]:
    """Graph output ids -> (ARPAbet tokens before the first 0, whether the word finished: a 0 came)."""
    out = []
    for i in np.asarray(ids).reshape(-1).tolist():
        if i == PAD_ID:
            return out, True
        out.append(ARPABET[i])
    return out, False


# ------------------------------------------------------------------------------------- export


def _cache_key(ckpt_sha: str) -> str:
    from importlib.metadata import version

    import torch

    h = hashlib.sha256()
    for part in (ckpt_sha, version("litert-torch"), torch.__version__, str(MAX_LETTERS), str(MAX_PHONEMES)):
        h.update(part.encode() + b"\0")
    h.update(Path(__file__).read_bytes())
    return h.hexdigest()


def convert(dest: Path, verbose: bool = False) -> float:
    """Convert the graph to ``dest`` (named tensors); returns the seconds it took."""
    import torch

    from kokoro_litert.errors import ConversionError
    from kokoro_litert.native import quiet_native_logs

    start = time.perf_counter()
    os.environ.setdefault("LITERT_TORCH_SHOW_PROGRESS", "y" if verbose else "n")
    module = build_module()
    sample = {"letters": torch.from_numpy(encode_letters("example"))}
    with quiet_native_logs(verbose), torch.no_grad():
        import litert_torch

        converter = litert_torch.Converter()
        converter.signature(SIGNATURE, module, sample_kwargs=sample)
        try:
            model = converter.convert()
        except Exception as e:  # the converter raises many types
            raise ConversionError(f"g2p: conversion failed: {e}") from e
        with atomic_path(dest) as tmp:
            model.export(str(tmp))
    return time.perf_counter() - start


def strip_tensor_names(src: Path, dest: Path) -> None:
    """``src`` without the names of its internal tensors (only the signature's inputs and outputs
    keep theirs): 2.28 -> 2.12 MB."""
    from ai_edge_litert.tools import flatbuffer_utils

    model = flatbuffer_utils.read_model(src)
    keep = {(sig.subgraphIndex, t.tensorIndex) for sig in model.signatureDefs or []
            for t in [*(sig.inputs or []), *(sig.outputs or [])]}
    for s, subgraph in enumerate(model.subgraphs):
        for t, tensor in enumerate(subgraph.tensors):
            if (s, t) not in keep:
                tensor.name = None
    with atomic_path(dest) as tmp:
        flatbuffer_utils.write_model(model, tmp)


def export_g2p_graph(out_dir: str | os.PathLike, verbose: bool = False, log=None) -> dict:
    """Write ``out_dir/g2p.tflite`` (converted once per content hash into ``cache_dir("graphs")``,
    tensor names stripped) and return its manifest entry::

        {"file": "g2p.tflite", "bytes": ..., "sha256": ..., "signature": "g2p",
         "letters": LETTERS (input id per grapheme; "<pad>" = 0), "phonemes": PHONEMES (misaki symbols
         per output id; "" for the special ids), "arpabet": ARPABET (the same ids in ARPAbet),
         "max_letters": 32, "max_phonemes": 32, "source": "g2p-en 2.1.0 ... (Apache-2.0)"}

    Input ids are right-padded with 0; in the output, 0 marks the end of the word.
    """
    log = log or (lambda line: print(line, file=sys.stderr))
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    named = cache_dir("graphs") / f"g2p-{_cache_key(CHECKPOINT_SHA256)[:20]}.tflite"
    if not named.is_file():
        seconds = convert(named, verbose)
        log(f"converted g2p in {seconds:.0f} s")
    stripped = named.with_name(f"{named.stem}-stripped.tflite")
    if not stripped.is_file():
        strip_tensor_names(named, stripped)
    dest = out_dir / FILE
    dest.unlink(missing_ok=True)
    try:
        os.link(stripped, dest)
    except OSError:
        shutil.copyfile(stripped, dest)
    return {
        "file": FILE,
        "bytes": dest.stat().st_size,
        "sha256": sha256_file(dest),
        "signature": SIGNATURE,
        "letters": list(LETTERS),
        "phonemes": list(PHONEMES),
        "arpabet": list(ARPABET),
        "max_letters": MAX_LETTERS,
        "max_phonemes": MAX_PHONEMES,
        "source": f"g2p-en {G2P_EN.version} {CHECKPOINT_MEMBER} (Apache-2.0)",
    }


__all__ = ["ARPABET", "LETTERS", "MAX_LETTERS", "MAX_PHONEMES", "PHONEMES", "SIGNATURE", "arpabet_to_misaki",
           "build_module", "decode_ids", "encode_letters", "export_g2p_graph", "load_checkpoint", "wheel_reference"]
