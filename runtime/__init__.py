"""Deploy-time runtime: numpy + ai-edge-litert + a G2P. Never imports torch."""

from .pipeline import Audio, AudioChunk, Kokoro
from .timestamps import Word

__all__ = ["Kokoro", "Audio", "AudioChunk", "Word"]
