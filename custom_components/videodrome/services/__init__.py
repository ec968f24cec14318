"""Videodrome's service actions, registered once in `async_setup` (setup.py).

Each module holds some actions, their schemas and their registration; errors.py maps the
engine's errors onto Home Assistant's, translated; fields.py holds the shared schema fields.
The entry and the paths a call names are checked by ../call_targets.py.
"""
