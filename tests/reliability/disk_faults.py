"""Disk and filesystem faults against the ingest service, on real filesystems where possible.

Each scenario ingests a small download tree (Heat with a subtitle, Parasite) into a library
folder that misbehaves, reports what happened (the exception `transfer()` raises, each
item's stored status and error, the library and the download folder byte for byte, other
people's files), then removes the fault and ingests again (the retry). The test
(`test_disk_faults.py`) judges the reports.

How the fault is made, best first; every report names the mechanism that ran:

- full disk, read-only: the library is a small tmpfs mounted in a private mount namespace
  (this module re-run under `unshare -m`, root needed), then filled by someone else's file
  or remounted read-only;
- permission denied: this module re-run without CAP_DAC_OVERRIDE (`setpriv`), so the kernel
  enforces mode bits against root too, with the library folder owned by another user;
- where neither is possible (an unprivileged CI runner), the same scenarios run in the test
  process with the error injected at the syscall seam (`os.statvfs`, `os.copy_file_range`,
  `os.mkdir`, `os.open`).

Run as `python -m tests.reliability.disk_faults SCENARIO ROOT TMDB_URL`: prints the report as
JSON, or exits with 77 when the mechanism is unavailable here.
"""

from __future__ import annotations

import asyncio
from contextlib import suppress
import errno
import hashlib
import os
from pathlib import Path
import shutil
import subprocess
import sys
from typing import TYPE_CHECKING, Any

import aiohttp
import orjson

from custom_components.videodrome.engine.errors import VideodromeError
from custom_components.videodrome.engine.ingest import transfer as transfer_module
from custom_components.videodrome.engine.ingest.fs import TEMP_PATTERN
from custom_components.videodrome.engine.ingest.transfer import TransferMode, transfer
from custom_components.videodrome.engine.store.database import Store
from tests.reliability.crash_driver import MIB, make_service

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

UNAVAILABLE = 77  # the runner's exit status when it cannot make the fault for real
MOUNTED = "tmpfs in a private mount namespace (unshare -m)"
NO_DAC_OVERRIDE = "process without CAP_DAC_OVERRIDE (setpriv), folder owned by another user"
INJECTED = "error injected at the syscall seam"
OTHER_UID = 65534  # nobody
HEAT = "Heat.1995.1080p.BluRay.x264-GRP/Heat.1995.1080p.BluRay.x264-GRP.mkv"
HEAT_SUBTITLE = "Heat.1995.1080p.BluRay.x264-GRP/Heat.1995.1080p.BluRay.x264-GRP.en.srt"
PARASITE = "Parasite.2019.1080p.BluRay.x264-GRP.mkv"
HEAT_TARGET = "movies/Heat (1995) {tmdb-949}/Heat (1995) - 1080p Blu-ray.mkv"
HEAT_SUBTITLE_TARGET = "movies/Heat (1995) {tmdb-949}/Heat (1995) - 1080p Blu-ray.en.srt"
PARASITE_TARGET = "movies/Parasite (2019) {tmdb-496243}/Parasite (2019) - 1080p Blu-ray.mkv"
TMPFS_SIZE = 8 * MIB


