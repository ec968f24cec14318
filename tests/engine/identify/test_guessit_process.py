"""guessit in a process of its own: real children, real pipes, real kills."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
import datetime as dt
import io
import json
import os
from pathlib import Path
import sys
import textwrap
import time
from typing import TYPE_CHECKING

from babelfish import Country, Language  # type: ignore[import-untyped]
import pytest

from custom_components.videodrome.engine.identify import (
    guessit_process as guess_process,
    interpret,
    parse as parse_module,
)
from custom_components.videodrome.engine.identify.errors import (
    GuessitError,
    GuessProcessError,
    GuessTimeoutError,
)
from custom_components.videodrome.engine.identify.guessit_process import (
    GuessitProcesses,
    GuessProcess,
)
from custom_components.videodrome.engine.identify.guessit_worker import plain_guess, serve
from custom_components.videodrome.engine.identify.parse import parse
from custom_components.videodrome.engine.identify.parsed_name import Kind

if TYPE_CHECKING:
    from collections.abc import Iterator

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "plex"

# A stand-in worker speaking the same protocol, for the failures guessit cannot be made to
# have on demand: it answers "slow" never, ends on "die", and reports an error on "fail".
FAKE_WORKER = textwrap.dedent(
    """
    import json, sys, time
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        name = json.loads(line)["name"]
        if name == "slow":
            time.sleep(60)
        if name == "die":
            sys.exit(9)
        answer = {"error": "ValueError: boom"} if name == "fail" else {"guess": {"title": name}}
        print(json.dumps(answer), flush=True)
    """
)


def fake(script: str = FAKE_WORKER) -> GuessProcess:
    """A process running `script` with this interpreter."""
    return GuessProcess([sys.executable, "-c", script])


def alive(pid: int) -> bool:
    """Whether `pid` is a running (not zombie) process."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text(encoding="ascii").split()[2]
    except FileNotFoundError:
        return False
    return state != "Z"


@pytest.fixture
def worker() -> Iterator[GuessProcess]:
    """A fresh real worker, closed afterwards."""
    process = GuessProcess()
    yield process
    process.close()


@pytest.fixture
def processes() -> Iterator[GuessitProcesses]:
    """A program's guessit processes, closed afterwards; parse's cache empty before and after."""
    owner = GuessitProcesses(enabled=True)
    parse_module._parse_cached.cache_clear()
    yield owner
    owner.close()
    parse_module._parse_cached.cache_clear()


def test_names_are_read_in_a_child_process(worker: GuessProcess) -> None:
    """guessit answers from another process, in JSON values, and the child ends with close()."""
    guess = worker.guess("Show.S01E02E03.US.2019.03.15.1080p.WEB.x264-GRP.mkv", 10)
    assert guess["title"] == "Show"
    assert guess["episode"] == [2, 3]
    assert guess["country"] == "US"
    assert guess["date"] == "2019-03-15"
    assert "video_codec" not in guess  # only what parse reads crosses the pipe
    pid = worker.pid
    assert pid is not None
    assert pid != os.getpid()
    assert alive(pid)
    assert worker.guess("The.Matrix.1999.mkv", 10)["year"] == 1999
    assert (worker.pid, worker.started) == (pid, 1)  # one child for every name
    worker.close()
    assert worker.pid is None
    assert not alive(pid)


def test_parse_reads_the_same_in_the_child_as_here(worker: GuessProcess) -> None:
    """Every file name of the real Plex libraries parses identically in both places."""
    names = sorted(
        {
            entry["file"]
            for path in FIXTURES.glob("*.json")
            for entry in _walk(json.loads(path.read_text(encoding="utf-8")))
        }
    )
    assert len(names) > 300
    parse_module._parse_cached.cache_clear()
    there = [parse(name, guessit=worker) for name in names]
    assert worker.pid is not None
    assert worker.started == 1
    here = [parse(name) for name in names]
    parse_module._parse_cached.cache_clear()
    assert there == here
    assert sum(p.kind is Kind.EPISODE for p in here) > 20
    assert sum(p.kind is Kind.MOVIE for p in here) > 50


def _walk(value: object) -> Iterator[dict[str, str]]:
    """Every object with a "file" key in a Plex response."""
    if isinstance(value, dict):
        if isinstance(value.get("file"), str):
            yield value
        for child in value.values():
            yield from _walk(child)
    elif isinstance(value, list):
        for child in value:
            yield from _walk(child)


