"""A neural grapheme-to-phoneme fallback graph (``g2p.tflite``) for words misaki's lexicons lack.

The model is this project's own (``converter/g2p_train.py``, weights ``converter/g2p_model.npz``,
pinned by ``MODEL_SHA256``): a BiGRU encoder with an attention GRU decoder (0.75 M parameters)
trained on misaki's US lexicon minus both evaluation word lists, emitting Kokoro's misaki symbols
directly (one output id per symbol, stress marks ˈ ˌ included), so the host applies no refinement
rules (the manifest entry's ``"rules"`` is ``[]``).

    letters   int32 [1, MAX_LETTERS]   letter ids (the entry's ``letters``), right-padded with 0
    phonemes  int32 [1, MAX_PHONEMES]  symbol ids (the entry's ``phonemes``), greedy; 0 from </s> on
                                       (no 0: unfinished)

Graph (one signature, ``SIGNATURE``), exactly ``g2p_train``'s ``Model.greedy`` on one word:

* embedding folded into the GRU input projections (per-letter tables ``emb @ W_ih^T + b_ih`` for
  each direction: the gather needs no matmul);
* bidirectional GRU(128) unrolled over the ``MAX_LETTERS`` steps and masked: a padded step keeps
  the state, so the forward direction ends at the last real letter and the backward direction
  (walking from the end) stays at zero through the right-padding and starts at the last real
  letter, as the packed sequence in training does;
* decoder state ``tanh(Linear(mean of the encoder outputs over the real letters))``; attention
  keys ``att(outputs)`` computed once, scores masked to the real letters (-1e9), softmax, context;
* ``MAX_PHONEMES`` greedy GRUCell(256) steps from <s>, argmax fed back (the symbol embedding folded
  into a per-symbol table as above); every step's recurrent and context products are
  FULLY_CONNECTED ops on shared constant weights, which XNNPACK's weight cache packs once. Outputs
  from </s> on are 0; a <pad> / <s> id predicted inside a word (which training-time decoding would
  skip) is written as 1 (<s>, the empty symbol) so that 0 still means the end.

Measured (``python -m kokoro_litert.converter.g2p_fallback_eval``, Kokoro tokens, stress marks counted /
removed): PER 15.60 % / 11.33 % on the 1,000 held-out us_gold words CMUdict lacks, against 17.81 % /
13.74 % for espeak-ng and 26.8 % / 23.6 % for the earlier g2p-en graph; 13.00 % / 9.38 % on all 1,500
held-out words (espeak-ng 12.25 % / 9.48 %: the 500 us_silver ones are largely espeak's own output);
11.57 % / 8.27 % on 1,000 us_gold words CMUdict has (espeak-ng 10.28 % / 8.31 %). fp16 weights
(1.5 MB) score the held-out words identically to fp32. The graph is 3.1 MB (fp32 constants),
converted in about 20 s; 1.7-2 ms per word on one x86 thread through LiteRT.

``export_g2p_graph`` writes the file (tensor names stripped, ``kokoro_litert`` metadata record
via ``export.finalize_graph``) and returns its manifest entry, which carries both vocabularies and
the (empty) rule list: a runtime needs nothing else. ``g2p_fallback_eval`` measures it against the
lexicon and espeak-ng.
"""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path

import numpy as np

from kokoro_litert.cache import cache_dir, sha256_file
from kokoro_litert.errors import WeightsError
from kokoro_litert.runtime.bundle import graph_metadata

MODEL_FILE = Path(__file__).with_name("g2p_model.npz")
MODEL_SHA256 = "7d5a89fd295101a099c4cc30ef97261d30f30ef524b0a7a44967c1cd34662f53"

MAX_LETTERS = 32
MAX_PHONEMES = 42  # the training-time greedy length (targets have at most 40 symbols + </s>)
SIGNATURE = "g2p"
FILE = "g2p.tflite"
PAD_ID, UNK_ID = 0, 1  # letters
START_ID, END_ID = 1, 2  # phonemes (0 is <pad>)
RULES: list[str] = []  # runtime/g2p_graph.py refinements the host applies: none, the model speaks misaki


def load_model(path: str | os.PathLike = MODEL_FILE, check: bool = True):
    """(torch model as trained, letters, phonemes) from ``g2p_model.npz``, checked against ``MODEL_SHA256``."""
    from .g2p_train import load

    if check:
        digest = sha256_file(Path(path))
        if digest != MODEL_SHA256:
            raise WeightsError(f"{path}: sha256 {digest[:16]}… is not the pinned {MODEL_SHA256[:16]}…")
    model, letters, phonemes, _ = load(path)
    return model, letters, phonemes


# ------------------------------------------------------------------------------------- the graph


