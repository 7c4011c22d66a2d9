"""Train the neural G2P fallback (``g2p.tflite``'s weights) on misaki's own US lexicon.

    python -m kokoro_litert.converter.g2p_train --out converter/g2p_model.npz [--minutes N] [--resume]

Data: misaki's ``us_gold.json`` + ``us_silver.json`` (``g2p_fallback_eval.lexicon()``, gold preferred
over silver for a word), keys lower-cased, only words of 1-32 letters from ``a-z'``, all-capital
acronyms dropped, targets in Kokoro's spelling (``kokoro_spelling``) and at most 40 symbols. BOTH
evaluation lists are removed before anything else: ``g2p_heldout_words.txt`` (1,500 lexicon words
missing from CMUdict) and ``g2p_cmu_words.txt`` (in CMUdict), so every figure
``g2p_fallback_eval`` prints is on words the model never saw. That leaves 172,302 words (29 letter
ids, 48 output ids); a seeded shuffle (``SEED``) puts 2,000 of them aside as a dev set (the first
1,000 are scored after every epoch) and trains on the rest.

Model (``Model``, 0.75 M parameters): letter embedding (64) -> bidirectional GRU (2 x 128) over the
real letters (packed: the backward direction starts at the last letter); decoder GRUCell(64 + 256 ->
256) whose state starts at tanh(Linear(mean of the encoder outputs)), Luong "general" attention
(Linear(256, 256) without bias, softmax over the real letters), output Linear([h; context] -> 48).
Teacher forcing with cross-entropy; greedy decoding from <s> (id 1) until </s> (id 2).

Optimisation: Adam, lr 2e-3 multiplied by 0.8 after every epoch, batches of 256, gradient norm
clipped at 1, one CPU thread (``torch.set_num_threads(1)``), stopped by wall-clock (``--minutes``;
the epoch in progress is cut there). ``--resume`` continues from ``--out`` (weights, epoch count, the
lr schedule position; Adam's moments restart). Seeds: ``SEED`` for the split and init, ``SEED +
epoch`` for each epoch's shuffle; one thread makes a run reproducible except for where the clock
cuts it.

The shipped ``converter/g2p_model.npz`` (``MODEL_SHA256`` in ``g2p_graph``) was trained on a 2-core
x86-64 container (Xeon, AVX-512), one thread, torch 2.13.0 (CPU): a first run of 25 min (one epoch
and a cut second) by this script's prototype (same data, split, model, optimiser and schedule, but
no torch seed and its own shuffle order, so that part is not bit-reproducible), then
``--resume --minutes 21`` (epoch 3 whole, epoch 4 cut after 101 of 666
batches; Adam's moments restarted): about 46 min in all, 3.2 epochs. Dev (1,000 words) PER 10.4 %;
held-out us_gold 15.6 % (11.3 % without stress), us_silver 7.6 %. Its weights were then stored half
precision (what ``--fp16`` does), which scores the held-out words identically: 1.5 MB.

The .npz holds the state dict under ``w/`` (fp32 while training; ``--fp16`` stores it half
precision), the vocabularies ``letters`` / ``phonemes`` and ``epoch``.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import time
from pathlib import Path

import numpy as np

SEED = 0
EMB = 64
HIDDEN = 256
MAX_TARGET = 40
DEV_WORDS = 2000
LR, LR_DECAY, BATCH, CLIP = 2e-3, 0.8, 256, 1.0
PAD, START, END = 0, 1, 2  # output ids; letters: 0 <pad>, 1 <unk>


def dataset() -> tuple[dict[str, tuple[str, str]], list[str], list[str]]:
    """{word: (source, target)}, the letter vocabulary, the output vocabulary."""
    from . import g2p_fallback_eval as E

    excl = {w.lower() for w in E.heldout_words() + E.cmu_words()}
    data: dict[str, tuple[str, str]] = {}
    for w, (src, ps) in E.lexicon().items():
        wl = w.lower()
        if not re.fullmatch(r"[a-z']{1,32}", wl) or wl in excl or (w.isupper() and len(w) > 1):
            continue
        ps = E.kokoro_spelling(ps)
        if len(ps) > MAX_TARGET:
            continue
        if wl in data and data[wl][0] == "gold" and src != "gold":
            continue
        if wl in data and w != wl and data[wl][0] == src:
            continue
        data[wl] = (src, ps)
    words = sorted(data)
    letters = ["<pad>", "<unk>"] + sorted({c for w in words for c in w})
    phonemes = ["<pad>", "<s>", "</s>"] + sorted({c for w in words for c in data[w][1]})
    return data, letters, phonemes


def make_model(n_letters: int, n_phonemes: int):
    import torch
    from torch import nn

    class Model(nn.Module):
        def __init__(s):
            super().__init__()
            s.emb = nn.Embedding(n_letters, EMB, padding_idx=0)
            s.enc = nn.GRU(EMB, HIDDEN // 2, batch_first=True, bidirectional=True)
            s.demb = nn.Embedding(n_phonemes, EMB)
            s.cell = nn.GRUCell(EMB + HIDDEN, HIDDEN)
            s.init = nn.Linear(HIDDEN, HIDDEN)
            s.att = nn.Linear(HIDDEN, HIDDEN, bias=False)
            s.out = nn.Linear(2 * HIDDEN, n_phonemes)

        def encode(s, x, lens):
            e = s.emb(x)
            pk = nn.utils.rnn.pack_padded_sequence(e, lens.cpu(), batch_first=True, enforce_sorted=False)
            o, _ = s.enc(pk)
            o, _ = nn.utils.rnn.pad_packed_sequence(o, batch_first=True, total_length=x.shape[1])
            mask = x != 0
            mean = (o * mask[..., None]).sum(1) / mask.sum(1, keepdim=True)
            return o, mask, torch.tanh(s.init(mean))

        def step(s, y, h, ctx, o, mask):
            h = s.cell(torch.cat([s.demb(y), ctx], -1), h)
            sc = (s.att(o) * h[:, None]).sum(-1).masked_fill(~mask, -1e9)
            a = torch.softmax(sc, -1)
            ctx = (a[..., None] * o).sum(1)
            return h, ctx, s.out(torch.cat([h, ctx], -1))

        def forward(s, x, lens, yin):
            o, mask, h = s.encode(x, lens)
            ctx = torch.zeros(x.shape[0], HIDDEN)
            logits = []
            for t in range(yin.shape[1]):
                h, ctx, lg = s.step(yin[:, t], h, ctx, o, mask)
                logits.append(lg)
            return torch.stack(logits, 1)

        @torch.no_grad()
        def greedy(s, x, lens, n=42):
            o, mask, h = s.encode(x, lens)
            ctx = torch.zeros(x.shape[0], HIDDEN)
            y = torch.full((x.shape[0],), START)
            out = []
            for _ in range(n):
                h, ctx, lg = s.step(y, h, ctx, o, mask)
                y = lg.argmax(-1)
                out.append(y)
            return torch.stack(out, 1)

    return Model()


def load(path: str | Path, dtype=None):
    """(model, letters, phonemes, epoch) from a .npz this script wrote (weights cast to fp32)."""
    import torch

    with np.load(path) as z:
        letters, phonemes = [str(c) for c in z["letters"]], [str(c) for c in z["phonemes"]]
        epoch = int(z["epoch"])
        state = {k[len("w/"):]: torch.from_numpy(z[k].astype(np.float32)) for k in z.files if k.startswith("w/")}
    m = make_model(len(letters), len(phonemes))
    m.load_state_dict(state)
    return m.eval(), letters, phonemes, epoch


def save(path: str | Path, m, letters, phonemes, epoch: int, fp16: bool = False) -> None:
    arrays = {f"w/{k}": v.detach().numpy().astype(np.float16 if fp16 else np.float32)
              for k, v in m.state_dict().items()}
    path = Path(path)
    tmp = path.with_name(path.name + ".part.npz")
    np.savez(tmp, letters=np.array(letters), phonemes=np.array(phonemes), epoch=np.array(epoch), **arrays)
    tmp.replace(path)


def main(argv=None) -> int:
    import torch
    import torch.nn.functional as F
    from torch import nn

    from . import g2p_fallback_eval as E

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--minutes", type=float, default=25.0)
    ap.add_argument("--resume", action="store_true")
    ap.add_argument("--fp16", action="store_true", help="store the weights in half precision")
    args = ap.parse_args(argv)

    torch.set_num_threads(1)
    torch.manual_seed(SEED)
    data, letters, phonemes = dataset()
    li = {c: i for i, c in enumerate(letters)}
    pi = {c: i for i, c in enumerate(phonemes)}
    words = sorted(data)
    random.Random(SEED).shuffle(words)
    dev, train = words[:DEV_WORDS], words[DEV_WORDS:]
    print(f"{len(words)} words, {len(letters)} letters, {len(phonemes)} phoneme symbols", flush=True)

    if args.resume:
        m, l2, p2, epoch = load(args.out)
        if l2 != letters or p2 != phonemes:
            raise SystemExit(f"{args.out}: vocabularies differ from the data's")
        m.train()
    else:
        m, epoch = make_model(len(letters), len(phonemes)), 0
    print(sum(p.numel() for p in m.parameters()), "params, from epoch", epoch, flush=True)
    opt = torch.optim.Adam(m.parameters(), lr=LR * LR_DECAY ** epoch)

    def batch(ws):
        xs = [[li.get(c, 1) for c in w] for w in ws]
        ys = [[pi[c] for c in data[w][1]] for w in ws]
        T, U = max(map(len, xs)), max(map(len, ys)) + 1
        x = torch.tensor([a + [0] * (T - len(a)) for a in xs])
        lens = torch.tensor([len(a) for a in xs])
        yin = torch.tensor([[START] + a + [PAD] * (U - 1 - len(a)) for a in ys])
        yout = torch.tensor([a + [END] + [PAD] * (U - 1 - len(a)) for a in ys])
        return x, lens, yin, yout

    def decode(ids):
        s = ""
        for i in ids.tolist():
            if i == END:
                break
            if i > END:
                s += phonemes[i]
        return s

    def evaluate(ws, target):
        m.eval()
        pairs = []
        for i in range(0, len(ws), 500):
            chunk = ws[i:i + 500]
            x, lens = batch_x(chunk)
            pairs += [(decode(r), target(w)) for r, w in zip(m.greedy(x, lens), chunk)]
        m.train()
        return E.score(pairs)

    def batch_x(ws):
        xs = [[li.get(c, 1) for c in w.lower()] for w in ws]
        T = max(map(len, xs))
        return torch.tensor([a + [0] * (T - len(a)) for a in xs]), torch.tensor([len(a) for a in xs])

    start = time.time()
    budget = args.minutes * 60
    while time.time() - start < budget:
        epoch += 1
        order = list(train)
        random.Random(SEED + epoch).shuffle(order)
        tot = n = 0
        for i in range(0, len(order), BATCH):
            x, lens, yin, yout = batch(order[i:i + BATCH])
            lg = m(x, lens, yin)
            loss = F.cross_entropy(lg.reshape(-1, len(phonemes)), yout.reshape(-1), ignore_index=PAD)
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(m.parameters(), CLIP)
            opt.step()
            tot += loss.item()
            n += 1
            if time.time() - start > budget:
                print(f"  cut at batch {n} of {(len(order) + BATCH - 1) // BATCH}", flush=True)
                break
        for g in opt.param_groups:
            g["lr"] *= LR_DECAY
        save(args.out, m, letters, phonemes, epoch)
        print(f"epoch {epoch} loss {tot / n:.3f} t={time.time() - start:.0f}s "
              f"dev {evaluate(dev[:1000], lambda w: data[w][1])}", flush=True)
    save(args.out, m, letters, phonemes, epoch, fp16=args.fp16)
    lex = E.lexicon()
    held = E.heldout_words()
    for src in ("gold", "silver"):
        ws = [w for w in held if lex[w][0] == src]
        print("held-out", src, evaluate(ws, lambda w: E.kokoro_spelling(lex[w][1])), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