def test_a_name_past_the_time_limit_kills_the_child() -> None:
    """The child is killed at the limit, and the next name gets a new one."""
    process = fake()
    try:
        assert process.guess("first", 10) == {"title": "first"}
        pid = process.pid
        assert pid is not None
        started = time.monotonic()
        with pytest.raises(GuessTimeoutError, match=r"no answer within 0\.3 s"):
            process.guess("slow", 0.3)
        assert time.monotonic() - started < 5
        assert not alive(pid)
        assert process.guess("next", 10) == {"title": "next"}
        assert (process.started, process.pid != pid) == (2, True)
    finally:
        process.close()


def test_a_child_that_dies_mid_answer_is_replaced() -> None:
    """An answer that never comes because the child ended: an error, then a new child."""
    process = fake()
    try:
        with pytest.raises(GuessProcessError, match="ended without an answer"):
            process.guess("die", 10)
        assert process.pid is None
        assert process.guess("again", 10) == {"title": "again"}
        assert process.started == 2
    finally:
        process.close()


def test_a_child_gone_before_the_question_is_replaced() -> None:
    """A child killed between two names (by the OOM killer, say): the next name starts another."""
    process = fake()
    try:
        process.guess("one", 10)
        pid = process.pid
        assert pid is not None
        os.kill(pid, 9)
        while alive(pid):
            time.sleep(0.01)
        assert process.guess("two", 10) == {"title": "two"}
        assert process.started == 2
    finally:
        process.close()


def test_writing_to_a_dead_child_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """A broken pipe while asking: the child is forgotten, and the error says so."""
    process = fake("import json; print(json.dumps({'ready': True}), flush=True)")
    try:
        running = process._running()
        running.wait(5)  # it ended right after saying ready
        monkeypatch.setattr(process, "_running", lambda: running)
        with pytest.raises(GuessProcessError, match="gone"):
            process.guess("one", 10)
        assert process.pid is None
    finally:
        process.close()


def test_guessit_failing_on_a_name_is_an_answer() -> None:
    """guessit's own exception comes back as GuessitError; the child lives on."""
    process = fake()
    try:
        with pytest.raises(GuessitError, match="ValueError: boom"):
            process.guess("fail", 10)
        assert process.guess("fine", 10) == {"title": "fine"}
        assert process.started == 1
    finally:
        process.close()


def test_a_child_that_cannot_start(monkeypatch: pytest.MonkeyPatch) -> None:
    """A child ending at once is an error naming its exit code, and is not retried at once."""
    process = fake("raise SystemExit(3)")
    with pytest.raises(GuessProcessError, match="exit code 3"):
        process.guess("a", 10)
    with pytest.raises(GuessProcessError, match="a moment ago"):
        process.guess("b", 10)
    assert process.started == 1
    monkeypatch.setattr(guess_process, "RETRY_AFTER", 0.0)
    with pytest.raises(GuessProcessError, match="exit code 3"):
        process.guess("c", 10)
    assert process.started == 2


def test_a_missing_interpreter_is_an_error() -> None:
    """The command cannot even run."""
    process = GuessProcess(["/nonexistent/python"])
    with pytest.raises(GuessProcessError, match="No such file"):
        process.guess("a", 10)
    assert process.started == 0


def test_a_child_that_never_says_ready(monkeypatch: pytest.MonkeyPatch) -> None:
    """Starting is bounded too."""
    monkeypatch.setattr(guess_process, "START_TIMEOUT", 0.3)
    process = fake("import time; time.sleep(60)")
    with pytest.raises(GuessProcessError, match="no answer within"):
        process.guess("a", 10)
    assert process.pid is None


