"""Copy throughput of `engine.ingest.transfer` against `cp`, and the cost of a hardlink.

Run: `.venv/bin/python -m bench.transfer [--size-mb 2048] [--dir DIR] [--warm]`

One source file of `--size-mb` MiB (incompressible bytes, written and flushed once) in a fresh
folder under `--dir` (default: /work, or the system's temporary folder where there is no
/work; never a tmpfs, which would measure memory instead of a disk). Then, each best of 3,
with `sync` before every run, the destination removed between runs and (unless `--warm`) the
source's cached pages dropped so every run reads it from the disk:

- `cp --reflink=never SRC DST`: the usual baseline; it does not flush the copy, so part of
  its writing is still in the page cache when it returns;
- `cp --reflink=never SRC DST && sync DST`: the same copy made durable, which is what
  `transfer()` always does (it fsyncs before publishing): the like-for-like baseline;
- `transfer(SRC, DST, TransferMode.COPY)` and the same with `verify_checksum=True`;

and the median of 100 `transfer(..., TransferMode.HARDLINK)` to fresh names. Printed: the
times, the throughput in MiB/s, and ours / cp throughput (target: at least 0.9). Everything
the benchmark created is removed at the end, also after a failure or Ctrl-C.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
import os
from pathlib import Path
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from typing import TYPE_CHECKING

from custom_components.videodrome.engine.ingest.transfer import TransferMode, transfer

if TYPE_CHECKING:
    from collections.abc import Callable

MIB = 1024 * 1024
RUNS = 3
LINKS = 100
TARGET = 0.9
CP = shutil.which("cp") or "/bin/cp"
SYNC = shutil.which("sync") or "/bin/sync"


@dataclass(frozen=True, slots=True)
class Timing:
    """The best of several runs of one way to copy."""

    label: str
    seconds: float
    size: int

    @property
    def mib_per_second(self) -> float:
        """Throughput of the best run."""
        return self.size / MIB / self.seconds


def filesystem_type(path: Path) -> str:
    """The type of the filesystem holding `path`, from the longest matching mount point."""
    best, kind = "", "unknown"
    resolved = str(path.resolve())
    with Path("/proc/self/mounts").open(encoding="utf-8") as mounts:
        for line in mounts:
            fields = line.split()
            mount_point = fields[1].replace("\\040", " ")
            inside = resolved == mount_point or resolved.startswith(mount_point.rstrip("/") + "/")
            if inside and len(mount_point) >= len(best):
                best, kind = mount_point, fields[2]
    return kind


def default_base() -> Path:
    """/work where it exists, else the temporary folder unless it is a tmpfs, else here."""
    for candidate in (Path("/work"), Path(tempfile.gettempdir())):
        if candidate.is_dir() and filesystem_type(candidate) != "tmpfs":
            return candidate
    return Path.cwd()


def write_source(path: Path, size: int) -> None:
    """`size` incompressible bytes (no two MiB alike), flushed to the disk."""
    block = bytearray(os.urandom(16 * MIB))
    with path.open("wb") as file:
        written = 0
        index = 0
        while written < size:
            block[:8] = index.to_bytes(8)  # every 16 MiB differs from the one before
            piece = memoryview(block)[: min(len(block), size - written)]
            file.write(piece)
            written += len(piece)
            index += 1
        file.flush()
        os.fsync(file.fileno())


def drop_cache(path: Path) -> None:
    """Evict `path`'s pages from the page cache, so the next read comes from the disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)


def best_of(
    label: str, source: Path, destination: Path, run: Callable[[], None], *, warm: bool
) -> Timing:
    """The fastest of RUNS runs of `run`, each from a clean state."""
    times: list[float] = []
    for _ in range(RUNS):
        destination.unlink(missing_ok=True)
        os.sync()
        if not warm:
            drop_cache(source)
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
        if destination.stat().st_size != source.stat().st_size:
            raise SystemExit(f"{label}: the copy has the wrong size")
    destination.unlink(missing_ok=True)
    return Timing(label, min(times), source.stat().st_size)


