"""What can go wrong reading a name with guessit (kept inside `parse`: it falls back)."""


class GuessProcessError(Exception):
    """The guessit process could not answer: it would not start, or it died."""


class GuessitError(Exception):
    """guessit itself failed on a name (its message, from the child)."""
