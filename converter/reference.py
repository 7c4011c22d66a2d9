"""The unpadded PyTorch reference for each graph, computed with hexgrad's own KModel modules.

These mirror ``KModel.forward_with_tokens`` stage by stage, so each graph (and each re-authored
block) can be checked against the original code on exactly the real steps.
"""

from __future__ import annotations

import contextlib

import torch
from torch import nn

from .graphs import STYLE_DIM


@torch.no_grad()
def reference_predictor(kmodel: nn.Module, ids: torch.Tensor, ref_s: torch.Tensor) -> dict[str, torch.Tensor]:
    """ids [1, n] with the boundary tokens -> durations [1, n], d [1, n, 640], t_en [1, 512, n]."""
    n = ids.shape[-1]
    lengths = torch.full((1,), n, dtype=torch.long)
    text_mask = torch.zeros(1, n, dtype=torch.bool)
    bert = kmodel.bert(ids, attention_mask=(~text_mask).int())
    d_en = kmodel.bert_encoder(bert).transpose(-1, -2)
    s = ref_s[:, STYLE_DIM:]
    d = kmodel.predictor.text_encoder(d_en, s, lengths, text_mask)
    x, _ = kmodel.predictor.lstm(d)
    durations = torch.sigmoid(kmodel.predictor.duration_proj(x)).sum(-1)
    t_en = kmodel.text_encoder(ids, lengths, text_mask)
    return {"durations": durations, "d": d, "t_en": t_en}


@torch.no_grad()
def reference_prosody(kmodel: nn.Module, d_frames: torch.Tensor, ref_s: torch.Tensor) -> dict[str, torch.Tensor]:
    """d_frames [1, frames, 640] -> f0, n [1, 2*frames]."""
    f0, n = kmodel.predictor.F0Ntrain(d_frames.transpose(-1, -2), ref_s[:, STYLE_DIM:])
    return {"f0": f0, "n": n}


class _NoSource(nn.Module):
    """Stands in for SourceModuleHnNSF: the excitation's STFT is supplied instead."""

    def forward(self, f0):
        har = torch.zeros(f0.shape[0], f0.shape[1], 1)
        return har, har, har


@contextlib.contextmanager
def _patched_generator(kmodel: nn.Module, source: torch.Tensor, captured: dict):
    """Feed the generator the host's source STFT [1, 22, S] and capture magnitude and phase.

    The STFT phase of an exactly real bin is +pi or -pi by rounding (e.g. a constant unvoiced
    excitation), and torch and numpy round differently there; the generator takes that phase
    as input, so both sides must see the very same source spectrum."""
    gen = kmodel.decoder.generator
    saved_source, saved_transform, saved_inverse = gen.m_source, gen.stft.transform, gen.stft.inverse
    bins = source.shape[1] // 2

    def capture(magnitude, phase):
        captured["magnitude"], captured["phase"] = magnitude, phase
        return saved_inverse(magnitude, phase)

    gen.m_source = _NoSource()
    gen.stft.transform = lambda _: (source[:, :bins], source[:, bins:])
    gen.stft.inverse = capture
    try:
        yield
    finally:
        gen.m_source, gen.stft.transform, gen.stft.inverse = saved_source, saved_transform, saved_inverse


@torch.no_grad()
def reference_vocoder(
    kmodel: nn.Module,
    asr: torch.Tensor,
    f0: torch.Tensor,
    n: torch.Tensor,
    ref_s: torch.Tensor,
    source: torch.Tensor,
) -> dict[str, torch.Tensor]:
    """The decoder on unpadded inputs with a given source STFT [1, 22, 120*frames + 1]."""
    captured: dict[str, torch.Tensor] = {}
    with _patched_generator(kmodel, source, captured):
        audio = kmodel.decoder(asr, f0, n, ref_s[:, :STYLE_DIM])
    return {**captured, "audio": audio.reshape(1, -1)}


@torch.no_grad()
def reference_speech(kmodel: nn.Module, ids: torch.Tensor, ref_s: torch.Tensor, source_fn, speed: float = 1.0):
    """End to end like ``KModel.forward_with_tokens``, with the source STFT supplied by
    ``source_fn(f0 [2*frames] numpy) -> [22, S] numpy`` (the host's seeded sine source + STFT)."""
    pred = reference_predictor(kmodel, ids, ref_s)
    dur = torch.round(pred["durations"] / speed).clamp(min=1).long()[0]
    idx = torch.repeat_interleave(torch.arange(ids.shape[-1]), dur)
    pros = reference_prosody(kmodel, pred["d"][:, idx], ref_s)
    source = torch.from_numpy(source_fn(pros["f0"][0].numpy())).float()[None]
    voc = reference_vocoder(kmodel, pred["t_en"][:, :, idx], pros["f0"], pros["n"], ref_s, source)
    return {**pred, "durations_float": pred["durations"], "durations": dur, **pros, **voc}