def test_close_kills_a_child_that_ignores_its_input_ending(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """close() waits a moment for the child to end by itself, then kills it."""
    monkeypatch.setattr(guess_process, "STOP_TIMEOUT", 0.3)
    process = fake(
        "import json, signal, time\n"
        "print(json.dumps({'ready': True}), flush=True)\n"
        "time.sleep(60)\n"
    )
    process._running()
    pid = process.pid
    assert pid is not None
    started = time.monotonic()
    process.close()
    assert time.monotonic() - started < 5
    assert not alive(pid)


def test_the_child_finds_what_home_assistant_put_on_sys_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Home Assistant installs requirements in folders it adds to sys.path: the child sees them."""
    (tmp_path / "videodrome_probe.py").write_text("ANSWER = {'guess': {'title': 'found'}}\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    process = fake(
        "import json, sys, videodrome_probe\n"
        "print(json.dumps({'ready': True}), flush=True)\n"
        "for line in sys.stdin:\n"
        "    print(json.dumps(videodrome_probe.ANSWER), flush=True)\n"
    )
    try:
        assert process.guess("anything", 10) == {"title": "found"}
    finally:
        process.close()


def test_parse_maps_the_child_failures_to_reasons(monkeypatch: pytest.MonkeyPatch) -> None:
    """A timeout is parse_timeout, guessit's error parse_failed: no exception escapes."""
    monkeypatch.setattr(parse_module, "PARSE_TIME_LIMIT", 0.3)
    process = fake()
    parse_module._parse_cached.cache_clear()
    try:
        assert parse("fail", guessit=process).reasons == ("parse_failed",)
        assert parse("slow", guessit=process).reasons == ("parse_timeout",)
    finally:
        process.close()
        parse_module._parse_cached.cache_clear()


def test_parse_reads_here_when_the_child_cannot_answer() -> None:
    """No child (it cannot start): the name is still read, in this process."""
    process = fake("raise SystemExit(1)")
    parse_module._parse_cached.cache_clear()
    parsed = parse("The.Matrix.1999.1080p.BluRay.x264-GRP.mkv", guessit=process)
    assert (parsed.title, parsed.year, parsed.kind) == ("The Matrix", 1999, Kind.MOVIE)
    assert process.started == 1
    parse_module._parse_cached.cache_clear()


def test_a_lane_is_one_process_started_by_its_first_name(processes: GuessitProcesses) -> None:
    """Every parse of a lane asks the same child; none runs before the first name."""
    ingest = processes.lane()
    assert ingest is processes.lane("ingest")
    assert (ingest.pid, ingest.started, processes.pids()) == (None, 0, {})
    parse("First.Name.Of.A.Lane.2003.mkv", guessit=ingest)
    parse("Second.Name.Of.A.Lane.2004.mkv", guessit=ingest)
    assert ingest.started == 1
    assert processes.pids() == {"ingest": ingest.pid}


def test_the_provider_has_a_process_of_its_own_at_a_lower_priority(
    processes: GuessitProcesses,
) -> None:
    """Names remote clients send are read by another child, nicer than this process."""
    provider = processes.lane("provider")
    assert provider is processes.lane("provider") is not processes.lane()
    parsed = parse("Provider.Lane.Film.2001.mkv", guessit=provider)
    assert (parsed.title, parsed.year) == ("Provider Lane Film", 2001)
    pid = provider.pid
    assert pid is not None
    assert processes.pids() == {"provider": pid}  # ingest's lane has read nothing: no child
    own = os.getpriority(os.PRIO_PROCESS, 0)
    assert os.getpriority(os.PRIO_PROCESS, pid) == min(own + 10, 19)
    provider.close()
    assert not alive(pid)


def test_closing_ends_every_child_for_good(processes: GuessitProcesses) -> None:
    """close() ends both lanes' children at once; afterwards no child starts again, on an old
    lane or a new one: names are read in this process."""
    parse("Closing.Ingest.2005.mkv", guessit=processes.lane("ingest"))
    parse("Closing.Provider.2006.mkv", guessit=processes.lane("provider"))
    pids = processes.pids()
    assert set(pids) == {"ingest", "provider"}
    started = time.monotonic()
    processes.close()
    # Idle children end as soon as their input closes, not when STOP_TIMEOUT kills them.
    assert time.monotonic() - started < guess_process.STOP_TIMEOUT
    assert not any(alive(pid) for pid in pids.values())
    assert processes.pids() == {}
    for lane in ("ingest", "provider"):
        process = processes.lane(lane)
        assert process.closed
        with pytest.raises(GuessProcessError, match="closed"):
            process.guess("After.Closing.2007.mkv", 10)
        parsed = parse("After.Closing.2007.mkv", guessit=process)
        assert (parsed.title, parsed.year) == ("After Closing", 2007)  # read here
        assert process.started == (1 if lane in pids else 0)
    assert processes.pids() == {}


def test_a_lane_first_asked_after_closing_starts_nothing() -> None:
    processes = GuessitProcesses(enabled=True)
    processes.close()
    lane = processes.lane("provider")
    assert lane.closed
    assert parse("Late.Lane.2008.mkv", guessit=lane).title == "Late Lane"
    assert (lane.started, processes.pids()) == (0, {})


def test_turned_off_no_child_starts(caplog: pytest.LogCaptureFixture) -> None:
    """`VIDEODROME_GUESSIT_PROCESS=0` (enabled=False): every name is read in this process,
    and nothing is logged as a failure."""
    processes = GuessitProcesses(enabled=False)
    lane = processes.lane()
    parse_module._parse_cached.cache_clear()
    parsed = parse("Turned.Off.2009.mkv", guessit=lane)
    assert (parsed.title, parsed.year) == ("Turned Off", 2009)
    assert (lane.started, lane.pid) == (0, None)
    with pytest.raises(GuessProcessError, match="turned off"):
        lane.guess("Turned.Off.2009.mkv", 10)
    assert not [r for r in caplog.records if r.levelname != "DEBUG"]
    processes.close()
    parse_module._parse_cached.cache_clear()


def test_closing_waits_for_the_name_being_read() -> None:
    """close() from another thread lets the name in progress finish (its answer stands), then
    ends the child."""
    process = GuessProcess(
        [sys.executable, "-c", FAKE_WORKER.replace("time.sleep(60)", "time.sleep(0.5)")]
    )
    try:
        assert process.guess("warm", 10) == {"title": "warm"}
        pid = process.pid
        assert pid is not None
        with ThreadPoolExecutor(1) as pool:
            reading = pool.submit(process.guess, "slow", 10)
            time.sleep(0.1)  # the child is busy with it
            process.close()
            assert reading.result() == {"title": "slow"}
        assert not alive(pid)
    finally:
        process.close()


def test_a_stuck_provider_name_does_not_hold_ingest(monkeypatch: pytest.MonkeyPatch) -> None:
    """While the provider's child spins on a name, ingest's child answers at once."""
    monkeypatch.setattr(parse_module, "PARSE_TIME_LIMIT", 3.0)
    ingest, provider = fake(), fake()
    parse_module._parse_cached.cache_clear()
    try:
        assert parse("warm", guessit=provider).title == "warm"  # both children started
        assert parse("warm", guessit=ingest).title == "warm"
        with ThreadPoolExecutor(1) as pool:
            stuck = pool.submit(parse, "slow", guessit=provider)
            time.sleep(0.2)  # the provider's child is busy with it
            started = time.monotonic()
            assert parse("Heat", guessit=ingest).title == "Heat"
            assert time.monotonic() - started < 1.0
            assert not stuck.done()
            assert stuck.result().reasons == ("parse_timeout",)
    finally:
        ingest.close()
        provider.close()
        parse_module._parse_cached.cache_clear()


def test_a_priority_that_cannot_be_lowered_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_: object) -> None:
        raise PermissionError("not allowed")

    monkeypatch.setattr(os, "setpriority", refuse)
    process = GuessProcess([sys.executable, "-c", FAKE_WORKER], niceness=10)
    try:
        assert process.guess("kept", 10) == {"title": "kept"}
    finally:
        process.close()


