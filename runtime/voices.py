"""Voice packs: reading, blending and picking the style vector for an utterance (numpy only).

A Kokoro-82M v1.0 voice pack is a float32 array of shape ``[510, 256]`` (the official ``voices/NAME.pt``
stores it as ``[510, 1, 256]``). Row ``N - 1`` is the style for an utterance of ``N`` phoneme tokens
(the phoneme symbols themselves, without the two boundary tokens the model adds); its first 128 values
feed the decoder, the last 128 the prosody predictor.

Formats read by :func:`load_voice_file`:

* raw little-endian float32 ``.bin`` of exactly 510*256*4 bytes (kokoro-js ``package/voices/NAME.bin``);
* ``.npy`` arrays;
* ``.npz`` archives (kokoro-onnx's ``voices-v1.0.bin`` is one despite its suffix): ``name`` picks a pack;
* official ``.pt`` packs (torch is imported lazily, only for this format).

This module never imports torch at import time: it runs on the deploy side.
"""

from __future__ import annotations

import difflib
import io
import os
from pathlib import Path
from typing import Mapping

import numpy as np

from kokoro_litert.errors import VoiceError

PACK_ROWS = 510
STYLE_DIM = 256
PACK_SHAPE = (PACK_ROWS, STYLE_DIM)
EXPECTED = f"expected a float32 voice pack of shape [{PACK_ROWS}, {STYLE_DIM}] (or [{PACK_ROWS}, 1, {STYLE_DIM}])"


def _as_pack(arr, origin: str) -> np.ndarray:
    a = np.asarray(arr)
    if a.ndim == 3 and a.shape[1] == 1:
        a = a[:, 0, :]
    if a.shape != PACK_SHAPE or not np.issubdtype(a.dtype, np.floating):
        raise VoiceError(f"{origin}: {EXPECTED}, got {a.dtype} {list(a.shape)}")
    a = np.ascontiguousarray(a, dtype=np.float32)
    if not np.isfinite(a).all():
        raise VoiceError(f"{origin}: voice pack contains NaN or Inf")
    return a


def _load_pt(path: Path) -> np.ndarray:
    try:
        import torch  # lazy: only the .pt format needs it
    except ImportError as e:
        raise VoiceError(
            f"{path}: reading .pt voice packs needs torch; convert it to a raw float32 .bin or .npz"
        ) from e
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:
        raise VoiceError(f"{path}: unreadable .pt voice pack ({e})") from e
    if not isinstance(obj, torch.Tensor):
        raise VoiceError(f"{path}: {EXPECTED}, got a {type(obj).__name__}")
    return _as_pack(obj.detach().float().numpy(), str(path))


def _load_npz(data, origin: str, name: str | None) -> np.ndarray:
    try:
        with np.load(data, allow_pickle=False) as z:
            keys = list(z.files)
            if name is None:
                if len(keys) != 1:
                    raise VoiceError(f"{origin} holds {len(keys)} voices; pick one of: {', '.join(sorted(keys))}")
                name = keys[0]
            if name not in keys:
                close = difflib.get_close_matches(name, keys, n=3)
                hint = f" (did you mean {', '.join(close)}?)" if close else ""
                raise VoiceError(f"{origin} has no voice '{name}'{hint}")
            return _as_pack(z[name], f"{origin}[{name}]")
    except VoiceError:
        raise
    except Exception as e:
        raise VoiceError(f"{origin}: unreadable .npz voice archive ({e})") from e


def load_voice_file(path: str | os.PathLike, name: str | None = None) -> np.ndarray:
    """One voice pack as float32 ``[510, 256]`` from a .bin/.npy/.npz/.pt file."""
    p = Path(path)
    if not p.is_file():
        raise VoiceError(f"{p}: no such voice file")
    with open(p, "rb") as f:
        head = f.read(6)
    if p.suffix == ".pt":
        return _load_pt(p)
    if head.startswith(b"PK\x03\x04"):  # .npz (any suffix)
        return _load_npz(p, str(p), name)
    if head.startswith(b"\x93NUMPY"):
        try:
            return _as_pack(np.load(p, allow_pickle=False), str(p))
        except ValueError as e:
            raise VoiceError(f"{p}: unreadable .npy voice pack ({e})") from e
    size = p.stat().st_size
    if size != PACK_ROWS * STYLE_DIM * 4:
        raise VoiceError(f"{p}: {size} bytes is not a raw voice pack; {EXPECTED} = {PACK_ROWS * STYLE_DIM * 4} bytes")
    return _as_pack(np.fromfile(p, dtype="<f4").reshape(PACK_SHAPE), str(p))


def style_for(pack: np.ndarray, n_tokens: int) -> np.ndarray:
    """The style row for an utterance of ``n_tokens`` phoneme tokens, as float32 ``[1, 256]``.

    Kokoro picks ``pack[n_tokens - 1]``. Lengths past the pack (more than 510 tokens, longer than the
    model's 510-token context anyway) are clamped to the last row, and ``n_tokens < 1`` to the first.
    """
    pack = np.asarray(pack, dtype=np.float32)
    if pack.ndim == 3 and pack.shape[1] == 1:
        pack = pack[:, 0, :]
    if pack.ndim != 2 or pack.shape[1] != STYLE_DIM:
        raise VoiceError(f"style_for: {EXPECTED}, got {list(pack.shape)}")
    row = min(max(int(n_tokens) - 1, 0), pack.shape[0] - 1)
    return pack[row : row + 1].copy()


