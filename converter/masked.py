"""Export-friendly, padding-aware versions of Kokoro's building blocks.

A bucket holds ``n`` real steps followed by padding. Every block here returns, on the real steps,
exactly what the original block returns on the unpadded sequence:

* recurrent: ``MaskedBiLSTM`` unrolls a bidirectional LSTM; the backward direction runs over the
  real steps reversed, so it starts at the last real step as if unpadded;
* statistics: ``masked_adain`` normalises over real frames only (InstanceNorm over padding would
  change every real frame's statistics);
* convolutions see zeros beyond the real steps (their own zero padding in the unpadded original),
  so inputs are multiplied by the mask before every convolution whose receptive field crosses
  the boundary;
* ``pool_upsample`` rewrites the depthwise ConvTranspose1d(k3, s2, p1, op1) that LiteRT silently
  miscompiles (it lowers to RESIZE_BILINEAR and drops the weights).

Masks are float tensors shaped ``[1, 1, length]`` with ones on real steps.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class MaskedBiLSTM(nn.Module):
    """A bidirectional single-layer ``nn.LSTM`` (batch_first) unrolled over a fixed length.

    No step is masked. Over a right-padded sequence the forward direction is exact on the real
    steps as it is. The backward direction runs forward over the sequence permuted by
    ``(n - 1 - t) mod T``: the real steps reversed, then the padding; that permutation is its own
    inverse, so the same gather puts its outputs back in time order.

    The input projection of all steps is one matmul. Each step's recurrent product is one
    FULLY_CONNECTED per direction on the same constant weight tensor, which XNNPACK's weight cache
    packs once (a batched matmul would be copied per step: ~2 MB x steps).
    """

    def __init__(self, lstm: nn.LSTM):
        super().__init__()
        assert lstm.bidirectional and lstm.num_layers == 1 and lstm.batch_first
        self.hidden = lstm.hidden_size
        w_ih = torch.cat([lstm.weight_ih_l0, lstm.weight_ih_l0_reverse])  # [8H, C]
        bias = torch.cat([lstm.bias_ih_l0 + lstm.bias_hh_l0, lstm.bias_ih_l0_reverse + lstm.bias_hh_l0_reverse])
        self.w_ih = nn.Parameter(w_ih.detach().clone(), requires_grad=False)
        self.bias = nn.Parameter(bias.detach().clone(), requires_grad=False)
        self.w_hh_fwd = nn.Parameter(lstm.weight_hh_l0.detach().clone(), requires_grad=False)  # [4H, H]
        self.w_hh_bwd = nn.Parameter(lstm.weight_hh_l0_reverse.detach().clone(), requires_grad=False)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """x [1, T, C], mask [1, 1, T] -> [1, T, 2H]; padded steps of the output are zero."""
        steps, h = x.shape[1], self.hidden
        n = mask.sum().to(torch.int32)
        reverse = torch.remainder(n - 1 - torch.arange(steps, dtype=torch.int32), steps)
        proj = F.linear(x[0], self.w_ih, self.bias)  # [T, 8H]
        proj = torch.cat([proj[:, : 4 * h], proj[reverse, 4 * h :]], dim=-1).reshape(steps, 2, 4 * h)
        hid = x.new_zeros(2, h)
        c = x.new_zeros(2, h)
        outs = []
        for t in range(steps):
            recurrent = torch.cat([F.linear(hid[0:1], self.w_hh_fwd), F.linear(hid[1:2], self.w_hh_bwd)])
            gates = proj[t] + recurrent
            sig = torch.sigmoid(gates)
            c = sig[:, h : 2 * h] * c + sig[:, :h] * torch.tanh(gates[:, 2 * h : 3 * h])
            hid = sig[:, 3 * h :] * torch.tanh(c)  # [2, H]
            outs.append(hid.reshape(1, 2 * h))
        seq = torch.cat(outs)  # [T, 2H]: forward | backward (permuted)
        out = torch.cat([seq[:, :h], seq[reverse, h:]], dim=-1)[None]
        return out * mask.transpose(1, 2)


def masked_adain(norm: nn.Module, x: torch.Tensor, s: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Kokoro's ``AdaIN1d`` (InstanceNorm1d + style affine) with statistics over real frames only."""
    h = norm.fc(s)[..., None]
    gamma, beta = torch.chunk(h, chunks=2, dim=1)
    count = mask.sum(-1, keepdim=True)
    mean = (x * mask).sum(-1, keepdim=True) / count
    centred = x - mean
    var = ((centred * mask) ** 2).sum(-1, keepdim=True) / count
    inorm = norm.norm
    scale = (1 + gamma) * inorm.weight[None, :, None] * torch.rsqrt(var + inorm.eps)
    shift = (1 + gamma) * inorm.bias[None, :, None] + beta
    return centred * scale + shift


def pool_upsample(pool: nn.ConvTranspose1d, x: torch.Tensor) -> torch.Tensor:
    """Depthwise ConvTranspose1d(k3, s2, p1, output_padding 1) as zero insertion + Conv1d.

    The zeros come from a PAD op: ``zeros_like`` would be folded into a [C, L] constant stored in
    the .tflite once per bucket (10 MB over the default vocoder buckets)."""
    b, ch, length = x.shape
    stuffed = F.pad(x.unsqueeze(-1), (0, 1)).reshape(b, ch, 2 * length)
    weight = pool.weight.flip(-1)  # [C, 1, 3]
    return F.conv1d(F.pad(stuffed, (1, 1)), weight, pool.bias, groups=ch)


def upsample_mask(mask: torch.Tensor, factor: int) -> torch.Tensor:
    b, one, length = mask.shape
    return mask[..., None].expand(b, one, length, factor).reshape(b, one, length * factor)


def masked_resblk(blk: nn.Module, x: torch.Tensor, s: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Kokoro's ``AdainResBlk1d``; returns the output and its mask (twice as long if upsampling)."""
    upsampling = blk.upsample_type != "none"
    out_mask = upsample_mask(mask, 2) if upsampling else mask
    r = blk.actv(masked_adain(blk.norm1, x, s, mask)) * mask
    if upsampling:
        r = pool_upsample(blk.pool, r) * out_mask  # the pool's bias would leak into the next conv
    r = blk.conv1(r)
    r = blk.actv(masked_adain(blk.norm2, r, s, out_mask)) * out_mask
    r = blk.conv2(r)
    shortcut = F.interpolate(x, scale_factor=2, mode="nearest") if upsampling else x
    if blk.learned_sc:
        shortcut = blk.conv1x1(shortcut)
    return (r + shortcut) * (2.0**-0.5), out_mask


def masked_adain_resblock1(blk: nn.Module, x: torch.Tensor, s: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """The generator's ``AdaINResBlock1`` (AdaIN + Snake + dilated convs)."""
    for c1, c2, n1, n2, a1, a2 in zip(blk.convs1, blk.convs2, blk.adain1, blk.adain2, blk.alpha1, blk.alpha2):
        xt = masked_adain(n1, x, s, mask)
        xt = xt + (1 / a1) * torch.sin(a1 * xt) ** 2
        xt = c1(xt * mask)
        xt = masked_adain(n2, xt, s, mask)
        xt = xt + (1 / a2) * torch.sin(a2 * xt) ** 2
        xt = c2(xt * mask)
        x = xt + x
    return x
