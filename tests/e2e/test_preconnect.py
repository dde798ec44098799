"""Words said before the agent joins are heard: livekit-client's pre-connect buffer in Chromium.

The question (about 1.7 s of espeak) starts 0.3 s after the microphone opens (right after the
click, the permission being granted) and the stand-in answers the create 1.2 s late (an API round
trip on a slow day), so most of the question is said before the agent hears the person's track. The
page records it with the microphone track's pre-connect buffer from the moment the microphone and
livekit-client are there, the agent's RoomIO feeds the recording to its recogniser before the live
audio, so the question is recognised, answered and shown once. Without the buffer only its tail
reaches the agent.

Where the recording ends the agent goes on with its live stream, which starts when its side of the
subscription is ready, 100-300 ms after the page is told "subscribed" (measured). Ending the recording
at "subscribed" lost what was said in between ("opening hours on saturday" came out as "opening our
latter day" in a CI run); static/js/preconnect-buffer.js holds the live audio while the recording runs
and ends both at the visitor's next pause, so the agent hears each word once. livekit-client 2.23 also
dropped the recording's last chunk at that point (up to 100 ms); the last test here holds it to that.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from sandbox.agents import load_agents
from sandbox.stack import DEFAULT_AGENT_ID

from .harness import console_errors, spoken_wav, wait_for_more_audio
from .test_call import AGENT_LINE, ELEMENT, QUESTION, USER_LINE, events, open_call_page, start_call

ANY_USER_LINE = f'{ELEMENT} [data-role="user"]'


def instances_kept(constructor: str, into: str) -> str:
    """An init script that keeps every `constructor` object the page makes in `window[into]`."""
    return f"""(() => {{
  window.{into} = [];
  const Original = window.{constructor};
  window.{constructor} = class extends Original {{
    constructor(...args) {{ super(...args); window.{into}.push(this); }}
  }};
}})()"""


# Counts the page's MediaRecorders, so a test sees the pre-connect buffer record and stop.
RECORDERS = instances_kept("MediaRecorder", "__recorders")


@pytest.mark.parametrize("cpu_slowdown", [1, 6], ids=["desktop", "slow-phone"])
def test_words_said_before_the_agent_joins_are_answered_and_shown_once(
    launch, app_url, sandbox, tmp_path, cpu_slowdown
):
    # slow-phone: the page's CPU throttled 6x (Chromium's emulation), its timers and promises run late.
    # The seam's pause was once read across such stalls, and the recording ended inside a word
    # (docs/performance.md, "the seam"; the pause detection itself is held to it in the JS tests).
    ava = load_agents()[DEFAULT_AGENT_ID]
    wav = spoken_wav(QUESTION, tmp_path, lead_seconds=0.3, tail_seconds=6)
    browser = launch(wav=wav)
    context = browser.new_context(permissions=["microphone"])
    page = context.new_page()
    errors = console_errors(page)
    try:
        open_call_page(page, app_url)
        if cpu_slowdown > 1:
            context.new_cdp_session(page).send("Emulation.setCPUThrottlingRate", {"rate": cpu_slowdown})
        sandbox.fault(mode="latency", endpoint="create", delay_seconds=1.2, times=1)
        # A visitor's pointer reaches the button before the click: the element starts loading
        # livekit-client on hover, so it is there when the question begins.
        with page.expect_response(lambda r: r.url.endswith("/static/js/livekit-client.js")):
            page.hover(f"{ELEMENT} [part=call-button]")
        start_call(page)
        expect(page.locator(f'{ELEMENT}[data-state="in-call"]')).to_have_count(1, timeout=40_000)

        # The whole question reached the recogniser, though most of it was said before the agent joined.
        expect(page.locator(USER_LINE).first).to_contain_text("opening hours", timeout=40_000)
        try:
            expect(page.locator(AGENT_LINE, has_text=ava.reply_to(QUESTION))).to_have_count(1, timeout=40_000)
        except AssertionError as error:
            # Seen once in four CI runs (2026-12-03, the agent's VAD "slower than realtime"): the answer
            # never matched, and nothing said what came instead. Now the failure says it.
            lines = f"document.querySelector('{ELEMENT}').transcript.map((l) => [l.role, l.text])"
            said = page.evaluate(lines)
            raise AssertionError(f"{error}\nthe transcript: {said}") from None
        # The answer was spoken to its end and the agent listens again: every user line is in by now.
        page.wait_for_function(
            """() => {
                const states = window.__events
                    .filter((e) => e.type === 'agent-state').map((e) => e.detail.agentState);
                const spoke = states.lastIndexOf('speaking');
                return spoke >= 0 && states.slice(spoke).includes('listening');
            }""",
            polling=250,
            timeout=30_000,
        )
        user_lines = page.locator(ANY_USER_LINE).all_inner_texts()
        assert len(user_lines) == 1, user_lines  # the buffer and the live audio did not both make a line
        assert events(page, "error") == []
        assert errors == []
    finally:
        browser.close()  # its context with it


# Keeps the page's peer connections, so a test can read what the microphone's sender sent.
PEER_CONNECTIONS = instances_kept("RTCPeerConnection", "__pcs")
AUDIO_PACKETS_SENT = """async () => {
  let sent = 0;
  for (const pc of window.__pcs) {
    if (pc.connectionState === 'closed') continue;
    (await pc.getStats()).forEach((r) => {
      if (r.type === 'outbound-rtp' && r.kind === 'audio') sent += r.packetsSent;
    });
  }
  return sent;
}"""
# Notes, each time the page applies the server's answer, how many audio senders carry a track: the
# microphone's sender could send from then on (the transport is up before the microphone is published).
# A sender whose replaceTrack(null) was asked for before counts as held: both run on the connection's
# operations chain in the order asked (WebRTC 1.0), so its track is gone when the answer applies; read
# at the call, it may still be there (seen once on a loaded CI run: [0, 1, 0]).
SENDERS_AT_ANSWERS = """(() => {
  window.__sendingAtAnswers = [];
  const replace = RTCRtpSender.prototype.replaceTrack;
  RTCRtpSender.prototype.replaceTrack = function (track) {
    const done = replace.call(this, track);
    if (track === null) {
      this.__holding = (this.__holding ?? 0) + 1;
      const settled = () => { this.__holding -= 1; };
      done.then(settled, settled);
    }
    return done;
  };
  const apply = RTCPeerConnection.prototype.setRemoteDescription;
  RTCPeerConnection.prototype.setRemoteDescription = function (description, ...rest) {
    if (description?.type === 'answer') {
      const sending = this.getSenders().filter((s) => s.track?.kind === 'audio' && !s.__holding);
      window.__sendingAtAnswers.push(sending.length);
    }
    return apply.call(this, description, ...rest);
  };
})()"""


def test_while_the_recording_runs_the_live_audio_is_held(launch, serve_app, sandbox, tmp_path):
    # Published with the recording, the microphone's sender sends nothing until the recording ends
    # (static/js/preconnect-buffer.js, "the seam"): no agent comes here, the visitor speaks, and the
    # packets sent stay where they were once the track was published and held. The hold starts with
    # the microphone's sender, before the publish's answer lets it send: held after the publish
    # returned, the live audio of that moment (mid-question on a busy page) reached an agent already
    # subscribed, which heard it after the recording, a second time. (A hold that never ends fails
    # test_call.py's voice call: the agent never hears the question asked live.)
    # The window below must end while the recording runs (livekit-client stops it 10 s after it began:
    # PRE_CONNECT_BUFFER_TIMEOUT) and the page still waits (its join timeout): 6 s of margin or more
    # for a stalled machine. The page is hung up after it, so a long join timeout costs nothing.
    url = serve_app(agent_join_timeout_seconds=60)
    sandbox.fault(mode="agent_absent", times=1)
    wav = spoken_wav(QUESTION, tmp_path, lead_seconds=1.0, tail_seconds=4)
    browser = launch(wav=wav)
    context = browser.new_context(permissions=["microphone"])
    context.add_init_script(RECORDERS)
    context.add_init_script(PEER_CONNECTIONS)
    context.add_init_script(SENDERS_AT_ANSWERS)
    page = context.new_page()
    try:
        open_call_page(page, url)
        start_call(page)
        expect(page.locator(f'{ELEMENT}[data-state="waiting-for-agent"]')).to_have_count(1, timeout=20_000)
        connected = "() => window.__pcs.some((pc) => pc.connectionState === 'connected')"
        page.wait_for_function(connected, timeout=10_000)
        held = page.evaluate(AUDIO_PACKETS_SENT)
        # The question plays for about 1.7 s from 1 s after the microphone opened: with live audio
        # flowing, Opus sends 50 packets a second of it. Sampled over 2 s of it, nothing more went out.
        for _ in range(8):
            page.wait_for_timeout(250)  # the window measured, not a wait for a condition
            assert page.evaluate(AUDIO_PACKETS_SENT) == held
        assert page.evaluate("window.__recorders.some((r) => r.state === 'recording')")
        sending_at_answers = page.evaluate("window.__sendingAtAnswers")
        assert len(sending_at_answers) >= 1  # the microphone's publish was answered
        assert sending_at_answers == [0] * len(sending_at_answers)
        page.click(f"{ELEMENT} [part=call-button]")
        expect(page.locator(f'{ELEMENT}[data-state="ended"]')).to_have_count(1, timeout=15_000)
    finally:
        browser.close()  # its context with it


# When the page's recording ended (the first MediaRecorder.stop) and when the agent's first audio
# bytes arrived (the element's own counter of them, sampled every 20 ms), on the page's clock.
AGENT_AUDIO_AFTER_RECORDING = """(() => {
  const stop = MediaRecorder.prototype.stop;
  MediaRecorder.prototype.stop = function (...args) {
    window.__recordingEndedAt ??= performance.now();
    return stop.apply(this, args);
  };
  const poll = setInterval(async () => {
    const stats = await document.querySelector('itellico-call')?.getConnectionStats();
    if (stats?.inboundAudioBytes > 0) {
      window.__agentAudioAt ??= performance.now();
      clearInterval(poll);
    }
  }, 20);
})()"""


def test_an_agent_joining_while_the_visitor_talks_waits_for_their_pause(launch, app_url, sandbox, tmp_path):
    # The question starts 0.3 s after the click and the agent joins during it. Greeting at once, its
    # audio would play over the visitor and the browser's echo canceller would damp their words in
    # the recording (the bench lost "your" in 3 of 6 calls). The page takes the agent's audio only
    # where the recording ends, at the visitor's pause, and the framework agent waits for that
    # subscription to speak (static/js/preconnect-buffer.js, item 4): its first audio comes after.
    # The create is answered (and the agent dispatched) 0.6 s late, so the agent joins during the
    # question: an agent that appears before the visitor's first word is taken at once, as it should
    # be, and a fast one did in a CI run (agent audio 1.0 s after the page loaded, no recording ended).
    wav = spoken_wav(QUESTION, tmp_path, lead_seconds=0.3, tail_seconds=6)
    browser = launch(wav=wav)
    context = browser.new_context(permissions=["microphone"])
    context.add_init_script(AGENT_AUDIO_AFTER_RECORDING)
    page = context.new_page()
    try:
        open_call_page(page, app_url)
        sandbox.fault(mode="latency", endpoint="create", delay_seconds=0.6, times=1)
        with page.expect_response(lambda r: r.url.endswith("/static/js/livekit-client.js")):
            page.hover(f"{ELEMENT} [part=call-button]")
        start_call(page)
        page.wait_for_function("() => window.__agentAudioAt !== undefined", timeout=40_000)
        ended, heard = page.evaluate("() => [window.__recordingEndedAt, window.__agentAudioAt]")
        assert ended is not None and heard >= ended, {"recording ended": ended, "agent audio": heard}
        # The question reached the agent. Its answer is the first test's to check: here, in one CI run of
        # two, the answer to the whole question did not come within 40 s (suspected: the turn split at
        # the seam, and the script answered the part; it now answers the whole unanswered turn, and the
        # seam no longer ends inside a word on a busy page: docs/performance.md, "the seam").
        expect(page.locator(USER_LINE).first).to_contain_text("opening hours", timeout=40_000)
    finally:
        browser.close()  # its context with it


@pytest.mark.parametrize("how", ["hang-up", "no-agent"])
def test_a_call_that_ends_before_any_agent_came_leaves_no_console_error(launch, serve_app, sandbox, how):
    # The buffer was recording for an agent that never became active: livekit-client gives up on
    # sending it when the Room disconnects. That is no error for the host page's console.
    # no-agent waits for the join timeout; hang-up must click before it (after it, the button says
    # "Try again" and starts a new call), with room for a stalled machine.
    url = serve_app(agent_join_timeout_seconds=4 if how == "no-agent" else 60)
    sandbox.fault(mode="agent_absent", times=1)
    browser = launch()
    context = browser.new_context(permissions=["microphone"])
    context.add_init_script(RECORDERS)
    page = context.new_page()
    errors = console_errors(page)
    try:
        open_call_page(page, url)
        start_call(page)
        expect(page.locator(f'{ELEMENT}[data-state="waiting-for-agent"]')).to_have_count(1, timeout=20_000)
        assert page.evaluate("window.__recorders.length") == 1  # the buffer is recording, published
        if how == "hang-up":
            page.click(f"{ELEMENT} [part=call-button]")
            expect(page.locator(f'{ELEMENT}[data-state="ended"]')).to_have_count(1, timeout=15_000)
        else:
            expect(page.locator(f'{ELEMENT}[data-state="error"]')).to_have_count(1, timeout=20_000)
            assert events(page, "error")[0]["code"] == "agent_join_timeout"
        page.wait_for_function("() => window.__recorders.every((r) => r.state === 'inactive')", timeout=5_000)
        # livekit-client gives up on the buffer in the Room's disconnect, before the element says
        # ended (or failed); a round trip through the page's task queue lets that log line land.
        page.evaluate("new Promise((r) => setTimeout(r, 0))")
        assert errors == []
    finally:
        browser.close()  # its context with it


# Records the microphone with the pre-connect buffer for `ms`, stops it as the agent's subscription
# does, and returns (ms on the page's clock) when the stop was asked for, when the recorder was asked for
# its pending data (each requestData), when it produced each chunk, and how many chunks went into the
# stream sent to the agent.
RECORD_AND_STOP = """async ({ ms, plain }) => {
  const lk = await import('/static/js/livekit-client.js');
  const { bufferedTrackClass } = await import('/static/js/preconnect-buffer.js');
  const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
  const Track = plain ? lk.LocalAudioTrack : bufferedTrackClass(lk);
  const track = new Track(stream.getAudioTracks()[0], undefined, false);
  track.startPreConnectBuffer();
  const recorder = track.localTrackRecorder;
  const requested = [];
  const requestData = recorder.requestData.bind(recorder);
  recorder.requestData = () => { requested.push(performance.now()); return requestData(); };
  const produced = [];
  recorder.addEventListener('dataavailable', (e) => produced.push(e.timeStamp));
  const stopped = new Promise((r) => recorder.addEventListener('stop', r));
  let sent = 0;
  const reading = (async () => { for await (const chunk of track.getPreConnectBuffer()) sent += 1; })();
  await new Promise((r) => setTimeout(r, ms));
  const stopAskedAt = performance.now();
  track.stopPreConnectBuffer();
  await reading;
  await stopped;
  stream.getTracks().forEach((t) => t.stop());
  return { stopAskedAt, requested, produced, sent };
}"""


def sent_up_to_its_end(result: dict[str, Any]) -> bool:
    """The chunk the recorder made when asked for its pending data, after the stop was asked for, went
    to the agent: the recording is sent up to that moment (what follows it, the ms until the recorder
    stops, the agent hears live). livekit-client 2.23's own stop drops the recorder's last chunk, up to
    its 100 ms timeslice: its last chunk sent was made before the stop was asked for, and nothing asks
    for the pending data. (An order, not a time: the ms between the chunk and the stop are scheduling,
    30 ms and more on a busy machine.)"""
    if result["sent"] < 1 or not result["requested"]:
        return False
    last_sent_at = result["produced"][result["sent"] - 1]  # the stream takes the chunks in order
    asked_for_data_at = result["requested"][-1]
    return result["stopAskedAt"] < asked_for_data_at <= last_sent_at


def test_the_recording_is_sent_up_to_its_end(page, app_url):
    # livekit-client 2.23 drops the recorder's last chunk when the recording stops: up to its 100 ms
    # timeslice just before the agent's subscription, the seam between the recording and the live
    # audio (a plain stop after these lengths left 33 to 95 ms unsent). Our track asks for that chunk
    # before stopping; only the ms after it, which the agent hears live anyway, are dropped (2 ms idle).
    page.context.grant_permissions(["microphone"])
    page.goto(app_url)
    plain = page.evaluate(RECORD_AND_STOP, {"ms": 330, "plain": True})
    assert not sent_up_to_its_end(plain), plain  # the bug, as it is
    for ms in (290, 330, 390, 450):
        result = page.evaluate(RECORD_AND_STOP, {"ms": ms, "plain": False})
        assert sent_up_to_its_end(result), (ms, result)


def test_without_a_recorder_the_room_takes_the_agents_audio_itself(browser, app_url, sandbox):
    # A browser whose MediaRecorder cannot record for the agent (as Safari's does not) has nothing to
    # hold the agent for: the Room then subscribes on its own (autoSubscribe, call-room.js), a
    # signalling round trip sooner, and the greeting plays.
    context = browser.new_context(permissions=["microphone"])
    context.add_init_script("delete window.MediaRecorder;")
    page = context.new_page()
    errors = console_errors(page)
    try:
        open_call_page(page, app_url)
        start_call(page)
        expect(page.locator(f'{ELEMENT}[data-state="in-call"]')).to_have_count(1, timeout=20_000)
        wait_for_more_audio(page, 0, timeout_ms=20_000)
        expect(page.locator(AGENT_LINE).first).to_contain_text("this is Ava", timeout=20_000)
        assert page.evaluate("typeof window.MediaRecorder") == "undefined"
        assert errors == []
    finally:
        context.close()


# The send of the recording to the agent breaks off (the page hung up while it was on its way: the write
# fails and livekit-client's loop stops reading, which cancels the stream) just as the recorder hands
# over a chunk, which livekit-client's listener is still reading. Returns the page's unhandled rejections.
SEND_BROKEN_OFF_MID_CHUNK = """async ({ plain }) => {
  const lk = await import('/static/js/livekit-client.js');
  const { bufferedTrackClass } = await import('/static/js/preconnect-buffer.js');
  const rejections = [];
  addEventListener('unhandledrejection', (e) => rejections.push(String(e.reason?.message ?? e.reason)));
  const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
  const Track = plain ? lk.LocalAudioTrack : bufferedTrackClass(lk);
  const track = new Track(stream.getAudioTracks()[0], undefined, false);
  track.startPreConnectBuffer();
  const recorder = track.localTrackRecorder;
  const sending = track.getPreConnectBuffer()[Symbol.asyncIterator]();
  await sending.next(); // the first chunk went out
  await new Promise((resolve) => recorder.addEventListener('dataavailable', () => {
    sending.return().then(resolve, resolve); // livekit-client's listener (added first) awaits its bytes
  }, { once: true }));
  await new Promise((r) => setTimeout(r, 300));
  track.stopPreConnectBuffer();
  await new Promise((r) => setTimeout(r, 300));
  stream.getTracks().forEach((t) => t.stop());
  return rejections;
}"""
CLOSED = (
    "Failed to execute 'enqueue' on 'ReadableStreamDefaultController': "
    "Cannot enqueue a chunk into a closed readable stream"
)


def test_a_send_broken_off_mid_chunk_leaves_no_uncaught_error_on_the_page(page, app_url):
    # Seen in a clean-clone run: the docs' iframe snippet ended its call while the recording was on its
    # way to the agent, and the host page got livekit-client 2.23's "Failed to execute 'enqueue' on
    # 'ReadableStreamDefaultController': Cannot enqueue a chunk into a closed readable stream", uncaught:
    # its recorder's stream, cancelled by the reader, throws in its own cancel (close() on a cancelled
    # stream) before it marks itself closed, and the chunk being read is then enqueued. Our track hands
    # livekit-client a stream whose cancel does not reach the recorder's (preconnect-buffer.js).
    page.context.grant_permissions(["microphone"])
    page.goto(app_url)
    assert page.evaluate(SEND_BROKEN_OFF_MID_CHUNK, {"plain": True}) == [CLOSED]  # the bug, as it is
    assert page.evaluate(SEND_BROKEN_OFF_MID_CHUNK, {"plain": False}) == []