class VoiceBank:
    """Named voice packs; ``get`` accepts a name, a file path or a blend ``"af_heart:0.7,am_michael:0.3"``."""

    def __init__(self, packs: Mapping[str, np.ndarray] | None = None):
        self._packs: dict[str, np.ndarray] = {}
        for name, pack in (packs or {}).items():
            self.add(name, pack)

    def add(self, name: str, pack) -> None:
        if not name or any(c in name for c in ",:") or name != name.strip():
            raise VoiceError(f"invalid voice name {name!r} (no commas, colons or surrounding spaces)")
        self._packs[name] = _as_pack(pack, f"voice '{name}'")

    @classmethod
    def from_dir(cls, directory: str | os.PathLike) -> "VoiceBank":
        """Every ``*.bin``/``*.npy``/``*.pt`` pack in ``directory`` (by file stem) and every ``*.npz`` entry."""
        d = Path(directory)
        if not d.is_dir():
            raise VoiceError(f"{d}: not a voice directory")
        bank = cls()
        for p in sorted(d.iterdir()):
            if p.suffix == ".npz":
                for name, pack in cls.load_npz(p)._packs.items():
                    bank._packs[name] = pack
            elif p.suffix in (".bin", ".npy", ".pt") and p.is_file():
                bank.add(p.stem, load_voice_file(p))
        if not bank._packs:
            raise VoiceError(f"{d}: no voice packs (.bin, .npy, .npz, .pt) found")
        return bank

    @classmethod
    def load_npz(cls, path: str | os.PathLike) -> "VoiceBank":
        p = Path(path)
        try:
            with np.load(p, allow_pickle=False) as z:
                return cls({k: z[k] for k in z.files})
        except VoiceError:
            raise
        except Exception as e:
            raise VoiceError(f"{p}: unreadable voice archive ({e})") from e

    def save_npz(self, path: str | os.PathLike) -> None:
        save_npz(self, path)

    def names(self) -> list[str]:
        return sorted(self._packs)

    def __contains__(self, name: object) -> bool:
        return name in self._packs

    def __len__(self) -> int:
        return len(self._packs)

    def _unknown(self, spec: str) -> VoiceError:
        close = difflib.get_close_matches(spec, self.names(), n=3, cutoff=0.5)
        hint = f"; did you mean {', '.join(close)}?" if close else f"; known voices: {', '.join(self.names())}"
        return VoiceError(f"unknown voice '{spec}'{hint}")

    def _single(self, spec: str) -> np.ndarray:
        spec = spec.strip()
        if spec in self._packs:
            return self._packs[spec]
        if os.path.sep in spec or spec.endswith((".bin", ".npy", ".npz", ".pt")):
            if Path(spec).is_file():
                return load_voice_file(spec)
        raise self._unknown(spec)

    def get(self, spec: str) -> np.ndarray:
        """A ``[510, 256]`` pack for a name, a path or a weighted blend (weights normalised to sum 1)."""
        if not isinstance(spec, str) or not spec.strip():
            raise VoiceError("empty voice spec")
        spec = spec.strip()
        if spec in self._packs or ("," not in spec and ":" not in spec) or Path(spec).is_file():
            return self._single(spec).copy()
        parts = []
        for item in spec.split(","):
            name, sep, weight = item.strip().rpartition(":")
            if not sep:
                name, weight = weight, "1"
            try:
                w = float(weight)
            except ValueError:
                raise VoiceError(f"voice blend '{spec}': weight '{weight}' of '{name}' is not a number") from None
            if not np.isfinite(w) or w < 0:
                raise VoiceError(f"voice blend '{spec}': weight of '{name}' must be a finite number >= 0")
            parts.append((self._single(name), w))
        total = sum(w for _, w in parts)
        if total <= 0:
            raise VoiceError(f"voice blend '{spec}': weights sum to zero")
        mix = sum(pack.astype(np.float64) * (w / total) for pack, w in parts)
        return np.asarray(mix, dtype=np.float32)


def save_npz(bank: VoiceBank, path: str | os.PathLike, dtype: str = "float32") -> None:
    """Write every pack of ``bank`` to one .npz (name -> [510, 256] of ``dtype``: float32, or
    float16 for compact bundles; readers get float32 either way), atomically."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    np.savez(buf, **{n: bank._packs[n].astype(dtype) for n in bank.names()})
    tmp = p.with_name(f".{p.name}.part")
    try:
        tmp.write_bytes(buf.getvalue())
        os.replace(tmp, p)
    finally:
        tmp.unlink(missing_ok=True)


def load_npz(path: str | os.PathLike) -> VoiceBank:
    return VoiceBank.load_npz(path)


__all__ = ["PACK_SHAPE", "VoiceBank", "load_npz", "load_voice_file", "save_npz", "style_for"]
