"""Offline speech for the sandbox agent: espeak-ng TTS and pocketsphinx STT.

Nothing here imports LiveKit; the framework plugins (tts_espeak.py, stt_pocketsphinx.py) wrap it.
"""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
import threading

import numpy as np

TTS_SAMPLE_RATE = 22050  # what espeak-ng writes
STT_SAMPLE_RATE = 16000  # what the pocketsphinx en-us model expects
ESPEAK = "espeak-ng"

_VOICE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_+\-/]*$")


class SpeechError(RuntimeError):
    """TTS or STT could not run."""


# -- text to speech ----------------------------------------------------------------------------


def parse_wav(data: bytes) -> tuple[np.ndarray, int]:
    """Return (mono int16 samples, sample rate) from a 16-bit PCM WAV.

    espeak-ng writing to stdout cannot seek back, so its RIFF and data sizes are bogus (0x7ffff...);
    the data chunk is therefore taken to run to the end of the bytes.
    """
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise SpeechError("not a RIFF/WAVE file")
    pos, rate, channels, bits = 12, 0, 0, 0
    while pos + 8 <= len(data):
        chunk_id, size = data[pos : pos + 4], struct.unpack("<I", data[pos + 4 : pos + 8])[0]
        body = pos + 8
        if chunk_id == b"fmt ":
            fmt, channels, rate = struct.unpack("<HHI", data[body : body + 8])
            bits = struct.unpack("<H", data[body + 14 : body + 16])[0]
            if fmt != 1 or bits != 16:
                raise SpeechError(f"unsupported WAV format {fmt}/{bits} bit")
        elif chunk_id == b"data":
            if not rate:
                raise SpeechError("WAV data chunk before fmt chunk")
            end = len(data) if body + size > len(data) else body + size
            raw = data[body:end]
            pcm = np.frombuffer(raw[: len(raw) - len(raw) % (2 * channels)], dtype="<i2").astype(np.int16)
            if channels > 1:
                pcm = pcm.reshape(-1, channels).mean(axis=1).astype(np.int16)
            return pcm, rate
        pos = body + size + (size & 1)
    raise SpeechError("WAV has no data chunk")


def synthesize(text: str, voice: str, *, timeout: float = 30.0) -> tuple[np.ndarray, int]:
    """Speak `text` with espeak-ng; returns (int16 mono samples, sample rate) (22,050 Hz)."""
    if not _VOICE_RE.match(voice):
        raise SpeechError(f"bad espeak-ng voice name: {voice!r}")
    exe = shutil.which(ESPEAK)
    if exe is None:
        raise SpeechError("espeak-ng is not installed")
    # Text goes in on stdin, so a reply starting with "-" can never be read as an option.
    try:
        done = subprocess.run(
            [exe, "-v", voice, "--stdout", "--stdin"],
            input=text.encode("utf-8"),
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise SpeechError("espeak-ng timed out") from exc
    if done.returncode != 0:
        raise SpeechError(
            f"espeak-ng failed ({done.returncode}): {done.stderr.decode(errors='replace')[:200]}"
        )
    return parse_wav(done.stdout)


# -- speech to text ----------------------------------------------------------------------------


class Transcriber:
    """One pocketsphinx decoder (US-English model from the wheel); decodes each turn whole.

    Digital silence (Chromium/Opus deliver long runs of exact zeros) and hard onsets confuse the
    decoder, so every turn is brought to a fixed peak level (the browser's gain control may have
    clipped it, or left it quiet), framed with a little silence and given a faint, fixed (seeded)
    dither. On espeak-ng speech the dither turned 4/25 exactly decoded test sentences into ~16/25,
    and the level made "what are your opening hours" come through a loopback call exactly
    (it was "what are your opening know is").
    """

    PAD_S = 0.3
    PEAK = 10000.0  # turns are scaled to this peak (at most MAX_GAIN times louder)
    MAX_GAIN = 8.0
    DITHER = 50.0  # standard deviation in 16-bit units, after scaling; far below speech at PEAK

    def __init__(self, sample_rate: int = STT_SAMPLE_RATE) -> None:
        try:
            from pocketsphinx import Decoder
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise SpeechError("pocketsphinx is not installed") from exc
        self.sample_rate = sample_rate
        self._decoder = Decoder(samprate=sample_rate, loglevel="FATAL")
        self._lock = threading.Lock()

    def transcribe(self, pcm: bytes | np.ndarray) -> str:
        samples = np.frombuffer(pcm, dtype=np.int16) if isinstance(pcm, bytes | bytearray) else pcm
        if len(samples) == 0:
            return ""
        x = samples.astype(np.float64)
        peak = float(np.abs(x).max())
        if peak > 0:
            x *= min(self.PEAK / peak, self.MAX_GAIN)
        pad = np.zeros(int(self.PAD_S * self.sample_rate), dtype=np.float64)
        x = np.concatenate([pad, x, pad])
        x += self.DITHER * np.random.default_rng(0).standard_normal(len(x))
        data = np.clip(np.round(x), -32768, 32767).astype(np.int16).tobytes()
        with self._lock:
            self._decoder.start_utt()
            self._decoder.process_raw(data, full_utt=True)
            self._decoder.end_utt()
            hyp = self._decoder.hyp()
        return " ".join((hyp.hypstr if hyp is not None else "").split())
