"""Where downloads and conversion outputs live, and how files get there safely.

Everything is content-addressed under one cache directory (``$KOKORO_LITERT_CACHE`` or
``~/.cache/kokoro-litert``). Files are written to a temporary name in the same directory and
renamed into place, so an interrupted or failed job never leaves a half-written file behind.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from pathlib import Path
from typing import Iterator

from .errors import ChecksumError


def cache_dir(*parts: str) -> Path:
    root = os.environ.get("KOKORO_LITERT_CACHE") or Path.home() / ".cache" / "kokoro-litert"
    path = Path(root, *parts)
    path.mkdir(parents=True, exist_ok=True)
    return path


def sha256_file(path: str | os.PathLike, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def verify_sha256(path: str | os.PathLike, expected: str) -> None:
    actual = sha256_file(path)
    if actual != expected:
        raise ChecksumError(f"{path}: sha256 {actual[:16]}… does not match the expected {expected[:16]}…")


@contextlib.contextmanager
def atomic_path(dest: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path next to ``dest``; rename it onto ``dest`` only if the block succeeds."""
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
    os.close(fd)
    tmp = Path(tmp)
    try:
        yield tmp
        os.chmod(tmp, 0o644)  # mkstemp creates 0600; cached files are plain data
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)
