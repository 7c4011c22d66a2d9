"""PyTorch references for kokoro_litert.runtime.dsp (torch allowed here, never in runtime).

``torch_noise_patch(rand_ini, noise)`` makes kokoro's SineGen use host-drawn randomness:
inside the ``with`` block, ``torch.rand`` / ``torch.randn_like`` as seen by
``kokoro.istftnet`` return the given arrays, so a reference forward pass (SourceModuleHnNSF,
Generator, Decoder or the whole KModel) sees exactly the noise the host used.
"""

from __future__ import annotations

import contextlib
import types

import numpy as np
import torch

import kokoro.istftnet as _ist


@contextlib.contextmanager
def torch_noise_patch(rand_ini, noise):
    """Patch ``torch.rand`` and ``torch.randn_like`` inside ``kokoro.istftnet``.

    rand_ini: [1, 9] (returned by ``torch.rand(B, 9)``; SineGen zeroes column 0 in place,
    so a fresh copy is handed out each call).  noise: [1, samples, 9] standard normal,
    returned by ``torch.randn_like(x)`` when ``x`` has that shape.  Other ``randn_like``
    calls (SourceModuleHnNSF's unused noise branch, shape [1, samples, 1]) get zeros.
    Accepts a ``dsp.SourceNoise`` via ``torch_noise_patch(*astuple(n))`` or numpy/torch arrays.
    """
    rand_ini_t = torch.as_tensor(np.asarray(rand_ini, dtype=np.float32))
    noise_t = torch.as_tensor(np.asarray(noise, dtype=np.float32))
    real_torch = _ist.torch

    def rand(*size, **kw):
        shape = tuple(size[0]) if len(size) == 1 and isinstance(size[0], (tuple, list, torch.Size)) else tuple(size)
        if shape != tuple(rand_ini_t.shape):
            raise AssertionError(f"unexpected torch.rand{shape}, patch has {tuple(rand_ini_t.shape)}")
        dtype = kw.get("dtype") or torch.get_default_dtype()
        return rand_ini_t.clone().to(dtype=dtype, device=kw.get("device") or "cpu")

    def randn_like(x, **kw):
        if tuple(x.shape) == tuple(noise_t.shape):
            return noise_t.to(dtype=kw.get("dtype") or x.dtype, device=x.device).clone()
        return real_torch.zeros_like(x, **kw)

    shim = types.SimpleNamespace()
    shim.__dict__.update({k: getattr(real_torch, k) for k in dir(real_torch) if not k.startswith("__")})
    shim.rand = rand
    shim.randn_like = randn_like
    _ist.torch = shim
    try:
        yield
    finally:
        _ist.torch = real_torch


def make_source_module(l_weight, l_bias, dtype=torch.float32):
    """``SourceModuleHnNSF`` exactly as ``Generator.__init__`` builds it, with l_linear set."""
    m = _ist.SourceModuleHnNSF(sampling_rate=24000, upsample_scale=300, harmonic_num=8, voiced_threshod=10)
    with torch.no_grad():
        m.l_linear.weight.copy_(torch.as_tensor(np.asarray(l_weight, np.float32)).reshape(1, 9))
        m.l_linear.bias.copy_(torch.as_tensor(np.asarray(l_bias, np.float32)).reshape(1))
    return m.to(dtype).eval()


def reference_source(f0_frames, l_weight, l_bias, rand_ini, noise, dtype=torch.float32):
    """What ``Generator.forward`` computes up to ``har_source``: [samples] numpy."""
    m = make_source_module(l_weight, l_bias, dtype)
    up = torch.nn.Upsample(scale_factor=300)
    f0 = torch.as_tensor(np.asarray(f0_frames)).reshape(1, -1).to(dtype)
    with torch.no_grad(), torch_noise_patch(rand_ini, noise):
        f0u = up(f0[:, None]).transpose(1, 2)
        har, _, _ = m(f0u)
    return har.transpose(1, 2).squeeze(1)[0].numpy()


def reference_stft():
    """``TorchSTFT`` as ``Generator`` builds it (disable_complex=False, KModel's default)."""
    return _ist.TorchSTFT(filter_length=20, hop_length=5, win_length=20)
