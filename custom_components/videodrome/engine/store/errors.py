"""What can go wrong opening the store."""


class StoreVersionError(RuntimeError):
    """The store was written by a newer Videodrome than this one."""
