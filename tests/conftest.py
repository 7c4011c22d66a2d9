"""Shared fixtures: a tiny randomly initialised Kokoro for fast unit tests, and the real model."""

from __future__ import annotations

import pytest

TINY_CONFIG = {
    "vocab": {";": 1, ":": 2, ",": 3, ".": 4, "!": 5, "?": 6, " ": 16, "a": 43, "b": 44, "k": 53},
    "n_token": 178,
    "hidden_dim": 512,  # the decoder hard-codes 512 input channels
    "style_dim": 128,
    "n_layer": 3,
    "max_dur": 50,
    "dropout": 0.2,
    "text_encoder_kernel_size": 5,
    "n_mels": 80,
    "plbert": {
        "hidden_size": 32,
        "num_attention_heads": 2,
        "intermediate_size": 64,
        "max_position_embeddings": 512,
        "num_hidden_layers": 2,
        "dropout": 0.1,
    },
    "istftnet": {
        "upsample_kernel_sizes": [20, 12],
        "upsample_rates": [10, 6],
        "gen_istft_hop_size": 5,
        "gen_istft_n_fft": 20,
        "resblock_dilation_sizes": [[1, 3, 5], [1, 3, 5], [1, 3, 5]],
        "resblock_kernel_sizes": [3, 7, 11],
        "upsample_initial_channel": 512,  # must match the decoder's 512 output channels
    },
}


def make_tiny_kmodel(seed: int = 0):
    """Kokoro's architecture with a small ALBERT and random weights (incl. the AdaIN affine terms
    the real checkpoint leaves at 1/0, so masking bugs cannot hide there)."""
    import torch

    from kokoro_litert.converter.onnx_rebuild import new_kmodel

    torch.manual_seed(seed)
    model = new_kmodel(TINY_CONFIG)
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, torch.nn.InstanceNorm1d) and module.affine:
                module.weight.uniform_(0.5, 1.5)
                module.bias.uniform_(-0.3, 0.3)
    return model


@pytest.fixture(scope="session")
def vocab():
    """Kokoro's phoneme vocab, from the converter's config (no bundle needed)."""
    import json
    from pathlib import Path

    config = Path(__file__).resolve().parents[1] / "converter" / "kokoro_config.json"
    return json.loads(config.read_text(encoding="utf-8"))["vocab"]


@pytest.fixture(scope="session")
def tok(vocab):
    from kokoro_litert.runtime.tokenizer import Tokenizer

    return Tokenizer(vocab)


@pytest.fixture(scope="session")
def g2p():
    from kokoro_litert.runtime.g2p import G2P

    return G2P()


@pytest.fixture(scope="session")
def tiny_kmodel():
    return make_tiny_kmodel()


@pytest.fixture(scope="session")
def real_bundle():
    """The CI bundle (T=32, L=128) in fp32, built from the real weights by the real CLI, parity gate included.
    Converted graphs are cached by content hash, so after the first build this takes seconds."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    from kokoro_litert.cache import cache_dir

    out = Path(os.environ.get("KOKORO_LITERT_TEST_BUNDLE") or cache_dir("bundles") / "ci")
    cmd = [sys.executable, "-m", "kokoro_litert.cli", "build", "--buckets", "ci", "--precision", "fp32", "--out", str(out)]
    result = subprocess.run(cmd, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    return out


@pytest.fixture(scope="session")
def real_kmodel():
    """hexgrad's PyTorch KModel with the real (rebuilt) weights, loaded strictly."""
    from kokoro_litert.converter.weights import build_reference, load_checkpoint

    return build_reference(load_checkpoint("onnx"))
