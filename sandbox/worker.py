"""The sandbox agents on the LiveKit Agents framework: `python -m sandbox.worker start`.

One worker process per agent in agents.toml (`SANDBOX_AGENT_ID`), registered with livekit-server for
explicit dispatch under `SandboxAgent.dispatch_name`, with a warm job process. The stand-in
dispatches each web call with a `CallOptions` JSON as the job's metadata, as a platform does. Each
job speaks through the framework (`AgentSession`: `lk.agent.state`, `lk.transcription`, `lk.chat`,
interruptions, pre-connect audio) with the offline plugins, and reports the call back to the
stand-in: `POST $SANDBOX_REPORT_URL/<call_id>` with `X-Report-Token: $SANDBOX_REPORT_TOKEN`, one
event per request (`participant_joined`, `message`, `ended`; see `standin.CallStore.update`).

Environment (nothing else is inherited, see `agent_runner.agent_environment`): `LIVEKIT_URL`,
`LIVEKIT_API_KEY`, `LIVEKIT_API_SECRET`, `SANDBOX_AGENT_ID`, `SANDBOX_REPORT_URL`, `SANDBOX_REPORT_TOKEN`.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import os
import ssl
from datetime import UTC, datetime
from typing import Any

import httpx
from livekit import agents
from livekit.agents import Agent, AgentServer, AgentSession, JobContext, JobProcess, room_io, stt, tokenize
from livekit.plugins import silero

from . import speech
from .agents import SandboxAgent, load_agents, render
from .dispatch import CallOptions
from .llm_script import ScriptLLM
from .stt_pocketsphinx import PocketsphinxSTT
from .tts_espeak import EspeakTTS

log = logging.getLogger("sandbox.worker")

REPORT_TIMEOUT_S = 5.0
# Made at import (a warm process imports us before any call): building it inside a job blocked the
# job's event loop for ~150 ms (the framework's loop monitor logged it). Reports go to loopback http.
_TLS = ssl.create_default_context()


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Reporter:
    """Sends the call's events to the stand-in in order (one sender task); never raises."""

    def __init__(self, call_id: str) -> None:
        self._url = f"{os.environ['SANDBOX_REPORT_URL'].rstrip('/')}/{call_id}"
        self._headers = {"X-Report-Token": os.environ["SANDBOX_REPORT_TOKEN"]}
        self._queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()
        self._sender = asyncio.create_task(self._send_all(), name="report-sender")
        self.ended = False

    def emit(self, event: str, **fields: Any) -> None:
        if self.ended:
            return
        self.ended = event == "ended"
        self._queue.put_nowait({"event": event, **fields})

    async def close(self) -> None:
        self._queue.put_nowait(None)
        try:
            await asyncio.wait_for(asyncio.shield(self._sender), REPORT_TIMEOUT_S * 2)
        except TimeoutError:
            log.warning("the stand-in did not take the last reports in time")

    async def _send_all(self) -> None:
        async with httpx.AsyncClient(timeout=REPORT_TIMEOUT_S, verify=_TLS) as client:
            while (event := await self._queue.get()) is not None:
                try:
                    (await client.post(self._url, json=event, headers=self._headers)).raise_for_status()
                except httpx.HTTPError as exc:  # the stand-in went away: the call goes on
                    log.warning("could not report %s: %s", event["event"], exc)


def prewarm(proc: JobProcess) -> None:
    """Runs once per warm job process, before any call: the models load off the call's clock."""
    proc.userdata["vad"] = silero.VAD.load()
    proc.userdata["transcriber"] = speech.Transcriber()
    load_first_use()


def load_first_use() -> None:
    """Load now what a call would load on first use, on its event loop, between the greeting's
    synthesis and its first audio: each of these stalled the loop for 100-250 ms there (the
    framework's loop monitor, "event loop blocked", in the sandbox's worker log): the transcript
    synchroniser's word tokenizer and hyphenation patterns, and the async HTTP stack (anyio) that the
    call report's first request imports."""
    words = tokenize.basic.WordTokenizer(retain_format=True, ignore_punctuation=False, split_character=True)
    for word in words.tokenize("Hello, how can I help you today?"):
        tokenize.basic.hyphenate_word(word)
    for module in ("httpcore._backends.anyio", "anyio._backends._asyncio"):
        importlib.import_module(module)


def this_agent() -> SandboxAgent:
    return load_agents()[os.environ["SANDBOX_AGENT_ID"]]


async def entrypoint(ctx: JobContext) -> None:
    options = CallOptions.from_metadata(ctx.job.metadata)
    agent = this_agent()
    reporter = Reporter(options.call_id)

    async def finish(reason: str) -> None:
        reporter.emit("ended", reason="error", detail=f"job shut down: {reason}")
        await reporter.close()

    # Whatever ends the job (a crash included), the stand-in hears the end; the first reason wins.
    ctx.add_shutdown_callback(finish)
    try:
        await converse(ctx, agent, options, reporter)
    except Exception as exc:
        log.exception("call %s failed", options.call_id)
        reporter.emit("ended", reason="error", detail=f"agent failed: {exc or type(exc).__name__}")
        ctx.shutdown(reason="agent error")


