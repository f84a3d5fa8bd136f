"""How long forgot-password takes for an address that has an account and for one that has
none: the two should be alike, so the time tells nobody who has an account."""

from __future__ import annotations

import statistics
import time

from sqlalchemy import select

from lms.extensions import db
from lms.models import User

RUNS = 200


def _median_ms(client, emails: list[str]) -> float:
    times = []
    for n, email in enumerate(emails):
        # A different client address and email each time, so no limit is reached.
        environ = {"REMOTE_ADDR": f"10.{n // 65536}.{n // 256 % 256}.{n % 256}"}
        started = time.perf_counter()
        response = client.post("/forgot-password", data={"email": email}, environ_base=environ)
        times.append(time.perf_counter() - started)
        assert response.status_code == 200, response.status_code
    return statistics.median(times) * 1000


def measure_forgot_password(app, figure) -> None:
    app.config["WTF_CSRF_ENABLED"] = False
    with app.app_context():
        known = db.session.scalars(
            select(User.email).where(User.active.is_(True)).order_by(User.id).offset(100).limit(RUNS)
        ).all()
        db.session.remove()
    unknown = [f"nobody-{n}@example.org" for n in range(RUNS)]
    client = app.test_client()
    _median_ms(client, unknown[:20] + known[:20])  # warm templates and connections
    figure("forgot_password_known_ms", _median_ms(client, known[20:]))
    figure("forgot_password_unknown_ms", _median_ms(client, unknown[20:]))
    app.config["WTF_CSRF_ENABLED"] = True
