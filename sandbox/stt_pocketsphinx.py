"""Speech to text for the framework agent: pocketsphinx behind livekit-agents' `stt.STT` interface.

Non-streaming: the framework's `stt.StreamAdapter` cuts turns with silero's VAD and hands each one
to `recognize`. The US-English model ships in the pocketsphinx wheel (no download); the decoding
itself (level, padding, dither) is `speech.Transcriber`'s.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
import wave
from pathlib import Path

import numpy as np
from livekit import rtc
from livekit.agents import APIConnectOptions, stt
from livekit.agents.types import NOT_GIVEN, NotGivenOr
from livekit.agents.utils import AudioBuffer

from . import speech


def to_stt_rate(buffer: AudioBuffer) -> np.ndarray:
    """One mono int16 clip at 16 kHz (what the model expects) from the frames of one turn."""
    frame = rtc.combine_audio_frames(buffer)
    pcm = np.frombuffer(frame.data, dtype=np.int16)
    if frame.num_channels > 1:
        pcm = pcm.reshape(-1, frame.num_channels).mean(axis=1).astype(np.int16)
    if frame.sample_rate == speech.STT_SAMPLE_RATE or len(pcm) == 0:
        return pcm
    resampler = rtc.AudioResampler(frame.sample_rate, speech.STT_SAMPLE_RATE, num_channels=1)
    mono = rtc.AudioFrame(pcm.tobytes(), frame.sample_rate, 1, len(pcm))
    out = [*resampler.push(mono), *resampler.flush()]
    return np.concatenate([np.frombuffer(f.data, dtype=np.int16) for f in out]) if out else pcm[:0]


# Set (by bench/click_to_audio.py), each turn the recogniser gets is also written there as a WAV,
# so a benchmark can measure how much of what was said reached the agent, apart from the recogniser.
TURN_AUDIO_DIR = "SANDBOX_TURN_AUDIO_DIR"


def keep_turn(folder: Path, pcm: np.ndarray) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    with wave.open(str(folder / f"{time.time_ns()}.wav"), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(speech.STT_SAMPLE_RATE)
        out.writeframes(pcm.astype(np.int16).tobytes())


class PocketsphinxSTT(stt.STT):
    def __init__(self, transcriber: speech.Transcriber | None = None) -> None:
        super().__init__(capabilities=stt.STTCapabilities(streaming=False, interim_results=False))
        self._transcriber = transcriber or speech.Transcriber()

    @property
    def model(self) -> str:
        return "pocketsphinx-en-us"

    @property
    def provider(self) -> str:
        return "sandbox"

    async def _recognize_impl(
        self,
        buffer: AudioBuffer,
        *,
        language: NotGivenOr[str] = NOT_GIVEN,
        conn_options: APIConnectOptions,
    ) -> stt.SpeechEvent:
        pcm = to_stt_rate(buffer)
        if folder := os.environ.get(TURN_AUDIO_DIR):
            keep_turn(Path(folder), pcm)
        # Decoding takes a while on a busy CPU; a thread keeps the job's event loop (audio out) going.
        text = await asyncio.to_thread(self._transcriber.transcribe, pcm)
        return stt.SpeechEvent(
            type=stt.SpeechEventType.FINAL_TRANSCRIPT,
            request_id=uuid.uuid4().hex,
            alternatives=[stt.SpeechData(language="en", text=text)],
        )
