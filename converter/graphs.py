"""Kokoro re-authored as three fixed-shape graphs, reusing the original modules' weights.

    predictor  tokens, token_mask, style         -> durations (before rounding), d, t_en
    (host)     round durations, expand d and t_en to frames with the alignment index
    prosody    d_frames, style, frame_mask       -> f0, n
    (host)     hn-NSF sine source from f0 and its STFT
    vocoder    asr, f0, n, source, style, frame_mask -> magnitude, phase
    (host)     iSTFT overlap-add

The frame count (sum of durations) is the one data-dependent length, hence the split. Each graph
takes right-padded inputs with a mask and reproduces the unpadded model on the real steps.
The host does the one-hot alignment as an index gather (``x[..., idx]``), which is exactly
``x @ alignment`` and keeps prosody/vocoder independent of the token bucket.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .masked import MaskedBiLSTM, masked_adain_resblock1, masked_resblk, upsample_mask

STYLE_DIM = 128  # ref_s = [decoder style (128) | prosody style (128)]


def strip_weight_norm(model: nn.Module) -> nn.Module:
    """Fold every (old-style) weight_norm into a plain weight, in place."""
    for module in model.modules():
        if hasattr(module, "weight_g"):
            torch.nn.utils.remove_weight_norm(module)
    return model


class PredictorGraph(nn.Module):
    """ALBERT + bert_encoder + DurationEncoder + duration LSTM/projection + TextEncoder."""

    def __init__(self, kmodel: nn.Module):
        super().__init__()
        self.bert = kmodel.bert
        self.bert_encoder = kmodel.bert_encoder
        pred = kmodel.predictor
        # DurationEncoder alternates bi-LSTM and AdaLayerNorm (three pairs in Kokoro).
        self.dur_blocks = nn.ModuleList(
            MaskedBiLSTM(b) if isinstance(b, nn.LSTM) else b for b in pred.text_encoder.lstms
        )
        self.dur_lstm = MaskedBiLSTM(pred.lstm)
        self.duration_proj = pred.duration_proj
        te = kmodel.text_encoder
        self.embedding = te.embedding
        self.cnn = te.cnn
        self.text_lstm = MaskedBiLSTM(te.lstm)

    def forward(self, tokens: torch.Tensor, token_mask: torch.Tensor, style: torch.Tensor) -> dict[str, torch.Tensor]:
        ids = tokens.long()
        mask = token_mask[:, None, :]
        s = style[:, STYLE_DIM:]
        bert = self.bert(ids, attention_mask=token_mask)
        x = self.bert_encoder(bert).transpose(-1, -2)  # [1, 512, T]
        s_t = s[..., None].expand(-1, -1, x.shape[-1])
        x = torch.cat([x, s_t], dim=1) * mask
        for block in self.dur_blocks:
            if isinstance(block, MaskedBiLSTM):
                x = block(x.transpose(-1, -2), mask).transpose(-1, -2)
            else:  # AdaLayerNorm normalises each step over channels: padding cannot leak in
                x = block(x.transpose(-1, -2), s).transpose(-1, -2)
                x = torch.cat([x, s_t], dim=1) * mask
        d = x.transpose(-1, -2)  # [1, T, 640]
        logits = self.duration_proj(self.dur_lstm(d, mask))
        durations = torch.sigmoid(logits).sum(-1)  # [1, T]; the host divides by speed and rounds

        t = self.embedding(ids).transpose(1, 2) * mask
        for block in self.cnn:
            t = block(t) * mask
        t_en = self.text_lstm(t.transpose(1, 2), mask).transpose(1, 2)  # [1, 512, T]
        return {"durations": durations, "d": d, "t_en": t_en}


def _f0n_branch(blocks: nn.ModuleList, proj: nn.Conv1d, x, s, mask) -> torch.Tensor:
    for blk in blocks:
        x, mask = masked_resblk(blk, x, s, mask)
    return (proj(x) * mask)[:, 0]


class ProsodyGraph(nn.Module):
    """The predictor's shared bi-LSTM at frame rate + the F0 and energy (N) branches."""

    def __init__(self, kmodel: nn.Module):
        super().__init__()
        pred = kmodel.predictor
        self.shared = MaskedBiLSTM(pred.shared)
        self.F0, self.F0_proj = pred.F0, pred.F0_proj
        self.N, self.N_proj = pred.N, pred.N_proj

    def forward(self, d_frames: torch.Tensor, style: torch.Tensor, frame_mask: torch.Tensor) -> dict[str, torch.Tensor]:
        mask = frame_mask[:, None, :]
        s = style[:, STYLE_DIM:]
        x = self.shared(d_frames, mask).transpose(-1, -2)  # [1, 512, L]
        return {
            "f0": _f0n_branch(self.F0, self.F0_proj, x, s, mask),  # [1, 2L]
            "n": _f0n_branch(self.N, self.N_proj, x, s, mask),
        }


