"""Filing downloads: the plan, the transfer, organise and undo, the match check, the watcher.

The top of the engine's layers: may import every other subpackage except `provider`.
"""