def _torch_module(model, letters: list[str], phonemes: list[str]):
    import torch
    import torch.nn.functional as F
    from torch import nn

    def const(t) -> nn.Parameter:
        return nn.Parameter(t.detach().to(torch.float32).contiguous().clone(), requires_grad=False)

    sd = {k: v.detach().to(torch.float64) for k, v in model.state_dict().items()}
    hidden = sd["cell.weight_hh"].shape[1]
    half = hidden // 2
    emb_dim = sd["demb.weight"].shape[1]

    class G2PGraph(nn.Module):
        """letters [1, MAX_LETTERS] int32 -> {"phonemes": [1, MAX_PHONEMES] int32} (see the module doc)."""

        def __init__(self):
            super().__init__()
            emb = sd["emb.weight"]
            # per-letter input projections of each direction (folded in float64, stored float32)
            self.fw_table = const(emb @ sd["enc.weight_ih_l0"].T + sd["enc.bias_ih_l0"])  # [L, 3H/2]
            self.fw_w_hh, self.fw_b_hh = const(sd["enc.weight_hh_l0"]), const(sd["enc.bias_hh_l0"])
            self.bw_table = const(emb @ sd["enc.weight_ih_l0_reverse"].T + sd["enc.bias_ih_l0_reverse"])
            self.bw_w_hh, self.bw_b_hh = const(sd["enc.weight_hh_l0_reverse"]), const(sd["enc.bias_hh_l0_reverse"])
            self.init_w, self.init_b = const(sd["init.weight"]), const(sd["init.bias"])
            self.att_w = const(sd["att.weight"])
            w_ih = sd["cell.weight_ih"]  # [3H, E + H]: [symbol embedding; context]
            self.dec_table = const(sd["demb.weight"] @ w_ih[:, :emb_dim].T + sd["cell.bias_ih"])  # [P, 3H]
            self.dec_w_ctx = const(w_ih[:, emb_dim:])
            self.dec_w_hh, self.dec_b_hh = const(sd["cell.weight_hh"]), const(sd["cell.bias_hh"])
            w_out = sd["out.weight"]  # [P, 2H]: [h; context]
            self.out_w_h, self.out_w_ctx, self.out_b = const(w_out[:, :hidden]), const(w_out[:, hidden:]), const(sd["out.bias"])

        @staticmethod
        def cell(gi, hid, w_hh, b_hh):
            """torch.nn.GRUCell with the input projection ``gi`` given."""
            n = hid.shape[-1]
            gh = F.linear(hid, w_hh, b_hh)
            rz = torch.sigmoid(gi[:, : 2 * n] + gh[:, : 2 * n])
            r, z = rz[:, :n], rz[:, n:]
            c = torch.tanh(gi[:, 2 * n:] + r * gh[:, 2 * n:])
            return (1 - z) * c + z * hid

        def forward(self, letters: torch.Tensor) -> dict[str, torch.Tensor]:
            ids = letters.long()[0]  # [T]
            steps = ids.shape[0]
            real = (ids != PAD_ID).to(torch.float32)[:, None]  # [T, 1]
            fw_in, bw_in = self.fw_table[ids], self.bw_table[ids]  # [T, 3H/2]
            hf = torch.zeros(1, half)
            hb = torch.zeros(1, half)
            fw_out, bw_out = [], [None] * steps
            for t in range(steps):  # padded steps keep the state
                m = real[t:t + 1]
                hf = m * self.cell(fw_in[t:t + 1], hf, self.fw_w_hh, self.fw_b_hh) + (1 - m) * hf
                fw_out.append(hf)
            for t in reversed(range(steps)):  # zero through the right-padding, then from the last letter
                m = real[t:t + 1]
                hb = m * self.cell(bw_in[t:t + 1], hb, self.bw_w_hh, self.bw_b_hh) + (1 - m) * hb
                bw_out[t] = hb
            enc = torch.cat([torch.cat(fw_out, 0), torch.cat(bw_out, 0)], 1) * real  # [T, H]
            mean = enc.sum(0, keepdim=True) / real.sum()
            hid = torch.tanh(F.linear(mean, self.init_w, self.init_b))  # [1, H]
            keys = F.linear(enc, self.att_w)  # [T, H]
            bias = (real[:, 0] - 1) * 1e9  # [T]: -1e9 on padding

            ctx = torch.zeros(1, hidden)
            pred = torch.full((1,), START_ID, dtype=torch.long)
            running = torch.ones(1, dtype=torch.int32)  # 1 until </s> has been emitted
            outs = []
            for _ in range(MAX_PHONEMES):
                gi = self.dec_table[pred] + F.linear(ctx, self.dec_w_ctx)
                hid = self.cell(gi, hid, self.dec_w_hh, self.dec_b_hh)
                scores = F.linear(hid, keys) + bias  # [1, T]
                ctx = F.linear(torch.softmax(scores, -1), enc.T)  # [1, H]
                logits = F.linear(hid, self.out_w_h, self.out_b) + F.linear(ctx, self.out_w_ctx)
                pred = torch.argmax(logits, dim=-1)  # [1]
                p32 = pred.to(torch.int32)
                running = running * (p32 != END_ID).to(torch.int32)
                outs.append((p32 + (p32 == PAD_ID).to(torch.int32)) * running)  # </s> and after: 0
            return {"phonemes": torch.stack(outs, dim=1)}  # [1, MAX_PHONEMES]

    return G2PGraph().eval()


