"""Content packs as plugins: kinds (course, quiz...), discovery, validation, rendering, sync.

See docs/content-packs.md for the formats and registry.py for adding a kind.
"""