async def converse(ctx: JobContext, agent: SandboxAgent, options: CallOptions, reporter: Reporter) -> None:
    vad = ctx.proc.userdata["vad"]
    session: AgentSession = AgentSession(
        stt=stt.StreamAdapter(stt=PocketsphinxSTT(ctx.proc.userdata["transcriber"]), vad=vad),
        llm=ScriptLLM(agent, options.test_variables),
        tts=EspeakTTS(agent.voice),
        vad=vad,
        # Decided by silero's VAD alone: the framework's other strategies need models we do not ship.
        turn_handling={"turn_detection": "vad", "interruption": {"mode": "vad"}},
        # The framework's default (3 s) feeds the recogniser silence for the first 3 s the agent
        # speaks, against echo before the browser's canceller adapts. A question said before the
        # agent joined reaches it (pre-connect audio) just as the greeting starts, and would be
        # thrown away. The browser cancels echo (echoCancellation); the visitor may interrupt at once.
        aec_warmup_duration=None,
    )

    @session.on("conversation_item_added")
    def _on_item(event: Any) -> None:
        item = event.item
        if getattr(item, "role", None) in ("user", "assistant") and (item.text_content or "").strip():
            role = "user" if item.role == "user" else "agent"
            reporter.emit("message", role=role, message=item.text_content, timestamp=utc_now())

    person_left = False

    @session.on("close")
    def _on_close(event: Any) -> None:
        left = str(event.reason.value if hasattr(event.reason, "value") else event.reason)
        if left == "participant_disconnected" or person_left:
            reporter.emit("ended", reason="participant_left", detail="the person left")
        else:
            reporter.emit("ended", reason="error", detail=f"session closed: {left} {event.error or ''}")
        ctx.shutdown(reason=left)

    # The session starts before the room is connected (session.start connects it): its RoomIO must
    # have registered the handler for the page's pre-connect audio (`lk.agent.pre-connect-audio-buffer`)
    # before the page sees this agent active and sends what the visitor said before we joined. With
    # the room connected first, that recording could arrive with no handler and be dropped.
    await session.start(
        room=ctx.room,
        agent=Agent(instructions=f"You are {agent.name}; you answer from your script."),
        room_options=room_io.RoomOptions(
            audio_input=options.audio_input_enabled,
            audio_output=options.audio_output_enabled,
        ),
        record=False,
    )
    try:
        person = await asyncio.wait_for(ctx.wait_for_participant(), options.join_timeout_seconds)
    except TimeoutError:
        reporter.emit("ended", reason="no_participant", detail="nobody joined")
        ctx.shutdown(reason="nobody joined")
        return
    reporter.emit("participant_joined", identity=person.identity)
    log.info("call %s: %s joined", options.call_id, person.identity)

    # The session closes when its linked person leaves; one who left before it linked them (a page
    # hanging up a call it had cancelled, right as the agent came) was never seen to leave, and the
    # agent talked to an empty room until the job was killed. Closing the session (again: it waits
    # for a close already under way) adds what the agent said up to now to the history, and its
    # close event reports the end after those words; ending first had dropped them from the report.
    async def close_after_leaving() -> None:
        nonlocal person_left
        person_left = True
        await session.aclose()
        reporter.emit("ended", reason="participant_left", detail="the person left")  # if not yet
        ctx.shutdown(reason="participant left")

    closing: list[asyncio.Task[None]] = []  # a reference, so the task is not collected mid-way

    @ctx.room.on("participant_disconnected")
    def _left(participant: Any) -> None:
        if participant.identity == person.identity and not closing:
            closing.append(asyncio.create_task(close_after_leaving(), name="close-after-leaving"))

    if person.identity not in ctx.room.remote_participants:
        _left(person)
        return

    # `overrides.agent.max_duration_seconds`, as itellico's agent setting: the call ends that long after
    # the person joined, whatever their page does. The end is reported at once, so the call's record
    # lasts the limit (reported after the session's close, it lasted ~2 s more on a busy box; words
    # the agent was still saying are left out), then the room is deleted (livekit-api, the job's
    # credentials), which disconnects everyone in it, the page too.
    async def end_at_longest(seconds: int) -> None:
        await asyncio.sleep(seconds)
        log.info("call %s: ended at its longest length, %d s", options.call_id, seconds)
        reporter.emit("ended", reason="max_duration", detail="the call reached its longest length")
        await ctx.delete_room()
        await session.aclose()
        ctx.shutdown(reason="max duration")

    if options.max_duration_seconds is not None:
        longest = asyncio.create_task(end_at_longest(options.max_duration_seconds), name="max-duration")
        ctx.add_shutdown_callback(lambda: _cancel(longest))  # a call over sooner takes its timer along

    if not (options.initial_text and options.skip_greeting_on_initial_text):
        greeting = session.say(render(agent.first_message, options.test_variables))
        log.info("call %s: greeting", options.call_id)
        await greeting
    if options.fail_after_greeting:
        raise RuntimeError("agent_crash fault: failing on purpose after the greeting")
    if options.initial_text:
        session.generate_reply(user_input=options.initial_text)


async def _cancel(task: asyncio.Task[None]) -> None:
    task.cancel()


def build_server() -> AgentServer:
    server = AgentServer(
        # The default load function reports CPU use and a worker above 0.7 refuses jobs; on a busy
        # 2-core test box that leaves calls without an agent. The sandbox never refuses.
        load_fnc=lambda: 0.0,
        load_threshold=1.0,
        num_idle_processes=1,  # one warm job process: its VAD and decoder are loaded before the call
        setup_fnc=prewarm,
        initialize_process_timeout=60.0,  # loading the models on a busy box can take a while
        shutdown_process_timeout=5.0,
        drain_timeout=3,  # stopping the sandbox ends calls in progress; it never waits for them
        port=0,  # no fixed health-check port: several workers and test runs share the machine
    )
    server.rtc_session(entrypoint, agent_name=this_agent().dispatch_name)
    return server


if __name__ == "__main__":
    logging.getLogger("livekit").setLevel(logging.WARNING)  # its debug output can carry tokens
    agents.cli.run_app(build_server())
