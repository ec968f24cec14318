"""What can go wrong reading a name with guessit (kept inside `parse`: reasons, or a fallback)."""


class GuessProcessError(Exception):
    """The guessit process could not answer: it would not start, it died, or it is closed."""


class GuessTimeoutError(Exception):
    """guessit took longer than the time limit on a name (its process was killed)."""


class GuessitError(Exception):
    """guessit itself failed on a name (its message, from the child)."""