def sha(path: Path) -> str:
    """SHA-256 of a file."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def files(root: Path) -> dict[str, str]:
    """Every file below `root`, by relative path, with its SHA-256."""
    if not root.is_dir():
        return {}
    return {
        (folder / name).relative_to(root).as_posix(): sha(folder / name)
        for folder, _folders, names in root.walk()
        for name in names
    }


class Lab:
    """Downloads, a library folder (the faulty one), someone else's files, a store."""

    def __init__(self, root: Path) -> None:
        """Folders under `root`; the library is `root/library` (maybe a mount point)."""
        self.root = root
        self.ingest = root / "ingest"
        self.library = root / "library"
        self.others = self.library / "someone-else"  # files that are not ours
        self.store_path = root / "videodrome.db"

    def create(self) -> None:
        """The download tree (incompressible video bytes) and the empty folders."""
        for folder in (self.ingest, self.library):
            folder.mkdir(parents=True, exist_ok=True)
        contents = {HEAT: os.urandom(3 * MIB), HEAT_SUBTITLE: b"1\n", PARASITE: os.urandom(MIB)}
        for relative, content in contents.items():
            path = self.ingest / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)

    def prepare_library(self) -> None:
        """The library's folders, and a file of someone else's in it."""
        for name in ("movies", "tv", "someone-else"):
            (self.library / name).mkdir(exist_ok=True)
        (self.others / "notes.txt").write_bytes(b"not Videodrome's")

    def state(self) -> dict[str, Any]:
        """The library (final names only), temporaries, the sources, the others' files."""
        library = files(self.library)
        return {
            "library": {
                path: digest
                for path, digest in library.items()
                if not path.startswith("someone-else/")
                and not TEMP_PATTERN.fullmatch(Path(path).name)
            },
            "temporaries": sorted(p for p in library if TEMP_PATTERN.fullmatch(Path(p).name)),
            "sources": files(self.ingest),
            "others": files(self.others),
        }

    async def ingest_all(
        self, mode: str, tmdb_url: str, *, with_state: bool = True
    ) -> dict[str, Any]:
        """Ingest the download folder; each file's outcome and stored item, then the state."""
        store = Store(self.store_path)
        try:
            async with aiohttp.ClientSession() as session:
                service = make_service(
                    self.root, session, store, tmdb_url, mode, library=self.library
                )
                outcomes = await service.ingest(self.ingest)
        finally:
            store.close()
        return {
            "outcomes": {
                o.planned.source.path.relative_to(self.ingest).as_posix(): {
                    "status": o.status,
                    "error": o.error,
                    "item_status": str(o.item.status) if o.item else None,
                    "item_error": o.item.error if o.item else None,
                }
                for o in outcomes
            },
            **(self.state() if with_state else {}),
        }

    def transfer_directly(self, source: str, target: str, mode: TransferMode) -> dict[str, str]:
        """What `transfer()` itself raises for one file: the exception's type and message."""
        try:
            transfer(self.ingest / source, self.library / target, mode)
        except VideodromeError as err:
            return {"type": type(err).__name__, "message": str(err)}
        (self.library / target).unlink()  # pragma: no cover - only when the fault did not bite
        return {"type": "none", "message": "transferred"}


class Disk:
    """How a fault is made: for real (mounts, capabilities) or injected; see the subclasses."""

    mechanism = ""

    def setup(self, lab: Lab) -> None:
        """Make `lab.library` ready (a mount point, maybe)."""

    def fill(self, lab: Lab, leave: int) -> None:
        """Someone else's file takes all but `leave` bytes of the library's filesystem."""
        raise NotImplementedError

    def fill_during_copy(self, lab: Lab) -> None:
        """Someone else fills the library's filesystem as soon as our copy starts."""
        raise NotImplementedError

    def free(self, lab: Lab) -> None:
        """Someone else's big file goes: space again."""
        raise NotImplementedError

    def read_only(self, lab: Lab, *, on: bool) -> None:
        """The library's filesystem becomes read-only (or writable again)."""
        raise NotImplementedError

    def deny(self, lab: Lab, folder: Path, *, on: bool) -> None:
        """Videodrome may no longer create files in `folder` (or may again)."""
        raise NotImplementedError

    def unreadable(self, source: Path, *, on: bool) -> None:
        """Videodrome may no longer read `source` (or may again)."""
        raise NotImplementedError