def build_module(path: str | os.PathLike = MODEL_FILE, check: bool = True):
    """(export-ready torch module, letters, phonemes) from ``g2p_model.npz``."""
    model, letters, phonemes = load_model(path, check)
    return _torch_module(model, letters, phonemes), letters, phonemes


def encode_letters(word: str, letters: list[str]) -> np.ndarray:
    """A word of the graph's alphabet (at most MAX_LETTERS) -> the ``letters`` input, int32 [1, MAX_LETTERS]."""
    if not 0 < len(word) <= MAX_LETTERS:
        raise ValueError(f"{word!r}: 1 to {MAX_LETTERS} letters")
    ids = np.zeros((1, MAX_LETTERS), np.int32)
    ids[0, : len(word)] = [letters.index(c) if c in letters[2:] else UNK_ID for c in word]
    return ids


# ------------------------------------------------------------------------------------- export


def _cache_key() -> str:
    from importlib.metadata import version

    import torch

    h = hashlib.sha256()
    for part in (MODEL_SHA256, version("litert-torch"), torch.__version__, str(MAX_LETTERS), str(MAX_PHONEMES)):
        h.update(part.encode() + b"\0")
    h.update(Path(__file__).read_bytes())
    return h.hexdigest()


def convert(dest: Path, verbose: bool = False) -> float:
    """Convert the graph to ``dest`` (named tensors), as ``export.convert_graph`` converts the
    model's graphs; returns the seconds it took."""
    import torch

    from .export import GraphJob, convert_graph

    module, letters, _ = build_module()
    sample = {"letters": torch.from_numpy(encode_letters("example", letters))}
    return convert_graph(GraphJob("g2p", module, {SIGNATURE: sample}), dest, verbose)


def export_g2p_graph(out_dir: str | os.PathLike, verbose: bool = False, log=None) -> dict:
    """Write ``out_dir/g2p.tflite`` (converted once per content hash into ``cache_dir("graphs")``,
    then tensor names stripped and the metadata record written by ``export.finalize_graph``) and
    return its manifest entry::

        {"file": "g2p.tflite", "bytes": ..., "sha256": ..., "signature": "g2p",
         "letters": input id -> letter ("<pad>" = 0, "<unk>" = 1), "phonemes": output id -> misaki
         symbol ("" for <pad> <s> </s>), "rules": [] (runtime/g2p_graph.py refinements to apply),
         "max_letters": 32, "max_phonemes": 42, "source": ...}

    Input ids are right-padded with 0; in the output, 0 marks the end of the word.
    """
    from .export import _place, finalize_graph

    log = log or (lambda line: print(line, file=sys.stderr))
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    _, letters, phonemes = load_model()
    named = cache_dir("graphs") / f"g2p-{_cache_key()[:20]}.tflite"
    if not named.is_file():
        seconds = convert(named, verbose)
        log(f"converted g2p in {seconds:.0f} s")
    final = named.with_name(f"{named.stem}-final.tflite")
    if not final.is_file():
        finalize_graph(named, final, graph_metadata("g2p", [SIGNATURE], MODEL_SHA256))
    dest = out_dir / FILE
    _place(final, dest)
    return {
        "file": FILE,
        "bytes": dest.stat().st_size,
        "sha256": sha256_file(dest),
        "signature": SIGNATURE,
        "letters": list(letters),
        "phonemes": ["" if p.startswith("<") else p for p in phonemes],
        "rules": list(RULES),
        "max_letters": MAX_LETTERS,
        "max_phonemes": MAX_PHONEMES,
        "source": "converter/g2p_train.py on misaki's US lexicon (Apache-2.0), converter/g2p_model.npz",
    }


__all__ = ["MAX_LETTERS", "MAX_PHONEMES", "MODEL_SHA256", "RULES", "SIGNATURE", "build_module", "encode_letters",
           "export_g2p_graph", "load_model"]
