"""The request owns its transaction (lms/transaction.py): what a view changed is saved when
its response is below 400, and nothing is saved otherwise, whatever the operation did first."""

from __future__ import annotations

from datetime import date

import pytest
from flask import redirect
from sqlalchemy import create_engine, func, select, text

from lms import transaction
from lms.extensions import db
from lms.models import OrgSetting, User
from lms.permissions import public
from lms.transaction import Conflict, NotFound


def saved(app, key: str) -> bool:
    """Whether another connection sees the row, as another server would."""
    engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    with engine.connect() as conn:
        found = conn.execute(text("SELECT count(*) FROM org_setting WHERE key = :k"), {"k": key}).scalar()
    engine.dispose()
    return found == 1


def _write(key: str) -> None:
    db.session.add(OrgSetting(key=key, value="x"))
    db.session.flush()


@pytest.fixture
def routes(app):
    def page():
        _write("page")
        return "saved"

    def after_form():
        _write("redirect")
        return redirect("/")

    def refused():
        _write("refused")
        raise Conflict("Someone changed this first.")

    def missing():
        _write("missing")
        raise NotFound()

    def bad_request():
        _write("bad")
        return "no", 400

    def discarded():
        _write("discarded")
        transaction.discard()
        return "shown again with its errors"

    def failing_commit():
        # Two rows with one key: the flush is deferred to the commit, which fails.
        db.session.add(OrgSetting(key="twice", value="a"))
        for name in ("A", "B"):
            db.session.add(User(email="dup@example.org", name=name, permission=0, start_date=date(2026, 1, 5)))
        return "told saved"

    for view in (page, after_form, refused, missing, bad_request, discarded, failing_commit):
        app.add_url_rule(f"/_t/{view.__name__}", view.__name__, public(view), methods=["GET", "POST"])
    return app


def test_a_page_and_a_redirect_commit_what_the_view_changed(routes, client):
    assert client.get("/_t/page").status_code == 200 and saved(routes, "page")
    assert client.post("/_t/after_form").status_code == 302 and saved(routes, "redirect")


def test_a_refusal_saves_nothing_and_says_why(routes, client):
    response = client.post("/_t/refused")
    assert response.status_code == 409
    assert "Someone changed this first." in response.get_data(as_text=True)
    assert not saved(routes, "refused")


def test_not_found_from_an_operation_is_the_404_page_and_saves_nothing(routes, client):
    response = client.get("/_t/missing")
    assert response.status_code == 404 and "Page not found" in response.get_data(as_text=True)
    assert not saved(routes, "missing")


def test_an_error_response_saves_nothing(routes, client):
    assert client.post("/_t/bad_request").status_code == 400
    assert not saved(routes, "bad")


def test_a_view_that_discards_saves_nothing_though_it_answers_200(routes, client):
    assert client.post("/_t/discarded").status_code == 200
    assert not saved(routes, "discarded")


def test_a_commit_that_fails_is_a_500_and_nobody_is_told_saved(routes, client):
    routes.config["PROPAGATE_EXCEPTIONS"] = False  # as in production: the 500 page, not a traceback
    response = client.post("/_t/failing_commit")
    body = response.get_data(as_text=True)
    assert response.status_code == 500 and "told saved" not in body and "quote reference" in body
    assert not saved(routes, "twice")
    assert db.session.scalar(select(func.count()).select_from(User).where(User.email == "dup@example.org")) == 0
