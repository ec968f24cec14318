"""Test helpers for who may do what: users of each kind, answers walked, trees and stores."""

from __future__ import annotations

import os
import stat
from typing import TYPE_CHECKING, Any

from homeassistant.auth.const import GROUP_ID_USER
from homeassistant.core import Context

from custom_components.videodrome.engine.tmdb.posters import poster_url

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from homeassistant.auth.models import User
    from homeassistant.core import HomeAssistant

    from custom_components.videodrome.engine.store.database import Store


async def plain_user(hass: HomeAssistant) -> User:
    """A user of the "Users" group, as the people settings make one: not an administrator."""
    user = await hass.auth.async_create_user("Tester", group_ids=[GROUP_ID_USER])
    assert not user.is_admin
    return user


def context_of(user: User | None) -> Context:
    """The context of a call `user` makes (None: a call with no user, as an automation's)."""
    return Context(user_id=user.id if user is not None else None)


def strings(answer: Any, key: object = None) -> Iterator[tuple[object, str]]:
    """Every string in an answer, keys included, with the key it is found under."""
    if isinstance(answer, str):
        yield key, answer
    elif isinstance(answer, dict):
        for k, value in answer.items():
            yield from strings(k, k)
            yield from strings(value, k)
    elif isinstance(answer, (list, tuple)):
        for value in answer:
            yield from strings(value, key)


def absolute_paths(answer: Any, folders: list[Path]) -> list[str]:
    """The strings of `answer` that start with "/" or hold a folder's absolute path.

    TMDb's poster paths ("/abc.jpg", one segment, under `poster_path`) are image names on
    TMDb's server, not paths of this machine: they are not counted.
    """
    shown = [str(folder) for folder in folders] + [os.path.realpath(f) for f in folders]
    return [
        text
        for key, text in strings(answer)
        if (text.startswith("/") and not (key == "poster_path" and poster_url(text)))
        or any(folder in text for folder in shown)
    ]


def tree(*roots: Path) -> dict[str, tuple[int, int, int, bool]]:
    """Every file and folder under `roots`: path -> size, inode, mtime (ns), is a link.

    Blocking: run it in the executor.
    """
    found: dict[str, tuple[int, int, int, bool]] = {}
    for root in roots:
        for folder, dirs, files in os.walk(root):
            for name in (*dirs, *files):
                path = os.path.join(folder, name)  # noqa: PTH118 (os.walk gives strings)
                info = os.lstat(path)
                found[path] = (
                    info.st_size,
                    info.st_ino,
                    info.st_mtime_ns,
                    stat.S_ISLNK(info.st_mode),
                )
    return found


def store_rows(store: Store) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """Every row of the store, and the counts (blocking: run it in the executor)."""
    return [item.as_dict() for item in store.history(limit=10_000)], store.counts()