def hardlink_median(source: Path, folder: Path) -> float:
    """Median seconds of LINKS hardlinks to fresh names (each in an existing folder)."""
    folder.mkdir()
    times: list[float] = []
    for index in range(LINKS):
        started = time.perf_counter()
        result = transfer(source, folder / f"link-{index:03}.mkv", TransferMode.HARDLINK)
        times.append(time.perf_counter() - started)
        assert result.method == "hardlink"
    return statistics.median(times)


def main(argv: list[str] | None = None) -> None:
    """Measure and print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=2048, help="source size in MiB")
    parser.add_argument("--dir", type=Path, default=None, help="where to create the files")
    parser.add_argument(
        "--warm", action="store_true", help="keep the source in the page cache between runs"
    )
    args = parser.parse_args(argv)
    size = args.size_mb * MIB
    base: Path = args.dir or default_base()
    kind = filesystem_type(base)
    free = shutil.disk_usage(base).free
    if free < 3 * size:
        sys.exit(
            f"refusing: {base} has {free / MIB:,.0f} MiB free, the benchmark needs 3 x "
            f"{args.size_mb:,} MiB = {3 * size / MIB:,.0f} MiB; use --dir or a smaller --size-mb"
        )
    if kind == "tmpfs":
        print(f"warning: {base} is a tmpfs, so this measures memory, not a disk")
    work = Path(tempfile.mkdtemp(prefix="videodrome-bench-", dir=base))
    try:
        run(work, kind, size, free, warm=args.warm)
    finally:
        shutil.rmtree(work)
        print(f"removed {work}")


def run(work: Path, kind: str, size: int, free: int, *, warm: bool) -> None:
    """The measurements, in `work`."""
    source = work / "source.mkv"
    destination = work / "library" / "copy.mkv"
    destination.parent.mkdir()
    print(
        f"transfer benchmark: {size // MIB:,} MiB in {work} ({kind}, {free / MIB / 1024:,.1f} GiB"
        f" free), {'warm' if warm else 'cold'} source, best of {RUNS}, sync before each run"
    )
    started = time.perf_counter()
    write_source(source, size)
    print(f"source written and flushed in {time.perf_counter() - started:.1f} s")

    def cp() -> None:
        subprocess.run([CP, "--reflink=never", source, destination], check=True)  # noqa: S603 - fixed argv, our own paths

    def cp_durable() -> None:
        cp()
        subprocess.run([SYNC, destination], check=True)  # noqa: S603 - fixed argv, our own path

    def ours(*, verify: bool) -> Callable[[], None]:
        def copy() -> None:
            result = transfer(source, destination, TransferMode.COPY, verify_checksum=verify)
            assert result.method == "copy"

        return copy

    timings = [
        best_of("cp --reflink=never", source, destination, cp, warm=warm),
        best_of("cp --reflink=never && sync DST", source, destination, cp_durable, warm=warm),
        best_of("transfer(COPY)", source, destination, ours(verify=False), warm=warm),
        best_of(
            "transfer(COPY, verify_checksum)", source, destination, ours(verify=True), warm=warm
        ),
    ]
    width = max(len(timing.label) for timing in timings)
    print()
    for timing in timings:
        figures = f"{timing.seconds:7.3f} s  {timing.mib_per_second:8.0f} MiB/s"
        print(f"  {timing.label:<{width}}  {figures}")
    cp_plain, cp_sync, copy, verified = timings
    print()
    for theirs in (cp_sync, cp_plain):
        ratio = copy.mib_per_second / theirs.mib_per_second
        verdict = f"{'ok' if ratio >= TARGET else 'below'}; target >= {TARGET}"
        print(f"  {'ours':<8} / {theirs.label:<{width}}  {ratio:5.2f}  ({verdict})")
    ratio = verified.mib_per_second / cp_sync.mib_per_second
    print(f"  {'verified':<8} / {cp_sync.label:<{width}}  {ratio:5.2f}  (hashes both files)")
    median = hardlink_median(source, work / "links")
    print()
    print(f"  transfer(HARDLINK), median of {LINKS}: {median * 1e6:.0f} µs")


if __name__ == "__main__":
    main()