class RealDisk(Disk):
    """A tmpfs in this process's private mount namespace (run under `unshare --mount`)."""

    mechanism = MOUNTED

    def __init__(self) -> None:
        """Nothing filled yet."""
        self._check_space = transfer_module._check_space

    def setup(self, lab: Lab) -> None:
        """Mount a small tmpfs on the library folder."""
        _run("mount", "-t", "tmpfs", "-o", f"size={TMPFS_SIZE},mode=0755", "tmpfs", lab.library)

    def fill(self, lab: Lab, leave: int) -> None:
        """A file of someone else's leaving `leave` bytes free (written, not sparse)."""
        info = os.statvfs(lab.library)
        size = info.f_bavail * info.f_frsize - leave
        (lab.others / "big.bin").write_bytes(b"\x5a" * max(size, 0))

    def fill_during_copy(self, lab: Lab) -> None:
        """After the free-space check passed, someone else takes nearly all of it."""
        real = self._check_space

        def check_then_fill(folder: Path, size: int, source: Path) -> None:
            real(folder, size, source)
            self.fill(lab, leave=256 * 1024)

        transfer_module._check_space = check_then_fill

    def free(self, lab: Lab) -> None:
        """Remove the big file (and stop filling)."""
        transfer_module._check_space = self._check_space
        (lab.others / "big.bin").unlink()

    def read_only(self, lab: Lab, *, on: bool) -> None:
        """Remount read-only, or read-write."""
        _run("mount", "-o", f"remount,{'ro' if on else 'rw'}", lab.library)


class UnprivilegedDisk(RealDisk):
    """A plain folder, this process without the capabilities to ignore permissions."""

    mechanism = NO_DAC_OVERRIDE

    def setup(self, lab: Lab) -> None:
        """Nothing to mount: the library is a plain folder."""
        lab.library.mkdir(exist_ok=True)

    def deny(self, lab: Lab, folder: Path, *, on: bool) -> None:  # noqa: ARG002
        """Give the folder to another user (mode 0755): without DAC override, no writing."""
        if on:
            folder.chmod(0o755)
            os.chown(folder, OTHER_UID, OTHER_UID)
        else:
            os.chown(folder, os.getuid(), os.getgid())

    def unreadable(self, source: Path, *, on: bool) -> None:
        """Give the file to another user, mode 0600 (and back, 0644)."""
        if on:
            source.chmod(0o600)
            os.chown(source, OTHER_UID, OTHER_UID)
        else:
            os.chown(source, os.getuid(), os.getgid())
            source.chmod(0o644)


def _run(*command: str | Path) -> None:
    subprocess.run([str(part) for part in command], check=True, capture_output=True)  # noqa: S603


class InjectedDisk(Disk):
    """The same faults as errors from the syscalls the transfer code makes (in-process)."""

    mechanism = INJECTED

    def __init__(self, patch: Callable[[Any, str, Any], None]) -> None:
        """`patch(owner, name, value)` installs a replacement (pytest's monkeypatch.setattr)."""
        self._patch = patch
        self._faults: dict[str, Callable[[Path], int | None]] = {}
        self._free: int | None = None

    def setup(self, lab: Lab) -> None:
        """Route the syscalls through the fault table."""
        library = str(lab.library)

        def inside(path: Any) -> bool:
            return isinstance(path, str | os.PathLike) and os.fspath(path).startswith(library)

        def guarded(name: str) -> Any:
            real = getattr(os, name)

            def call(path: Any, *args: Any, **kwargs: Any) -> Any:
                if isinstance(path, str | os.PathLike):
                    for fault in self._faults.values():
                        code = fault(Path(os.fspath(path)))
                        if code is not None:
                            raise OSError(code, os.strerror(code), os.fspath(path))
                return real(path, *args, **kwargs)

            return call

        for name in ("mkdir", "open", "link"):
            self._patch(os, name, guarded(name))
        real_statvfs = os.statvfs

        def statvfs(path: Any) -> Any:
            info = real_statvfs(path)
            if self._free is None or not inside(path):
                return info
            values = list(info)
            values[4] = self._free // info.f_frsize  # f_bavail
            return os.statvfs_result(values)

        self._patch(os, "statvfs", statvfs)

    def fill(self, lab: Lab, leave: int) -> None:
        """statvfs reports `leave` bytes free; a (small) file of someone else's is there."""
        (lab.others / "big.bin").write_bytes(b"\x5a" * 4096)
        self._free = leave

    def fill_during_copy(self, lab: Lab) -> None:
        """copy_file_range and write answer ENOSPC after the first chunk."""
        (lab.others / "big.bin").write_bytes(b"\x5a" * 4096)
        real = os.copy_file_range
        calls = 0

        def copy_file_range(source: int, destination: int, count: int, *args: Any) -> int:
            nonlocal calls
            calls += 1
            if calls > 1:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            return real(source, destination, min(count, 256 * 1024), *args)

        self._patch(os, "copy_file_range", copy_file_range)

    def free(self, lab: Lab) -> None:
        """Space again."""
        (lab.others / "big.bin").unlink()
        self._free = None
        self._patch(os, "copy_file_range", _REAL_COPY_FILE_RANGE)

    def read_only(self, lab: Lab, *, on: bool) -> None:
        """Every creation under the library fails with EROFS."""
        if on:
            self._faults["ro"] = _creating(errno.EROFS, lab.library)
        else:
            self._faults.pop("ro")

    def deny(self, lab: Lab, folder: Path, *, on: bool) -> None:  # noqa: ARG002
        """Every creation in `folder` fails with EACCES."""
        if on:
            self._faults["deny"] = _creating(errno.EACCES, folder)
        else:
            self._faults.pop("deny")

    def unreadable(self, source: Path, *, on: bool) -> None:
        """Opening `source` fails with EACCES."""
        if on:
            self._faults["unreadable"] = lambda path: errno.EACCES if path == source else None
        else:
            self._faults.pop("unreadable")