class VocoderGraph(nn.Module):
    """Kokoro's decoder and iSTFTNet generator, without the sine source and the (i)STFT."""

    def __init__(self, kmodel: nn.Module):
        super().__init__()
        self.dec = kmodel.decoder
        gen = self.dec.generator
        self.n_bins = gen.post_n_fft // 2 + 1
        self.rates = [int(u.stride[0]) for u in gen.ups]

    def forward(
        self,
        asr: torch.Tensor,
        f0: torch.Tensor,
        n: torch.Tensor,
        source: torch.Tensor,
        style: torch.Tensor,
        frame_mask: torch.Tensor,
    ) -> dict[str, torch.Tensor]:
        dec, gen = self.dec, self.dec.generator
        s = style[:, :STYLE_DIM]
        mask = frame_mask[:, None, :]
        mask2 = upsample_mask(mask, 2)
        f0_c = dec.F0_conv(f0[:, None] * mask2) * mask
        n_c = dec.N_conv(n[:, None] * mask2) * mask
        x, x_mask = masked_resblk(dec.encode, torch.cat([asr * mask, f0_c, n_c], dim=1), s, mask)
        asr_res = dec.asr_res(asr)
        residual = True
        for block in dec.decode:
            if residual:
                x = torch.cat([x, asr_res, f0_c, n_c], dim=1)
            x, x_mask = masked_resblk(block, x, s, x_mask)
            residual = block.upsample_type == "none"

        kernels = len(gen.resblocks) // len(gen.ups)
        factor = 1
        for i, up in enumerate(gen.ups):
            factor *= self.rates[i]
            x = F.leaky_relu(x, 0.1) * x_mask
            x = up(x)
            if i == len(gen.ups) - 1:
                # ReflectionPad1d((1, 0)) as a slice + concat (exact; avoids GATHER_ND), and the
                # mask grows by the one real frame it adds.
                x = torch.cat([x[..., 1:2], x], dim=-1)
                x_mask = torch.cat([mask[..., :1], upsample_mask(mask2, factor)], dim=-1)
            else:
                x_mask = upsample_mask(mask2, factor)
            x_source = masked_adain_resblock1(gen.noise_res[i], gen.noise_convs[i](source), s, x_mask)
            x = x + x_source
            xs = masked_adain_resblock1(gen.resblocks[i * kernels], x, s, x_mask)
            for j in range(1, kernels):
                xs = xs + masked_adain_resblock1(gen.resblocks[i * kernels + j], x, s, x_mask)
            x = xs / kernels
        x = gen.conv_post(F.leaky_relu(x) * x_mask)
        return {"magnitude": torch.exp(x[:, : self.n_bins]), "phase": torch.sin(x[:, self.n_bins :])}


def source_frames_per_frame(kmodel: nn.Module) -> int:
    """Source STFT frames per model frame: 2 F0 steps x the generator's upsampling (2 x 10 x 6 = 120)."""
    rate = 2
    for up in kmodel.decoder.generator.ups:
        rate *= int(up.stride[0])
    return rate
