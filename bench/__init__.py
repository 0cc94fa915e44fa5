"""Benchmarks of dockyard against Docker, skopeo and the disk's limit (``python -m bench``)."""
