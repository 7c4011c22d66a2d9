"""The re-authored graphs on a tiny random Kokoro: padded bucket == unpadded original, exactly."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from kokoro_litert.converter.graphs import PredictorGraph, ProsodyGraph, VocoderGraph, strip_weight_norm
from kokoro_litert.converter.masked import MaskedBiLSTM, masked_adain, pool_upsample
from kokoro_litert.converter.reference import reference_predictor, reference_prosody, reference_vocoder

TOL = 1e-5


@pytest.fixture(scope="module")
def model(tiny_kmodel):
    return strip_weight_norm(tiny_kmodel)


def _pad(x: torch.Tensor, length: int, dim: int = -1) -> torch.Tensor:
    shape = list(x.shape)
    shape[dim] = length - shape[dim]
    return torch.cat([x, x.new_zeros(shape)], dim=dim)


def _mask(n: int, length: int) -> torch.Tensor:
    m = torch.zeros(1, length)
    m[0, :n] = 1
    return m


def _rel(a: torch.Tensor, b: torch.Tensor) -> float:
    return float((a - b).abs().max() / max(1.0, float(b.abs().max())))


@pytest.mark.parametrize("n", [1, 2, 7, 13, 24])
def test_masked_bilstm_matches_nn_lstm(n):
    torch.manual_seed(n)
    lstm = torch.nn.LSTM(12, 8, batch_first=True, bidirectional=True).eval()
    x = torch.randn(1, n, 12)
    with torch.no_grad():
        ref, _ = lstm(x)
        out = MaskedBiLSTM(lstm)(_pad(x, 24, 1), _mask(n, 24)[:, None])
    assert float((out[:, :n] - ref).abs().max()) < TOL
    assert float(out[:, n:].abs().sum()) == 0.0


def test_plain_lstm_on_padding_would_leak():
    """Why the masking exists: a fused LSTM over right padding changes the real steps."""
    torch.manual_seed(0)
    lstm = torch.nn.LSTM(12, 8, batch_first=True, bidirectional=True).eval()
    x = torch.randn(1, 5, 12)
    with torch.no_grad():
        ref, _ = lstm(x)
        leaked, _ = lstm(_pad(x, 24, 1))
    assert float((leaked[:, :5] - ref).abs().max()) > 1e-3


@pytest.mark.parametrize("n", [3, 5, 17, 40])
def test_masked_adain_matches_instance_norm(model, n):
    norm = model.decoder.encode.norm1
    torch.manual_seed(n)
    x, s = torch.randn(1, norm.norm.num_features, n), torch.randn(1, 128)
    with torch.no_grad():
        ref = norm(x, s)
        out = masked_adain(norm, _pad(x, 40), s, _mask(n, 40)[:, None])
    assert _rel(out[..., :n], ref) < TOL


def test_pool_rewrite_matches_conv_transpose(model):
    pool = model.predictor.F0[1].pool
    x = torch.randn(1, pool.in_channels, 19)
    with torch.no_grad():
        assert _rel(pool_upsample(pool, x), pool(x)) < TOL


@pytest.mark.parametrize("n", [3, 4, 11, 24])
def test_predictor_graph(model, n):
    torch.manual_seed(n)
    ids = torch.randint(1, 178, (1, n))
    ids[0, 0] = ids[0, -1] = 0
    ref_s = torch.randn(1, 256)
    ref = reference_predictor(model, ids, ref_s)
    with torch.no_grad():
        out = PredictorGraph(model).eval()(_pad(ids, 24).int(), _mask(n, 24), ref_s)
    assert _rel(out["durations"][:, :n], ref["durations"]) < TOL
    assert _rel(out["d"][:, :n], ref["d"]) < TOL
    assert _rel(out["t_en"][..., :n], ref["t_en"]) < TOL


@pytest.mark.parametrize("frames", [3, 6, 23, 32])
def test_prosody_graph(model, frames):
    torch.manual_seed(frames)
    x, ref_s = torch.randn(1, frames, 640), torch.randn(1, 256)
    ref = reference_prosody(model, x, ref_s)
    with torch.no_grad():
        out = ProsodyGraph(model).eval()(_pad(x, 32, 1), ref_s, _mask(frames, 32))
    for k in ("f0", "n"):
        assert _rel(out[k][:, : 2 * frames], ref[k]) < TOL


@pytest.mark.parametrize("frames", [3, 9, 24])
def test_vocoder_graph(model, frames):
    from kokoro_litert.runtime import dsp

    torch.manual_seed(frames)
    bucket = 24
    asr, ref_s = torch.randn(1, 512, frames), torch.randn(1, 256)
    f0 = torch.where(torch.rand(1, 2 * frames) > 0.3, 100 + 100 * torch.rand(1, 2 * frames), torch.zeros(1, 2 * frames))
    n = torch.randn(1, 2 * frames)
    mag, phase = dsp.stft(np.random.default_rng(frames).normal(0, 0.1, frames * 600))
    source = torch.from_numpy(np.concatenate([mag, phase]))[None]
    ref = reference_vocoder(model, asr, f0, n, ref_s, source)
    with torch.no_grad():
        out = VocoderGraph(model).eval()(
            _pad(asr, bucket), _pad(f0, 2 * bucket), _pad(n, 2 * bucket), _pad(source, 120 * bucket + 1), ref_s, _mask(frames, bucket)
        )
    real = ref["magnitude"].shape[-1]
    assert real == 120 * frames + 1
    assert _rel(out["magnitude"][..., :real], ref["magnitude"]) < 1e-4  # exp() of large logits
    assert _rel(out["phase"][..., :real], ref["phase"]) < TOL


def test_litert_converts_masked_blocks_exactly(tmp_path):
    """LiteRT computes the unrolled masked LSTM and the pool rewrite like PyTorch (no silent
    RESIZE_BILINEAR, no leak), converted here at a small size."""
    import litert_torch
    from ai_edge_litert.interpreter import Interpreter

    torch.manual_seed(0)
    lstm = torch.nn.LSTM(6, 3, batch_first=True, bidirectional=True).eval()  # 2 x 3 = 6 channels
    pool = torch.nn.ConvTranspose1d(6, 6, 3, 2, 1, output_padding=1, groups=6).eval()

    class Block(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = MaskedBiLSTM(lstm)

        def forward(self, x, mask):
            return {"out": pool_upsample(pool, self.lstm(x, mask[:, None]).transpose(1, 2))}

    block = Block().eval()
    x, mask = torch.randn(1, 10, 6), _mask(7, 10)
    path = tmp_path / "block.tflite"
    litert_torch.signature("main", block, sample_kwargs={"x": x, "mask": mask}).convert().export(str(path))
    runner = Interpreter(model_path=str(path)).get_signature_runner("main")
    got = runner(x=x.numpy(), mask=mask.numpy())["out"]
    with torch.no_grad():
        want = block(x, mask)["out"].numpy()
    assert np.abs(got - want).max() < TOL
