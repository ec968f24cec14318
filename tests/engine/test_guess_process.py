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

from custom_components.videodrome.engine.deadline import DeadlineExceeded
from custom_components.videodrome.engine.identify import (
    guessit_process as guess_process,
    interpret,
    parse as parse_module,
)
from custom_components.videodrome.engine.identify.errors import GuessitError, GuessProcessError
from custom_components.videodrome.engine.identify.guessit_process import GuessProcess
from custom_components.videodrome.engine.identify.guessit_worker import plain_guess, serve
from custom_components.videodrome.engine.identify.parse import parse
from custom_components.videodrome.engine.identify.parsed_name import Kind

if TYPE_CHECKING:
    from collections.abc import Iterator

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "plex"

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
def shared_process(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[GuessProcess]]:
    """Whatever the test puts in the list becomes the process `parse()` asks."""
    chosen: list[GuessProcess] = []
    monkeypatch.setattr(guess_process, "shared", lambda lane="ingest": chosen[0])
    parse_module._parse_cached.cache_clear()
    yield chosen
    for process in chosen:
        process.close()
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


def test_parse_reads_the_same_in_the_child_as_here(monkeypatch: pytest.MonkeyPatch) -> None:
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
    there = [parse(name) for name in names]
    assert guess_process.shared().pid is not None
    monkeypatch.setattr(parse_module, "GUESSIT_PROCESS", False)
    parse_module._parse_cached.cache_clear()
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
        with pytest.raises(DeadlineExceeded):
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


def test_parse_maps_the_child_failures_to_reasons(
    shared_process: list[GuessProcess], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A timeout is parse_timeout, guessit's error parse_failed: no exception escapes."""
    monkeypatch.setattr(parse_module, "PARSE_TIME_LIMIT", 0.3)
    shared_process.append(fake())
    assert parse("fail").reasons == ("parse_failed",)
    assert parse("slow").reasons == ("parse_timeout",)


def test_parse_reads_here_when_the_child_cannot_answer(
    shared_process: list[GuessProcess],
) -> None:
    """No child (it cannot start): the name is still read, in this process."""
    shared_process.append(fake("raise SystemExit(1)"))
    parsed = parse("The.Matrix.1999.1080p.BluRay.x264-GRP.mkv")
    assert (parsed.title, parsed.year, parsed.kind) == ("The Matrix", 1999, Kind.MOVIE)
    assert shared_process[0].started == 1


def test_one_process_is_shared() -> None:
    """Every parse in the interpreter asks the same child."""
    assert guess_process.shared() is guess_process.shared()


def test_the_provider_has_a_process_of_its_own_at_a_lower_priority() -> None:
    """Names remote clients send are read by another child, nicer than this process."""
    parse_module._parse_cached.cache_clear()
    provider = guess_process.shared("provider")
    assert provider is guess_process.shared("provider") is not guess_process.shared()
    parsed = parse("Provider.Lane.Film.2001.mkv", lane="provider")
    assert (parsed.title, parsed.year) == ("Provider Lane Film", 2001)
    pid = provider.pid
    assert pid is not None
    assert pid != guess_process.shared().pid
    own = os.getpriority(os.PRIO_PROCESS, 0)
    assert os.getpriority(os.PRIO_PROCESS, pid) == min(own + 10, 19)
    provider.close()
    assert not alive(pid)
    parse_module._parse_cached.cache_clear()


def test_a_stuck_provider_name_does_not_hold_ingest(monkeypatch: pytest.MonkeyPatch) -> None:
    """While the provider's child spins on a name, ingest's child answers at once."""
    monkeypatch.setattr(parse_module, "PARSE_TIME_LIMIT", 3.0)
    lanes = {"ingest": fake(), "provider": fake()}
    monkeypatch.setattr(guess_process, "_shared", lanes)
    parse_module._parse_cached.cache_clear()
    try:
        assert parse("warm", lane="provider").title == "warm"  # both children started
        assert parse("warm").title == "warm"
        with ThreadPoolExecutor(1) as pool:
            stuck = pool.submit(parse, "slow", lane="provider")
            time.sleep(0.2)  # the provider's child is busy with it
            started = time.monotonic()
            assert parse("Heat").title == "Heat"
            assert time.monotonic() - started < 1.0
            assert not stuck.done()
            assert stuck.result().reasons == ("parse_timeout",)
    finally:
        for process in lanes.values():
            process.close()
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
