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


class Group(nn.Module):
    """Runs ``fn(block, *args)`` as its own forward.

    A graph's layer groups are its direct ``Group`` children: every op inside one is exported
    under the name ``.../Group_<attribute>/...``, which is how the quantizer selects a group
    (``converter/quantize.py``). ``fn`` must be a module-level function (graphs are pickled to
    conversion worker processes).
    """

    def __init__(self, fn, block: nn.Module):
        super().__init__()
        self.fn = fn
        self.block = block

    def forward(self, *args):
        return self.fn(self.block, *args)


def _call(block: nn.Module, *args):
    return block(*args)


def _bert(bert: nn.Module, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    return bert(ids, attention_mask=mask)


def _ada_layer_norm(norm: nn.Module, x: torch.Tensor, s: torch.Tensor) -> torch.Tensor:
    return norm(x.transpose(-1, -2), s).transpose(-1, -2)


def _text_cnn(cnn: nn.Module, t: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    for block in cnn:
        t = block(t) * mask
    return t


def _f0n_inputs(convs: nn.ModuleList, f0: torch.Tensor, n: torch.Tensor, mask: torch.Tensor):
    mask2 = upsample_mask(mask, 2)
    return convs[0](f0[:, None] * mask2) * mask, convs[1](n[:, None] * mask2) * mask


def _noise_branch(pair: nn.ModuleList, source: torch.Tensor, s: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    conv, res = pair
    return masked_adain_resblock1(res, conv(source), s, mask)


def _adain_resblock(blk: nn.Module, x: torch.Tensor, s: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    return masked_adain_resblock1(blk, x, s, mask)


def _add_groups(graph: nn.Module, fn, blocks, prefix: str) -> list[Group]:
    groups = []
    for i, block in enumerate(blocks):
        graph.add_module(f"{prefix}{i}", Group(fn, block))
        groups.append(getattr(graph, f"{prefix}{i}"))
    return groups


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
        self.bert = Group(_bert, kmodel.bert)
        self.bert_encoder = Group(_call, kmodel.bert_encoder)
        pred = kmodel.predictor
        # DurationEncoder alternates bi-LSTM and AdaLayerNorm (three pairs in Kokoro).
        self.dur_blocks = []
        for i, b in enumerate(pred.text_encoder.lstms):
            name = f"dur_lstm{i // 2}" if isinstance(b, nn.LSTM) else f"dur_norm{i // 2}"
            self.add_module(name, MaskedBiLSTM(b) if isinstance(b, nn.LSTM) else Group(_ada_layer_norm, b))
            self.dur_blocks.append(getattr(self, name))
        self.lstm = MaskedBiLSTM(pred.lstm)
        self.duration_proj = Group(_call, pred.duration_proj)
        te = kmodel.text_encoder
        self.embedding = Group(_call, te.embedding)
        self.text_cnn = Group(_text_cnn, te.cnn)
        self.text_lstm = MaskedBiLSTM(te.lstm)

    def forward(self, tokens: torch.Tensor, token_mask: torch.Tensor, style: torch.Tensor) -> dict[str, torch.Tensor]:
        ids = tokens.long()
        mask = token_mask[:, None, :]
        s = style[:, STYLE_DIM:]
        x = self.bert_encoder(self.bert(ids, token_mask)).transpose(-1, -2)  # [1, 512, T]
        s_t = s[..., None].expand(-1, -1, x.shape[-1])
        x = torch.cat([x, s_t], dim=1) * mask
        for block in self.dur_blocks:
            if isinstance(block, MaskedBiLSTM):
                x = block(x.transpose(-1, -2), mask).transpose(-1, -2)
            else:  # AdaLayerNorm normalises each step over channels: padding cannot leak in
                x = torch.cat([block(x, s), s_t], dim=1) * mask
        d = x.transpose(-1, -2)  # [1, T, 640]
        logits = self.duration_proj(self.lstm(d, mask))
        durations = torch.sigmoid(logits).sum(-1)  # [1, T]; the host divides by speed and rounds

        t = self.text_cnn(self.embedding(ids).transpose(1, 2) * mask, mask)
        t_en = self.text_lstm(t.transpose(1, 2), mask).transpose(1, 2)  # [1, 512, T]
        return {"durations": durations, "d": d, "t_en": t_en}


def _f0n_branch(blocks: nn.ModuleList, x, s, mask) -> torch.Tensor:
    *resblks, proj = blocks
    for blk in resblks:
        x, mask = masked_resblk(blk, x, s, mask)
    return (proj(x) * mask)[:, 0]


class ProsodyGraph(nn.Module):
    """The predictor's shared bi-LSTM at frame rate + the F0 and energy (N) branches."""

    def __init__(self, kmodel: nn.Module):
        super().__init__()
        pred = kmodel.predictor
        self.shared = MaskedBiLSTM(pred.shared)
        self.f0 = Group(_f0n_branch, nn.ModuleList([*pred.F0, pred.F0_proj]))
        self.n = Group(_f0n_branch, nn.ModuleList([*pred.N, pred.N_proj]))

    def forward(self, d_frames: torch.Tensor, style: torch.Tensor, frame_mask: torch.Tensor) -> dict[str, torch.Tensor]:
        mask = frame_mask[:, None, :]
        s = style[:, STYLE_DIM:]
        x = self.shared(d_frames, mask).transpose(-1, -2)  # [1, 512, L]
        return {"f0": self.f0(x, s, mask), "n": self.n(x, s, mask)}  # [1, 2L] each


class VocoderGraph(nn.Module):
    """Kokoro's decoder and iSTFTNet generator, without the sine source and the (i)STFT."""

    def __init__(self, kmodel: nn.Module):
        super().__init__()
        dec, gen = kmodel.decoder, kmodel.decoder.generator
        self.n_bins = gen.post_n_fft // 2 + 1
        self.rates = [int(u.stride[0]) for u in gen.ups]
        self.kernels = len(gen.resblocks) // len(gen.ups)
        self.residual = [block.upsample_type == "none" for block in dec.decode]
        self.f0n = Group(_f0n_inputs, nn.ModuleList([dec.F0_conv, dec.N_conv]))
        self.encode = Group(masked_resblk, dec.encode)
        self.asr_res = Group(_call, dec.asr_res)
        self.decode = _add_groups(self, masked_resblk, dec.decode, "decode")
        self.ups = _add_groups(self, _call, gen.ups, "up")
        self.noise = _add_groups(self, _noise_branch, [nn.ModuleList(p) for p in zip(gen.noise_convs, gen.noise_res)], "noise")
        self.resblocks = _add_groups(self, _adain_resblock, gen.resblocks, "res")
        self.conv_post = Group(_call, gen.conv_post)

    def forward(
        self,
        asr: torch.Tensor,
        f0: torch.Tensor,
        n: torch.Tensor,
        source: torch.Tensor,
        style: torch.Tensor,
        frame_mask: torch.Tensor,
    ) -> dict[str, torch.Tensor]:
        s = style[:, :STYLE_DIM]
        mask = frame_mask[:, None, :]
        mask2 = upsample_mask(mask, 2)
        f0_c, n_c = self.f0n(f0, n, mask)
        x, x_mask = self.encode(torch.cat([asr * mask, f0_c, n_c], dim=1), s, mask)
        asr_res = self.asr_res(asr)
        residual = True
        for block, next_residual in zip(self.decode, self.residual):
            if residual:
                x = torch.cat([x, asr_res, f0_c, n_c], dim=1)
            x, x_mask = block(x, s, x_mask)
            residual = next_residual

        factor = 1
        for i, up in enumerate(self.ups):
            factor *= self.rates[i]
            x = up(F.leaky_relu(x, 0.1) * x_mask)
            if i == len(self.ups) - 1:
                # ReflectionPad1d((1, 0)) as a slice + concat (exact; avoids GATHER_ND), and the
                # mask grows by the one real frame it adds.
                x = torch.cat([x[..., 1:2], x], dim=-1)
                x_mask = torch.cat([mask[..., :1], upsample_mask(mask2, factor)], dim=-1)
            else:
                x_mask = upsample_mask(mask2, factor)
            x = x + self.noise[i](source, s, x_mask)
            blocks = self.resblocks[i * self.kernels : (i + 1) * self.kernels]
            xs = blocks[0](x, s, x_mask)
            for block in blocks[1:]:
                xs = xs + block(x, s, x_mask)
            x = xs / self.kernels
        x = self.conv_post(F.leaky_relu(x) * x_mask)
        return {"magnitude": torch.exp(x[:, : self.n_bins]), "phase": torch.sin(x[:, self.n_bins :])}


def source_frames_per_frame(kmodel: nn.Module) -> int:
    """Source STFT frames per model frame: 2 F0 steps x the generator's upsampling (2 x 10 x 6 = 120)."""
    rate = 2
    for up in kmodel.decoder.generator.ups:
        rate *= int(up.stride[0])
    return rate
