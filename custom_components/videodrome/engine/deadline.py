"""A time limit for pure-Python work in the current thread (guessit cannot be told to stop).

A timer thread raises `DeadlineExceeded` inside the guarded thread through CPython's
`PyThreadState_SetAsyncExc`, which interrupts Python code at the next bytecode. The timer is
cancelled and joined on exit, so no thread outlives the block, and an exception that was
scheduled but not yet delivered is withdrawn, so nothing fires after the block either.
"""

from __future__ import annotations

import ctypes
import threading
from typing import TYPE_CHECKING, Self

if TYPE_CHECKING:
    from types import TracebackType


class DeadlineExceeded(Exception):  # noqa: N818 (it reads as what happened)
    """The guarded block ran past its time limit."""


_set_async_exc = ctypes.pythonapi.PyThreadState_SetAsyncExc
_set_async_exc.argtypes = (ctypes.c_ulong, ctypes.py_object)
_set_async_exc.restype = ctypes.c_int


class Deadline:
    """`with Deadline(seconds): ...` raises DeadlineExceeded if the block takes longer."""

    def __init__(self, seconds: float) -> None:
        """Limit the block to `seconds`."""
        self._seconds = seconds
        self._thread = threading.get_ident()
        self._lock = threading.Lock()
        self._active = False
        self.fired = False
        self._timer: threading.Timer | None = None

    def _fire(self) -> None:
        with self._lock:
            if self._active:
                self.fired = True
                _set_async_exc(self._thread, ctypes.py_object(DeadlineExceeded))

    def __enter__(self) -> Self:
        """Start the clock."""
        self._thread = threading.get_ident()
        self._active = True
        self._timer = threading.Timer(self._seconds, self._fire)
        self._timer.daemon = True
        self._timer.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Stop the clock, and withdraw an exception that has not been delivered yet."""
        with self._lock:
            self._active = False
            if self.fired and exc_type is not DeadlineExceeded:
                # It fired as the block was finishing: the block's result stands, and the
                # exception, not delivered yet, must not surface later somewhere else.
                _set_async_exc(self._thread, ctypes.py_object())  # NULL clears it
        timer = self._timer
        if timer is not None:
            timer.cancel()
            timer.join()
