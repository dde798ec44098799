"""The local sandbox agent: one process per web call, a small offline conversation partner.

Run as ``python -m sandbox.agent --spec PATH`` (the stand-in API does it, cwd = the repo root).
The spec is a JSON file::

    {"call_id": "...", "livekit_url": "ws://127.0.0.1:7880", "token": "<agent JWT>",
     "agent": <SandboxAgent.to_spec()>, "initial_text": null, "skip_greeting_on_initial_text": false,
     "audio_input_enabled": true, "audio_output_enabled": true, "test_variables": {"name": "Acme"},
     "join_timeout_seconds": 60}            # optional too: "max_call_seconds" (default 1800)

It reports on stdout, one JSON object per line (everything else goes to stderr, never the token)::

    {"event": "connected"}
    {"event": "participant_joined", "identity": "..."}
    {"event": "message", "role": "agent"|"user", "message": "...", "timestamp": "2026-...Z"}
    {"event": "ended", "reason": "participant_left"|"no_participant"|"error", "detail": "..."}   # last

Exit status: 0 after "ended" (whatever the reason), 2 for a bad spec or bad arguments, other
non-zero only on a crash.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import signal
import sys
import uuid
from collections.abc import Coroutine
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

import numpy as np
from livekit import rtc

from . import speech
from .agents import SandboxAgent, render

log = logging.getLogger("sandbox.agent")

TRANSCRIPTION_TOPIC = "lk.transcription"
CHAT_TOPIC = "lk.chat"
STATE_ATTRIBUTE = "lk.agent.state"
FRAME_SAMPLES = speech.TTS_SAMPLE_RATE // 100  # 10 ms at 22,050 Hz = 220 samples
ECHO_GUARD_S = 0.3  # after speaking, mic audio is still ignored this long (network + jitter buffer)
CONNECT_TIMEOUT_S = 20.0
DISCONNECT_TIMEOUT_S = 3.0
MAX_HEARD_CHARS = 200  # the fallback repeats what was heard; keep a pasted essay from being read out


# -- spec --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CallSpec:
    call_id: str
    livekit_url: str
    token: str = field(repr=False)
    agent: SandboxAgent
    initial_text: str | None = None
    skip_greeting_on_initial_text: bool = False
    audio_input_enabled: bool = True
    audio_output_enabled: bool = True
    test_variables: dict[str, str] = field(default_factory=dict)
    join_timeout_seconds: float = 60.0
    max_call_seconds: float = 1800.0


def parse_spec(data: Any) -> CallSpec:
    """Validate the spec JSON; ValueError with a one-line message on bad input."""
    if not isinstance(data, dict):
        raise ValueError("spec must be a JSON object")

    def text(name: str) -> str:
        value = data.get(name)
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"field {name!r} must be a non-empty string")
        return value.strip()

    def flag(name: str, default: bool) -> bool:
        value = data.get(name, default)
        if value is None:
            return default
        if not isinstance(value, bool):
            raise ValueError(f"field {name!r} must be true or false")
        return value

    def seconds(name: str, default: float) -> float:
        value = data.get(name, default)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 24 * 3600:
            raise ValueError(f"field {name!r} must be a number of seconds > 0")
        return float(value)

    url = text("livekit_url")
    if not url.startswith(("ws://", "wss://", "http://", "https://")):
        raise ValueError("field 'livekit_url' must be a ws:// or wss:// URL")
    try:
        agent = SandboxAgent.from_spec(data.get("agent"))
    except ValueError as exc:
        raise ValueError(f"field 'agent': {exc}") from None
    initial = data.get("initial_text")
    if initial is not None and not isinstance(initial, str):
        raise ValueError("field 'initial_text' must be a string or null")
    variables = data.get("test_variables")
    variables = {} if variables is None else variables
    if not isinstance(variables, dict):
        raise ValueError("field 'test_variables' must be an object")
    return CallSpec(
        call_id=text("call_id"),
        livekit_url=url,
        token=text("token"),
        agent=agent,
        initial_text=initial if initial and initial.strip() else None,
        skip_greeting_on_initial_text=flag("skip_greeting_on_initial_text", False),
        audio_input_enabled=flag("audio_input_enabled", True),
        audio_output_enabled=flag("audio_output_enabled", True),
        test_variables={str(k): "" if v is None else str(v) for k, v in variables.items()},
        join_timeout_seconds=seconds("join_timeout_seconds", 60.0),
        max_call_seconds=seconds("max_call_seconds", 1800.0),
    )


def load_spec(path: Path) -> CallSpec:
    try:
        raw = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ValueError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise ValueError(f"{path} is not valid JSON: {exc}") from None
    return parse_spec(data)


# -- reporting ---------------------------------------------------------------------------------


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Reporter:
    """Writes the stdout event lines; nothing is written after "ended"."""

    def __init__(self, out: TextIO | None = None) -> None:
        self._out = out if out is not None else sys.stdout
        self.ended = False

    def emit(self, event: str, **fields: Any) -> None:
        if self.ended:
            log.warning("not reporting %s after ended", event)
            return
        if event == "ended":
            self.ended = True
        try:
            self._out.write(json.dumps({"event": event, **fields}, ensure_ascii=False) + "\n")
            self._out.flush()
        except (BrokenPipeError, ValueError, OSError) as exc:  # the stand-in went away; carry on
            log.warning("could not report %s: %s", event, exc)


# -- turns -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SpeechTurn:
    pcm: bytes  # 16 kHz mono int16
    identity: str
    track_sid: str


@dataclass(frozen=True)
class TextTurn:
    text: str


Turn = SpeechTurn | TextTurn


class Call:
    def __init__(self, spec: CallSpec, reporter: Reporter) -> None:
        self.spec = spec
        self.reporter = reporter
        self.room: rtc.Room | None = None
        self.person: rtc.RemoteParticipant | None = None
        self.person_joined = asyncio.Event()
        self.finished = asyncio.Event()
        self.end_reason: tuple[str, str] | None = None
        self.closing = False
        self.turns: asyncio.Queue[Turn] = asyncio.Queue()
        self.tasks: set[asyncio.Task[Any]] = set()
        self.listeners: dict[str, asyncio.Task[Any]] = {}  # remote track sid -> listen task
        self.audio_tracks: dict[str, tuple[rtc.Track, rtc.RemoteParticipant]] = {}
        self.listening_enabled = False
        self.source: rtc.AudioSource | None = None
        self.track_sid = ""
        self.speaking = False
        self.deaf_until = 0.0
        self.state = ""
        self.transcriber: speech.Transcriber | None = None

    # -- lifecycle --

    def finish(self, reason: str, detail: str) -> None:
        if self.end_reason is None:
            log.info("ending: %s (%s)", reason, detail)
            self.end_reason = (reason, detail)
        self.finished.set()

    def spawn(self, coro: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any]:
        task = asyncio.create_task(coro, name=name)
        self.tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self.tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("task %s failed", task.get_name(), exc_info=task.exception())

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.finish, "error", "terminated")
        stt_loading: asyncio.Future[speech.Transcriber] | None = None
        if self.spec.audio_input_enabled:
            stt_loading = loop.run_in_executor(None, speech.Transcriber)

        self.room = room = rtc.Room(loop=loop)
        room.on("participant_connected", self._guard(self._on_participant_connected))
        room.on("participant_disconnected", self._guard(self._on_participant_disconnected))
        room.on("track_subscribed", self._guard(self._on_track_subscribed))
        room.on("track_unsubscribed", self._guard(self._on_track_unsubscribed))
        room.on("disconnected", self._guard(self._on_disconnected))
        room.register_text_stream_handler(CHAT_TOPIC, self._guard(self._on_chat))

        if await self.connect(room):
            log.info("connected to room %s as %s", room.name, room.local_participant.identity)
            self.reporter.emit("connected")
            await self.set_state("initializing")
            conversation = self.spawn(self.conversation(stt_loading), "conversation")
            conversation.add_done_callback(self._conversation_done)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.finished.wait(), self.spec.max_call_seconds)
            self.finish("error", f"call reached the {self.spec.max_call_seconds:.0f} s limit")
        await self.shutdown(stt_loading)

    async def connect(self, room: rtc.Room) -> bool:
        """Join the room; False (with the end reason set) on failure, timeout or SIGTERM meanwhile."""
        options = rtc.RoomOptions(auto_subscribe=self.spec.audio_input_enabled)
        connecting = asyncio.create_task(room.connect(self.spec.livekit_url, self.spec.token, options))
        stop = asyncio.create_task(self.finished.wait())
        done, _ = await asyncio.wait(
            {connecting, stop}, timeout=CONNECT_TIMEOUT_S, return_when="FIRST_COMPLETED"
        )
        stop.cancel()
        if connecting in done and connecting.exception() is None:
            return True
        if connecting in done:
            exc = connecting.exception()
            detail = str(exc) or type(exc).__name__
        else:
            connecting.cancel()
            with contextlib.suppress(BaseException):
                await connecting
            detail = "interrupted" if self.finished.is_set() else f"timed out after {CONNECT_TIMEOUT_S:g} s"
        self.finish("error", f"could not connect to LiveKit at {self.spec.livekit_url}: {detail}")
        return False

    def _conversation_done(self, task: asyncio.Task[Any]) -> None:
        # Turns are guarded one by one; getting here with an exception means setup failed.
        if not task.cancelled() and task.exception() is not None:
            exc = task.exception()
            self.finish("error", f"agent failed: {exc or type(exc).__name__}")

    async def shutdown(self, stt_loading: asyncio.Future[Any] | None) -> None:
        self.closing = True
        # Stop capture and listening BEFORE disconnecting (else the FFI logs callback errors).
        tasks = list(self.tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=2.0)
        # Typed text that was still waiting for its turn is part of the conversation record.
        while not self.turns.empty():
            turn = self.turns.get_nowait()
            if isinstance(turn, TextTurn):
                self.record("user", turn.text)
        reason, detail = self.end_reason or ("error", "unknown")
        self.reporter.emit("ended", reason=reason, detail=detail)
        if self.room is not None and self.room.isconnected():
            try:
                await asyncio.wait_for(self.room.disconnect(), DISCONNECT_TIMEOUT_S)
            except Exception as exc:
                log.warning("disconnect: %s", exc or type(exc).__name__)
        if self.source is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.source.aclose(), 1.0)
        if stt_loading is not None and not stt_loading.done():
            stt_loading.cancel()

    # -- room events (all wrapped: an exception is logged, never kills the call) --

    def _guard(self, handler: Any) -> Any:
        def wrapped(*args: Any) -> None:
            try:
                handler(*args)
            except Exception:
                log.exception("handler %s failed", getattr(handler, "__name__", handler))

        return wrapped

    @staticmethod
    def _is_agent(participant: rtc.RemoteParticipant) -> bool:
        return participant.kind == rtc.ParticipantKind.PARTICIPANT_KIND_AGENT

    def _consider(self, participant: rtc.RemoteParticipant) -> None:
        if self.person is None and not self._is_agent(participant):
            self.person = participant
            self.person_joined.set()

    def _on_participant_connected(self, participant: rtc.RemoteParticipant) -> None:
        log.info("participant connected: %s (kind %s)", participant.identity, participant.kind)
        self._consider(participant)

    def _on_participant_disconnected(self, participant: rtc.RemoteParticipant) -> None:
        log.info("participant disconnected: %s", participant.identity)
        if self.person is not None and participant.identity == self.person.identity:
            self.finish("participant_left", f"{participant.identity} left the room")

    def _on_disconnected(self, reason: Any) -> None:
        if self.closing:
            return
        try:
            name = rtc.DisconnectReason.Name(reason)
        except Exception:
            name = str(reason)
        if self.person is not None:
            self.finish("participant_left", f"room disconnected ({name})")
        else:
            self.finish("error", f"room disconnected before anyone joined ({name})")

    def _on_track_subscribed(
        self, track: rtc.Track, publication: rtc.RemoteTrackPublication, participant: rtc.RemoteParticipant
    ) -> None:
        if track.kind != rtc.TrackKind.KIND_AUDIO:
            return
        log.info("subscribed to audio %s of %s", publication.sid, participant.identity)
        self.audio_tracks[publication.sid] = (track, participant)
        self._start_listener(publication.sid)

    def _on_track_unsubscribed(
        self, track: rtc.Track, publication: rtc.RemoteTrackPublication, participant: rtc.RemoteParticipant
    ) -> None:
        self.audio_tracks.pop(publication.sid, None)
        task = self.listeners.pop(publication.sid, None)
        if task is not None:
            task.cancel()

    def _on_chat(self, reader: rtc.TextStreamReader, sender_identity: str) -> None:
        self.spawn(self._read_chat(reader, sender_identity), "chat")

    async def _read_chat(self, reader: rtc.TextStreamReader, sender_identity: str) -> None:
        text = await reader.read_all()
        if self.person is None or sender_identity != self.person.identity:
            log.warning("ignoring lk.chat text from %s (not the caller)", sender_identity)
            return
        if text.strip():
            log.info("chat from %s: %r", sender_identity, text)
            self.turns.put_nowait(TextTurn(text.strip()))

    # -- conversation --

    async def conversation(self, stt_loading: asyncio.Future[speech.Transcriber] | None) -> None:
        assert self.room is not None
        for participant in list(self.room.remote_participants.values()):
            self._consider(participant)
        try:
            await asyncio.wait_for(self.person_joined.wait(), self.spec.join_timeout_seconds)
        except TimeoutError:
            self.finish("no_participant", f"nobody joined within {self.spec.join_timeout_seconds:g} s")
            return
        assert self.person is not None
        self.reporter.emit("participant_joined", identity=self.person.identity)

        if stt_loading is not None:
            try:
                self.transcriber = await stt_loading
            except Exception:
                log.exception("speech recognition unavailable; typed text still works")
        if self.spec.audio_output_enabled:
            await self.publish_audio()
        if self.transcriber is not None:
            self.listening_enabled = True
            for sid in list(self.audio_tracks):
                self._start_listener(sid)
        await self.set_state("listening")

        spec = self.spec
        if not (spec.initial_text and spec.skip_greeting_on_initial_text):
            await self.say(render(spec.agent.first_message, spec.test_variables))
        if spec.initial_text:
            await self.guarded(self.handle_text(spec.initial_text))
        while True:
            turn = await self.turns.get()
            if isinstance(turn, SpeechTurn):
                await self.guarded(self.handle_speech(turn))
            else:
                await self.guarded(self.handle_text(turn.text))

    async def guarded(self, coro: Coroutine[Any, Any, None]) -> None:
        try:
            await coro
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("turn failed; still listening")
            await self.set_state("listening")

    async def publish_audio(self) -> None:
        assert self.room is not None
        self.source = rtc.AudioSource(speech.TTS_SAMPLE_RATE, 1)
        track = rtc.LocalAudioTrack.create_audio_track("agent-voice", self.source)
        options = rtc.TrackPublishOptions(source=rtc.TrackSource.SOURCE_MICROPHONE)
        publication = await self.room.local_participant.publish_track(track, options)
        self.track_sid = publication.sid
        log.info("published audio track %s", self.track_sid)

    def _start_listener(self, sid: str) -> None:
        if not self.listening_enabled or sid in self.listeners or self.person is None:
            return
        entry = self.audio_tracks.get(sid)
        if entry is None or entry[1].identity != self.person.identity:
            return
        track, participant = entry
        task = self.spawn(self.listen(track, sid, participant.identity), f"listen-{sid}")
        self.listeners[sid] = task
        task.add_done_callback(lambda _t: self.listeners.pop(sid, None))

    async def listen(self, track: rtc.Track, sid: str, identity: str) -> None:
        loop = asyncio.get_running_loop()
        stream = rtc.AudioStream(track, sample_rate=speech.STT_SAMPLE_RATE, num_channels=1)
        detector = speech.TurnDetector()
        try:
            async for event in stream:
                if self.speaking or loop.time() < self.deaf_until:
                    detector.reset()  # half duplex: never answer our own echo
                    continue
                pcm = np.frombuffer(event.frame.data, dtype=np.int16)
                turn = detector.push(pcm)
                if turn is not None:
                    log.info("turn of %.2f s from %s", len(turn) / 2 / speech.STT_SAMPLE_RATE, identity)
                    self.turns.put_nowait(SpeechTurn(turn, identity, sid))
        finally:
            with contextlib.suppress(Exception):
                await stream.aclose()

    async def handle_speech(self, turn: SpeechTurn) -> None:
        assert self.transcriber is not None
        loop = asyncio.get_running_loop()
        heard = await loop.run_in_executor(None, self.transcriber.transcribe, turn.pcm)
        log.info("heard %r", heard)
        if not heard:
            return
        await self.publish_user_transcript(heard, turn.identity, turn.track_sid)
        self.record("user", heard)
        await self.respond(heard)

    async def handle_text(self, text: str) -> None:
        self.record("user", text)
        await self.respond(text)

    async def respond(self, heard: str) -> None:
        await self.set_state("thinking")
        if len(heard) > MAX_HEARD_CHARS:
            heard = heard[:MAX_HEARD_CHARS].rsplit(" ", 1)[0] + " …"
        await self.say(self.spec.agent.reply_to(heard))

    def record(self, role: str, text: str) -> None:
        self.reporter.emit("message", role=role, message=text, timestamp=utc_now())

    async def set_state(self, state: str) -> None:
        if self.closing or state == self.state or self.room is None:
            return
        try:
            await asyncio.wait_for(self.room.local_participant.set_attributes({STATE_ATTRIBUTE: state}), 5.0)
            self.state = state
        except Exception as exc:
            log.warning("could not set %s=%s: %s", STATE_ATTRIBUTE, state, exc or type(exc).__name__)

    # -- output --

    async def publish_user_transcript(self, text: str, identity: str, track_sid: str) -> None:
        assert self.room is not None
        writer = await self.room.local_participant.stream_text(
            topic=TRANSCRIPTION_TOPIC,
            attributes={
                "lk.segment_id": new_segment_id(),
                "lk.transcribed_track_id": track_sid,
                "lk.transcription_final": "true",
            },
            sender_identity=identity,
        )
        await writer.write(text)
        await writer.aclose()

    async def say(self, text: str) -> None:
        """Speak (audio + delta transcript) or, with audio output off, send the text; then listen."""
        assert self.room is not None
        text = " ".join(text.split())
        if not text:
            return
        await self.set_state("speaking")
        try:
            if self.source is not None:
                await self.speak(text)
            else:
                await self.room.local_participant.send_text(
                    text,
                    topic=TRANSCRIPTION_TOPIC,
                    attributes={"lk.segment_id": new_segment_id(), "lk.transcription_final": "true"},
                )
            self.record("agent", text)
        finally:
            await self.set_state("listening")

    async def speak(self, text: str) -> None:
        assert self.room is not None and self.source is not None
        loop = asyncio.get_running_loop()
        pcm, rate = await loop.run_in_executor(None, speech.synthesize, text, self.spec.agent.voice)
        if rate != speech.TTS_SAMPLE_RATE:
            pcm = speech.resample(pcm, rate, speech.TTS_SAMPLE_RATE)
        schedule = speech.word_schedule(text, len(pcm) / speech.TTS_SAMPLE_RATE)
        attributes = {"lk.segment_id": new_segment_id(), "lk.transcribed_track_id": self.track_sid}
        writer = await self.room.local_participant.stream_text(
            topic=TRANSCRIPTION_TOPIC, attributes={**attributes, "lk.transcription_final": "false"}
        )

        async def write_words() -> None:
            start = loop.time()
            for at, chunk in schedule:
                delay = start + at - loop.time()
                if delay > 0:
                    await asyncio.sleep(delay)
                await writer.write(chunk)

        self.speaking = True
        words = asyncio.create_task(write_words(), name="transcript-words")
        try:
            for frame in speech.frames(pcm, FRAME_SAMPLES):
                await self.source.capture_frame(
                    rtc.AudioFrame(frame.tobytes(), speech.TTS_SAMPLE_RATE, 1, FRAME_SAMPLES)
                )
            await words
            await self.source.wait_for_playout()
        finally:
            if not words.done():
                words.cancel()
            self.speaking = False
            self.deaf_until = loop.time() + ECHO_GUARD_S
        await writer.aclose(attributes={**attributes, "lk.transcription_final": "true"})


def new_segment_id() -> str:
    return f"SG_{uuid.uuid4().hex[:12]}"


# -- entry point -------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sandbox.agent", description=__doc__.splitlines()[0])
    parser.add_argument("--spec", required=True, type=Path, help="path of the call spec JSON")
    parser.add_argument("--log-level", default="INFO", help="stderr log level (default INFO)")
    args = parser.parse_args(argv)
    logging.basicConfig(
        stream=sys.stderr,
        level=getattr(logging, str(args.log_level).upper(), logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("livekit").setLevel(logging.WARNING)  # its debug output can carry URLs/tokens
    try:
        spec = load_spec(args.spec)
    except ValueError as exc:
        print(f"sandbox.agent: bad spec: {exc}", file=sys.stderr, flush=True)
        return 2
    log.info(
        "call %s: agent %s (%s), audio in=%s out=%s",
        spec.call_id,
        spec.agent.name,
        spec.agent.id,
        spec.audio_input_enabled,
        spec.audio_output_enabled,
    )
    asyncio.run(Call(spec, Reporter()).run())
    return 0


if __name__ == "__main__":
    sys.exit(main())