_REAL_COPY_FILE_RANGE = os.copy_file_range


def _creating(code: int, folder: Path) -> Callable[[Path], int | None]:
    """A fault for calls that create something in `folder`."""

    def fault(path: Path) -> int | None:
        if not path.is_relative_to(folder):
            return None
        if path.exists() and not TEMP_PATTERN.fullmatch(path.name):
            return None  # reading something that exists (open of a folder, say)
        return code

    return fault


# --- the scenarios -------------------------------------------------------------------------------


async def full_disk_before(lab: Lab, disk: Disk, tmdb_url: str) -> dict[str, Any]:
    """Too little room from the start: refused before writing; retried once there is room."""
    disk.fill(lab, leave=2 * MIB)  # Parasite (1 MiB) fits, Heat (3 MiB) does not
    raised = lab.transfer_directly(HEAT, "direct.mkv", TransferMode.COPY)
    fault = await lab.ingest_all("copy", tmdb_url)
    disk.free(lab)
    return {"raised": raised, "fault": fault, "retry": await lab.ingest_all("copy", tmdb_url)}


async def full_disk_during(lab: Lab, disk: Disk, tmdb_url: str) -> dict[str, Any]:
    """The disk fills up while copying; retried once there is room.

    On a real small disk in hard link mode: the library is another filesystem, so the hard
    link falls back to a copy, which runs out of room. Injected: copy mode.
    """
    mode = "hardlink" if disk.mechanism == MOUNTED else "copy"
    disk.fill_during_copy(lab)
    raised = lab.transfer_directly(HEAT, "direct.mkv", TransferMode(mode))
    disk.free(lab)
    disk.fill_during_copy(lab)
    fault = await lab.ingest_all(mode, tmdb_url)
    disk.free(lab)
    retry = await lab.ingest_all(mode, tmdb_url)
    return {"mode": mode, "raised": raised, "fault": fault, "retry": retry}


async def read_only(lab: Lab, disk: Disk, tmdb_url: str) -> dict[str, Any]:
    """A read-only library; retried once it is writable again."""
    disk.read_only(lab, on=True)
    raised = lab.transfer_directly(PARASITE, "movies/direct.mkv", TransferMode.COPY)
    fault = await lab.ingest_all("copy", tmdb_url)
    disk.read_only(lab, on=False)
    return {"raised": raised, "fault": fault, "retry": await lab.ingest_all("copy", tmdb_url)}


