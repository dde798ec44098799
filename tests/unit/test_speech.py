"""sandbox/speech.py: WAV parsing, espeak-ng, pocketsphinx (the round trip through the framework
plugins is in test_agent_plugins.py)."""

from __future__ import annotations

import shutil
import struct

import numpy as np
import pytest

from sandbox import speech

pytestmark = pytest.mark.unit

RATE = speech.STT_SAMPLE_RATE
needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")


def tone(seconds: float, amplitude: float = 3000.0, hz: float = 440.0, rate: int = RATE) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (amplitude * np.sin(2 * np.pi * hz * t)).astype(np.int16)


def silence(seconds: float, rate: int = RATE) -> np.ndarray:
    return np.zeros(int(seconds * rate), dtype=np.int16)


def energy(pcm: np.ndarray) -> float:
    return float(np.abs(pcm.astype(np.int32)).mean())


# -- WAV ----------------------------------------------------------


def wav_bytes(pcm: np.ndarray, rate: int, *, bogus_sizes: bool) -> bytes:
    data = pcm.astype("<i2").tobytes()
    size = 0x7FFFFFFF if bogus_sizes else len(data)
    fmt = struct.pack("<HHIIHH", 1, 1, rate, rate * 2, 2, 16)
    return (
        b"RIFF"
        + struct.pack("<I", size)
        + b"WAVE"
        + b"fmt "
        + struct.pack("<I", 16)
        + fmt
        + b"LIST"
        + struct.pack("<I", 4)
        + b"INFO"
        + b"data"
        + struct.pack("<I", size)
        + data
    )


@pytest.mark.parametrize("bogus", [True, False])
def test_parse_wav(bogus: bool) -> None:
    pcm = tone(0.1, rate=22050)
    out, rate = speech.parse_wav(wav_bytes(pcm, 22050, bogus_sizes=bogus))
    assert rate == 22050 and np.array_equal(out, pcm)


def test_parse_wav_rejects_junk() -> None:
    with pytest.raises(speech.SpeechError):
        speech.parse_wav(b"not a wav at all")


# -- espeak-ng and pocketsphinx -----------------------------------------------------------------


@needs_espeak
@pytest.mark.parametrize("voice", ["en-us", "de"])
def test_synthesize(voice: str) -> None:
    pcm, rate = speech.synthesize("-v Hallo, hello there", voice)  # leading "-" is text, not an option
    assert rate == speech.TTS_SAMPLE_RATE
    assert 0.8 < len(pcm) / rate < 4.0
    assert energy(pcm) > 300


def test_synthesize_rejects_bad_voice() -> None:
    with pytest.raises(speech.SpeechError):
        speech.synthesize("hi", "--stdout")


@pytest.fixture(scope="module")
def transcriber() -> speech.Transcriber:
    return speech.Transcriber()


def test_transcribe_empty_and_silence(transcriber: speech.Transcriber) -> None:
    assert transcriber.transcribe(b"") == ""
    assert transcriber.transcribe(silence(1.0)) == ""
