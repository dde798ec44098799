"""Text to speech for the framework agent: espeak-ng behind livekit-agents' `tts.TTS` interface.

Offline, no model download: espeak-ng is a Debian package (`make setup` installs it). Non-streaming:
the framework hands over one sentence at a time and plays the PCM we push.
"""

from __future__ import annotations

import asyncio
import uuid

from livekit.agents import APIConnectOptions, tts
from livekit.agents.types import DEFAULT_API_CONNECT_OPTIONS

from . import speech

PACE_S = 0.05  # between 100 ms steps of audio: twice real time


class EspeakTTS(tts.TTS):
    def __init__(self, voice: str) -> None:
        super().__init__(
            capabilities=tts.TTSCapabilities(streaming=False),
            sample_rate=speech.TTS_SAMPLE_RATE,
            num_channels=1,
        )
        self.voice = voice

    @property
    def model(self) -> str:
        return "espeak-ng"

    @property
    def provider(self) -> str:
        return "sandbox"

    def synthesize(
        self, text: str, *, conn_options: APIConnectOptions = DEFAULT_API_CONNECT_OPTIONS
    ) -> EspeakStream:
        return EspeakStream(tts=self, input_text=text, conn_options=conn_options)


class EspeakStream(tts.ChunkedStream):
    _tts: EspeakTTS

    async def _run(self, output_emitter: tts.AudioEmitter) -> None:
        # espeak-ng runs as a subprocess; a thread keeps the job's event loop free meanwhile.
        pcm, rate = await asyncio.to_thread(speech.synthesize, self.input_text, self._tts.voice)
        output_emitter.initialize(
            request_id=uuid.uuid4().hex, sample_rate=rate, num_channels=1, mime_type="audio/pcm"
        )
        # Delivered as a streaming TTS delivers it: the first 200 ms at once, the rest in 100 ms
        # steps at twice real time, ahead of playback. Pushed whole, the framework's transcript
        # synchroniser estimated the speaking rate of the whole sentence in one go (numpy, on the
        # job's event loop) and held the first audio back by 100-340 ms on 2 cores.
        data, step = pcm.tobytes(), rate // 10 * pcm.itemsize
        output_emitter.push(data[: 2 * step])
        for start in range(2 * step, len(data), step):
            await asyncio.sleep(PACE_S)
            output_emitter.push(data[start : start + step])
        output_emitter.flush()