def test_the_worker_serves_lines() -> None:
    """`serve`, run here on byte streams: ready, one answer per line, errors as answers."""
    requests = io.BytesIO(b'{"name": "Heat.1995.mkv"}\nnot json\n{"name": "Show.S02E05.mkv"}\n')
    answers = io.BytesIO()
    serve(requests, answers)
    lines = [json.loads(line) for line in answers.getvalue().splitlines()]
    assert lines[0] == {"ready": True}
    assert lines[1]["guess"]["title"] == "Heat"
    assert lines[1]["guess"]["year"] == 1995
    assert lines[2]["error"].startswith("JSONDecodeError")
    assert (lines[3]["guess"]["season"], lines[3]["guess"]["episode"]) == (2, 5)
    assert len(lines) == 4


def test_plain_guess_keeps_json_values() -> None:
    """Dates become ISO text, a country its two letters, anything else its text."""
    guess = {
        "title": "X",
        "date": dt.date(2020, 1, 2),
        "country": Country("GB"),
        "other": ["Proper", Language("fra")],
        "episode": [1, 2],
        "year": None,
        "video_codec": "H.264",
    }
    assert plain_guess(guess) == {
        "title": "X",
        "date": "2020-01-02",
        "country": "GB",
        "other": ["Proper", "fr"],
        "episode": [1, 2],
        "year": None,
    }


def test_a_bad_date_from_guessit_is_no_date() -> None:
    """parse never trusts the child's text blindly."""
    assert interpret._date("2020-13-45") is None
    assert interpret._date(20200102) is None
    assert interpret._date("2020-01-02") == dt.date(2020, 1, 2)
