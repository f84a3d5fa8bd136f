"""The shipped gunicorn settings: `gunicorn -c python:lms.gunicorn_conf`.

One worker with threads by default, so the in-memory sign-in limits and SQLite's single
writer both hold; set `--workers` (or WEB_CONCURRENCY) above one only with a shared limit
store (LMS_RATELIMIT_STORAGE_URI=redis://...), which `on_starting` checks.
"""

import os

wsgi_app = "lms:create_app()"
workers = int(os.environ.get("WEB_CONCURRENCY", "1"))
threads = 4
timeout = 60


def on_starting(server) -> None:
    from lms.config import instance_path, load_settings

    storage = load_settings(instance_path())["RATELIMIT_STORAGE_URI"]
    if server.cfg.workers > 1 and storage.startswith("memory://"):
        server.log.warning(
            "%d workers each keep their own sign-in limits in memory (LMS_RATELIMIT_STORAGE_URI=memory://): "
            "a guesser gets %d times the allowed attempts. Set LMS_RATELIMIT_STORAGE_URI=redis://host:6379/0, "
            "or run one worker.",
            server.cfg.workers,
            server.cfg.workers,
        )
