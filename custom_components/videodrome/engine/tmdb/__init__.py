"""The TMDb client (cached, rate-limited, retried), its models and poster URLs.

May import `store` (where its cache lives) and the engine's top-level modules.
"""
