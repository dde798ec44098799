"""sandbox/speech.py: WAV, frames, resampling, turn detection, espeak-ng -> pocketsphinx round trip."""

from __future__ import annotations

import shutil
import struct

import numpy as np
import pytest

from sandbox import speech
from sandbox.agents import load_agents

pytestmark = pytest.mark.unit

AVA_ID = "3f7c2b1e-8a4d-4c6b-9e2f-1a5d7c9b0e41"
RATE = speech.STT_SAMPLE_RATE
needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")


def tone(seconds: float, amplitude: float = 3000.0, hz: float = 440.0, rate: int = RATE) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (amplitude * np.sin(2 * np.pi * hz * t)).astype(np.int16)


def silence(seconds: float, rate: int = RATE) -> np.ndarray:
    return np.zeros(int(seconds * rate), dtype=np.int16)


def feed(detector: speech.TurnDetector, pcm: np.ndarray, chunk: int = RATE // 100) -> list[bytes]:
    turns = []
    for start in range(0, len(pcm), chunk):
        turn = detector.push(pcm[start : start + chunk])
        if turn is not None:
            turns.append(turn)
    return turns


# -- WAV, frames, schedule, resampling ----------------------------------------------------------


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


def test_frames_pad_the_last_one() -> None:
    out = speech.frames(np.arange(450, dtype=np.int16), 220)
    assert [len(f) for f in out] == [220, 220, 220]
    assert out[2][9] == 449 and not out[2][10:].any()


def test_word_schedule() -> None:
    text = "Hello Acme, this is   Ava."
    schedule = speech.word_schedule(text, 2.0)
    assert "".join(chunk for _, chunk in schedule) == "Hello Acme, this is Ava."
    times = [t for t, _ in schedule]
    assert times[0] == 0.0 and times == sorted(times) and times[-1] < 2.0
    assert speech.word_schedule("   ", 1.0) == []


@pytest.mark.parametrize(("src", "dst"), [(22050, 16000), (48000, 16000), (16000, 22050)])
def test_resample_keeps_pitch_and_length(src: int, dst: int) -> None:
    pcm = tone(1.0, hz=1000.0, rate=src)
    out = speech.resample(pcm, src, dst)
    assert abs(len(out) - dst) <= 1
    spectrum = np.abs(np.fft.rfft(out.astype(np.float64)))
    assert abs(np.argmax(spectrum) * dst / len(out) - 1000.0) < 5
    assert 2500 < np.abs(out[dst // 10 : -dst // 10]).max() < 3300


def test_resample_filters_what_cannot_be_represented() -> None:
    # 10 kHz is above the 8 kHz Nyquist limit of 16 kHz audio: it must be removed, not aliased to 6 kHz.
    out = speech.resample(tone(1.0, hz=10000.0, rate=48000), 48000, 16000)
    assert np.abs(out[1600:-1600]).max() < 300


# -- turn detection -----------------------------------------------------------------------------


def test_one_turn_with_preroll_and_end_silence() -> None:
    detector = speech.TurnDetector()
    turns = feed(detector, np.concatenate([silence(1.0), tone(1.0), silence(1.5)]))
    assert len(turns) == 1
    seconds = len(turns[0]) / 2 / RATE
    # 0.3 s preroll + 1 s speech + 0.7 s of quiet that ended it
    assert 1.95 <= seconds <= 2.05
    assert not detector.in_turn


def test_short_pauses_do_not_split_a_turn() -> None:
    pcm = np.concatenate([tone(0.5), silence(0.4), tone(0.5), silence(1.0)])
    assert len(feed(speech.TurnDetector(), pcm)) == 1


def test_two_turns() -> None:
    pcm = np.concatenate([tone(0.5), silence(1.0), tone(0.5), silence(1.0)])
    assert len(feed(speech.TurnDetector(), pcm)) == 2


@pytest.mark.parametrize(
    "pcm",
    [
        np.concatenate([silence(0.5), tone(0.1), silence(1.0)]),  # a click is not a turn
        np.concatenate([tone(2.0, amplitude=250.0), silence(1.0)]),  # quiet hum stays below threshold
        silence(3.0),
    ],
)
def test_no_turn(pcm: np.ndarray) -> None:
    detector = speech.TurnDetector()
    assert feed(detector, pcm) == []
    assert not detector.in_turn


def test_turn_still_open_without_end_silence_and_reset_drops_it() -> None:
    detector = speech.TurnDetector()
    assert feed(detector, np.concatenate([tone(0.5), silence(0.3)])) == []
    assert detector.in_turn
    detector.reset()
    assert not detector.in_turn
    assert feed(detector, silence(1.0)) == []


def test_max_turn_length_cuts() -> None:
    settings = speech.TurnSettings(max_turn_s=2.0)
    turns = feed(speech.TurnDetector(settings), tone(5.0))
    assert len(turns) == 2 and len(turns[0]) / 2 / RATE == pytest.approx(2.0, abs=0.02)


def test_energy_threshold_is_mean_absolute() -> None:
    assert speech.frame_energy(np.array([300, -300, 0, 0], dtype=np.int16)) == 150.0
    assert speech.frame_energy(np.array([-32768], dtype=np.int16)) == 32768.0
    assert speech.frame_energy(np.array([], dtype=np.int16)) == 0.0


# -- espeak-ng and pocketsphinx -----------------------------------------------------------------


@needs_espeak
@pytest.mark.parametrize("voice", ["en-us", "de"])
def test_synthesize(voice: str) -> None:
    pcm, rate = speech.synthesize("-v Hallo, hello there", voice)  # leading "-" is text, not an option
    assert rate == speech.TTS_SAMPLE_RATE
    assert 0.8 < len(pcm) / rate < 4.0
    assert speech.frame_energy(pcm) > 300


def test_synthesize_rejects_bad_voice() -> None:
    with pytest.raises(speech.SpeechError):
        speech.synthesize("hi", "--stdout")


@pytest.fixture(scope="module")
def transcriber() -> speech.Transcriber:
    return speech.Transcriber()


def test_transcribe_empty_and_silence(transcriber: speech.Transcriber) -> None:
    assert transcriber.transcribe(b"") == ""
    assert transcriber.transcribe(silence(1.0)) == ""


@needs_espeak
def test_round_trip_opening_hours(transcriber: speech.Transcriber) -> None:
    """espeak-ng WAV -> 16 kHz -> turn detection -> pocketsphinx -> the agent's script."""
    pcm, rate = speech.synthesize("what are your opening hours", "en-us")
    audio = speech.resample(pcm, rate, RATE)
    turns = feed(speech.TurnDetector(), np.concatenate([silence(0.5), audio, silence(1.0)]))
    assert len(turns) == 1
    heard = transcriber.transcribe(turns[0])
    assert "opening hours" in heard, heard
    ava = load_agents()[AVA_ID]
    assert ava.reply_to(heard) == ava.script[0].reply
    assert ava.script[0].keywords[0] == "opening hours"


@needs_espeak
@pytest.mark.parametrize(
    ("sentence", "topic"),
    [
        ("what are your prices", "price"),
        ("i would like to book an appointment", "book"),
        ("i want to speak to someone", "human"),
        ("thank you", "thank you"),
    ],
)
def test_round_trip_script_topics(transcriber: speech.Transcriber, sentence: str, topic: str) -> None:
    pcm, rate = speech.synthesize(sentence, "en-us")
    heard = transcriber.transcribe(speech.resample(pcm, rate, RATE))
    ava = load_agents()[AVA_ID]
    line = next(line for line in ava.script if line.keywords[0] == topic)
    assert ava.reply_to(heard) == line.reply, heard