async def permission_denied(lab: Lab, disk: Disk, tmdb_url: str) -> dict[str, Any]:
    """A movies folder Videodrome may not write to, then a source it may not read.

    Each is retried once allowed: after the folder, Heat goes in and Parasite (unreadable
    by then) fails; after the source, Parasite goes in.
    """
    movies = lab.library / "movies"
    disk.deny(lab, movies, on=True)
    raised = lab.transfer_directly(PARASITE, "movies/direct.mkv", TransferMode.COPY)
    fault = await lab.ingest_all("copy", tmdb_url)
    disk.deny(lab, movies, on=False)
    source = lab.ingest / PARASITE
    disk.unreadable(source, on=True)
    unreadable_raised = lab.transfer_directly(PARASITE, "movies/direct.mkv", TransferMode.COPY)
    unreadable = await lab.ingest_all("copy", tmdb_url, with_state=False)
    disk.unreadable(source, on=False)
    unreadable |= lab.state()  # read once allowed again: the bytes are what the failure left
    return {
        "raised": raised,
        "fault": fault,
        "unreadable_raised": unreadable_raised,
        "unreadable": unreadable,
        "retry": await lab.ingest_all("copy", tmdb_url),
    }


SCENARIOS: dict[str, Callable[[Lab, Disk, str], Awaitable[dict[str, Any]]]] = {
    "full_disk_before": full_disk_before,
    "full_disk_during": full_disk_during,
    "read_only": read_only,
    "permission_denied": permission_denied,
}
# Which real mechanism each scenario needs: a mount, or no DAC override.
NEEDS: dict[str, str] = {
    "full_disk_before": MOUNTED,
    "full_disk_during": MOUNTED,
    "read_only": MOUNTED,
    "permission_denied": NO_DAC_OVERRIDE,
}


async def run(name: str, lab: Lab, disk: Disk, tmdb_url: str) -> dict[str, Any]:
    """One scenario on a fresh lab; the report with the mechanism that ran."""
    lab.create()
    disk.setup(lab)
    lab.prepare_library()
    before = lab.state()
    report = await SCENARIOS[name](lab, disk, tmdb_url)
    return {"mechanism": disk.mechanism, "before": before, **report}


def command(name: str, root: Path, tmdb_url: str) -> list[str]:
    """The command line that runs a scenario for real: in its own mount namespace, or with
    the capabilities that let root ignore permissions dropped."""
    runner = [sys.executable, "-m", "tests.reliability.disk_faults", name, str(root), tmdb_url]
    if NEEDS[name] == MOUNTED:
        return ["unshare", "--mount", "--propagation", "private", *runner]
    drop = "-dac_override,-dac_read_search,-fowner"
    return ["setpriv", f"--bounding-set={drop}", f"--inh-caps={drop}", "--", *runner]


def main() -> None:
    """Run one scenario for real and print its report (exit 77 if it cannot be made here)."""
    name, root, tmdb_url = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
    lab = Lab(root)
    disk: Disk = RealDisk() if NEEDS[name] == MOUNTED else UnprivilegedDisk()
    try:
        if NEEDS[name] == MOUNTED:  # a probe: may this process mount?
            lab.library.mkdir(parents=True)
            disk.setup(lab)
            _run("umount", lab.library)
            lab.library.rmdir()
        elif _can_override_permissions(root):
            raise PermissionError("the kernel does not enforce permissions on this process")
    except (OSError, subprocess.CalledProcessError) as err:
        sys.stderr.write(f"cannot make the fault for real here: {err}\n")
        with suppress(OSError):
            shutil.rmtree(lab.library)
        sys.exit(UNAVAILABLE)
    report = asyncio.run(run(name, lab, disk, tmdb_url))
    sys.stdout.write(orjson.dumps(report).decode() + "\n")


def _can_override_permissions(root: Path) -> bool:
    """Whether this process ignores mode bits (root with CAP_DAC_OVERRIDE)."""
    probe = root / "permission-probe"
    probe.mkdir(parents=True)
    try:
        probe.chmod(0o755)
        os.chown(probe, OTHER_UID, OTHER_UID)
        try:
            (probe / "x").touch()
        except PermissionError:
            return False
        return True
    finally:
        os.chown(probe, os.getuid(), os.getgid())
        shutil.rmtree(probe)


if __name__ == "__main__":
    main()
