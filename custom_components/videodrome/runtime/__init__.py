"""What runs while an entry is loaded: the library index, the ingest worker, the folder watcher."""
