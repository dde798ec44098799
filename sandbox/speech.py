"""Offline speech helpers for the sandbox agent: espeak-ng TTS, pocketsphinx STT, energy turn detection.

Nothing here imports LiveKit, so it all unit-tests without a server.
"""

from __future__ import annotations

import collections
import re
import shutil
import struct
import subprocess
import threading
from dataclasses import dataclass

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


def frames(pcm: np.ndarray, frame_len: int) -> list[np.ndarray]:
    """Split samples into frames of exactly `frame_len`, zero-padding the last one."""
    if frame_len <= 0:
        raise ValueError("frame_len must be positive")
    out = []
    for start in range(0, len(pcm), frame_len):
        chunk = pcm[start : start + frame_len]
        if len(chunk) < frame_len:
            chunk = np.concatenate([chunk, np.zeros(frame_len - len(chunk), dtype=np.int16)])
        out.append(chunk.astype(np.int16, copy=False))
    return out


def word_schedule(text: str, duration_s: float) -> list[tuple[float, str]]:
    """Delta chunks for a transcript written in step with speech: [(seconds from start, chunk), ...].

    Each chunk is a word plus its following space; a word is due when the audio has reached the
    share of the text that precedes it (characters are a fair proxy for espeak-ng's pacing).
    Joining the chunks gives back the text with runs of whitespace collapsed.
    """
    words = text.split()
    if not words:
        return []
    total = sum(len(w) + 1 for w in words)
    out: list[tuple[float, str]] = []
    done = 0
    for i, word in enumerate(words):
        out.append((max(0.0, duration_s) * done / total, word if i == len(words) - 1 else word + " "))
        done += len(word) + 1
    return out


def resample(pcm: np.ndarray, src_rate: int, dst_rate: int) -> np.ndarray:
    """Band-limited resampling of a whole clip (windowed-sinc interpolation, numpy only)."""
    if src_rate == dst_rate or len(pcm) == 0:
        return pcm.astype(np.int16, copy=True)
    x = pcm.astype(np.float64)
    n_out = round(len(x) * dst_rate / src_rate)
    ratio = dst_rate / src_rate
    cutoff = min(1.0, ratio)  # relative to the source Nyquist frequency
    half = 32  # taps on each side, in source samples (scaled when downsampling)
    width = int(np.ceil(half / cutoff))
    t = np.arange(n_out) / ratio  # output instants in source-sample units
    base = np.floor(t).astype(np.int64)
    y = np.zeros(n_out)
    for k in range(-width + 1, width + 1):
        idx = base + k
        d = t - idx
        w = cutoff * np.sinc(cutoff * d) * (0.5 + 0.5 * np.cos(np.pi * np.clip(d / width, -1, 1)))
        valid = (idx >= 0) & (idx < len(x))
        y[valid] += x[idx[valid]] * w[valid]
    return np.clip(np.round(y), -32768, 32767).astype(np.int16)


# -- turn detection ----------------------------------------------------------------------------


def frame_energy(pcm: np.ndarray) -> float:
    """Mean absolute sample value of a chunk (0 for an empty one)."""
    return float(np.abs(pcm.astype(np.int32)).mean()) if len(pcm) else 0.0


@dataclass
class TurnSettings:
    sample_rate: int = STT_SAMPLE_RATE
    threshold: float = 300.0  # mean |sample| above this is speech
    end_silence_s: float = 0.7  # this much quiet ends a turn
    min_turn_s: float = 0.25  # turns with less speech than this (first to last loud chunk) are noise
    preroll_s: float = 0.3  # quiet audio kept before the first loud chunk, so soft onsets survive
    max_turn_s: float = 20.0  # a turn this long is cut and decoded anyway


class TurnDetector:
    """Energy-based end-of-turn detection. Feed chunks with push(); it returns a finished turn's PCM."""

    def __init__(self, settings: TurnSettings | None = None) -> None:
        self.settings = settings or TurnSettings()
        self._preroll: collections.deque[np.ndarray] = collections.deque()
        self._preroll_len = 0
        self._turn: list[np.ndarray] | None = None
        self._pos = 0  # samples seen since the turn started
        self._first_loud = 0
        self._last_loud_end = 0

    @property
    def in_turn(self) -> bool:
        return self._turn is not None

    def reset(self) -> None:
        """Forget everything heard so far (used while the agent itself is speaking)."""
        self._preroll.clear()
        self._preroll_len = 0
        self._turn = None

    def push(self, pcm: np.ndarray) -> bytes | None:
        s = self.settings
        pcm = np.asarray(pcm, dtype=np.int16)
        loud = frame_energy(pcm) > s.threshold
        if self._turn is None:
            if not loud:
                self._preroll.append(pcm)
                self._preroll_len += len(pcm)
                max_pre = int(s.preroll_s * s.sample_rate)
                while self._preroll and self._preroll_len - len(self._preroll[0]) >= max_pre:
                    self._preroll_len -= len(self._preroll.popleft())
                return None
            self._turn = list(self._preroll)
            self._pos = self._preroll_len
            self._preroll.clear()
            self._preroll_len = 0
            self._first_loud = self._pos
        self._turn.append(pcm)
        if loud:
            self._last_loud_end = self._pos + len(pcm)
        self._pos += len(pcm)
        quiet = self._pos - self._last_loud_end
        too_long = self._pos >= s.max_turn_s * s.sample_rate
        if quiet < s.end_silence_s * s.sample_rate and not too_long:
            return None
        turn, speech = self._turn, self._last_loud_end - self._first_loud
        self._turn = None
        if speech < s.min_turn_s * s.sample_rate:
            return None
        return np.concatenate(turn).astype(np.int16).tobytes()


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
    DITHER = 50.0  # standard deviation in 16-bit units, after scaling; far below the turn threshold

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
