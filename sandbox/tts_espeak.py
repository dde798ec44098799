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
        output_emitter.push(pcm.tobytes())
        output_emitter.flush()
