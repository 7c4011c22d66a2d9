"""Deploy-time runtime: numpy + ai-edge-litert + a G2P. Never imports torch."""

from .pipeline import Audio, AudioChunk, Kokoro

__all__ = ["Kokoro", "Audio", "AudioChunk"]
