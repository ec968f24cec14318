"""Filing downloads: the plan, the transfer, organise and undo, the match check, the watcher.

`pipeline` plans each file (`sources`: the videos and their subtitles, `destination`: where
one may go, `plan`: the action and its reasons) and carries the plan out with `transfer`,
the policy over `fs`'s file-system primitives; `service` records every step in the store.

The top of the engine's layers: may import every other subpackage except `provider`.
"""
