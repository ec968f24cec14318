"""The Stash client (GraphQL, cached), its models, and the letterboxed posters of its scenes.

Owns everything said to or read from a Stash server: the queries (written against Stash's
schema), finding a scene by its file name, images, and turning a screenshot into a 2:3
poster. Imports nothing of the engine but the modules at its top level (errors, blocking,
availability): it sits beside `tmdb`, below `provider`, which serves its scenes to Plex.
"""
