"""manifest.json, the one description of a bundle: written by the converter and read by the
runtimes through this module, checked against ``bundle_format.json`` (the key-and-type definition
that android_demo's ``Manifest.java`` validates against too).

``read(path)`` returns the manifest or raises ``BundleError`` in one line naming the bad key;
``write(path, manifest)`` refuses a manifest that does not follow the format and writes atomically.
"""

from __future__ import annotations

import importlib.resources
import json
import os
from pathlib import Path
from functools import lru_cache

from kokoro_litert.cache import atomic_path
from kokoro_litert.errors import BundleError

__all__ = ["MANIFEST", "FORMAT_VERSION", "read", "write", "validate", "bundle_format"]

MANIFEST = "manifest.json"

_SCALARS = {
    "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "str": lambda v: isinstance(v, str),
    "object": lambda v: isinstance(v, dict),
    "any": lambda v: True,
}


@lru_cache(maxsize=1)
def bundle_format() -> dict:
    return json.loads(importlib.resources.files(__package__).joinpath("bundle_format.json").read_text(encoding="utf-8"))


FORMAT_VERSION: int = bundle_format()["version"]


def _check(value, spec, where: str, defs: dict) -> None:
    if isinstance(spec, str) and spec.startswith("$"):
        spec = defs[spec[1:]]
    if isinstance(spec, str):
        if not _SCALARS[spec](value):
            raise ValueError(f"{where} must be of type {spec}")
    elif isinstance(spec, list):
        if not isinstance(value, list) or not value:
            raise ValueError(f"{where} must be a non-empty list")
        for i, v in enumerate(value):
            _check(v, spec[0], f"{where}[{i}]", defs)
    else:
        if not isinstance(value, dict):
            raise ValueError(f"{where} must be an object")
        keys = {k.rstrip("?"): k for k in spec}
        for key, v in value.items():
            if key not in keys and "*" not in keys:
                raise ValueError(f"{where}.{key} is not a key of bundle format {FORMAT_VERSION}")
            _check(v, spec[keys.get(key, "*")], f"{where}.{key}", defs)
        for key, raw in keys.items():
            if key != "*" and not raw.endswith("?") and key not in value:
                raise ValueError(f"{where}.{key} is missing")


def validate(manifest) -> None:
    """ValueError naming the first key that does not follow ``bundle_format.json``."""
    fmt = bundle_format()
    if not isinstance(manifest, dict):
        raise ValueError("the manifest must be a JSON object")
    if manifest.get("format") != FORMAT_VERSION:
        raise ValueError(f"format {manifest.get('format')!r}, this runtime reads {FORMAT_VERSION}")
    _check(manifest, fmt["manifest"], "manifest", fmt["definitions"])


def read(path: str | os.PathLike) -> dict:
    try:
        manifest = json.loads(Path(path).read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise BundleError(f"{path}: not valid JSON ({e})") from None
    try:
        validate(manifest)
    except ValueError as e:
        raise BundleError(f"{path}: malformed manifest ({e})") from None
    return manifest


def write(path: str | os.PathLike, manifest: dict) -> None:
    validate(manifest)
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(manifest, indent=1), encoding="utf-8")
