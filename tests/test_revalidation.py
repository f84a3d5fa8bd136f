"""Learner pages revalidated with ETags: a browser's copy is answered `304 Not Modified` while
nothing the page shows has changed, whoever changed it, and never for the wrong person."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import event, insert, select, text, update

from lms.extensions import db
from lms.models import Completion, OrgSetting, User, UserCategory
from lms.models.versioning import NOT_SHOWN, PERSON_TABLES

from .clock import pinned_clock, pinned_moment  # noqa: F401  (a fixture)
from .conftest import make_test_app, reset_schema
from .factories import make_user, session_key, sync_content

PLAN = """
warning_days = 30

[[requirements]]
ref = "alpha"
kind = "course"
title = "Alpha course"
categories = ["staff"]
due_days = 28
renew_months = 12
"""

PLAN_WITH_CONTRACTORS = PLAN + """
[[requirements]]
ref = "alpha"
kind = "quiz"
title = "Alpha check"
categories = ["contractor"]
due_days = 14
"""


@pytest.fixture
def plan_file(tmp_path):
    path = tmp_path / "plan.toml"
    path.write_text(PLAN)
    return path


@pytest.fixture
def app_overrides(content, plan_file):
    return {"PROJECT_ROOT": content.root, "TRAINING_PLAN": str(plan_file)}


@pytest.fixture
def synced(app, content):
    content.course("alpha", title="Alpha course", extra='quiz = "alpha"\n')
    content.quiz("alpha", title="Alpha check")
    sync_content()
    return content


class Queries:
    """Counts the statements the app sends while a `with` block runs."""

    def __init__(self, app):
        with app.app_context():
            self.engine = db.engine
        self.count = 0

    def _count(self, *args):
        self.count += 1

    def __enter__(self):
        self.count = 0
        event.listen(self.engine, "before_cursor_execute", self._count)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._count)


def words(response) -> str:
    html = re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))
    return " ".join(html.replace("&#39;", "'").split())


def tag_of(client, path="/") -> str:
    response = client.get(path)
    assert response.status_code == 200
    return response.headers["ETag"]


def still_fresh(client, tag: str, path="/") -> bool:
    """Does the browser's copy under `tag` still stand? (304: yes; 200: here is a new page.)"""
    response = client.get(path, headers={"If-None-Match": tag})
    assert response.status_code in (200, 304), response.status_code
    return response.status_code == 304


def version_of(user) -> int:
    return db.session.scalar(select(User.data_version).where(User.id == user.id))


# -- the person's data version ---------------------------------------------------------------


def test_every_table_holding_a_persons_rows_moves_their_version_or_says_why_not(app):
    holding = {
        table.name
        for table in db.metadata.sorted_tables
        for column in table.columns
        if column.name == "user_id" and any(fk.column.table.name == "user" for fk in column.foreign_keys)
    }
    assert holding == set(PERSON_TABLES) | set(NOT_SHOWN)
    assert not set(PERSON_TABLES) & set(NOT_SHOWN)


def test_the_database_moves_the_version_on_insert_update_and_delete_whoever_writes(app, today):
    """Core statements, not just the ORM: the triggers do it."""
    ada, ben = make_user(), make_user()
    before = version_of(ada), version_of(ben)
    db.session.execute(insert(UserCategory).values(user_id=ada.id, category="trainer", added_on=today))
    db.session.commit()
    assert version_of(ada) == before[0] + 1 and version_of(ben) == before[1]
    row = db.session.scalar(select(UserCategory.id).where(UserCategory.category == "trainer"))
    db.session.execute(update(UserCategory).where(UserCategory.id == row).values(user_id=ben.id))
    db.session.commit()
    assert version_of(ada) == before[0] + 2 and version_of(ben) == before[1] + 1  # both people's
    db.session.execute(text("DELETE FROM user_category WHERE id = :id"), {"id": row})
    db.session.commit()
    assert version_of(ben) == before[1] + 2


def test_a_rolled_back_change_leaves_the_version_as_it_was(app, today):
    ada = make_user()
    before = version_of(ada)
    db.session.add(Completion(user_id=ada.id, kind="course", ref="alpha", completed_on=today, source="lms"))
    db.session.flush()
    db.session.rollback()
    assert version_of(ada) == before


def assert_person_triggers(connection) -> None:
    """Each versioned table has its trigger(s) in this database."""
    if connection.dialect.name == "postgresql":
        rows = connection.execute(text("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"))
    else:
        rows = connection.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger'"))
    names = {name for (name,) in rows}
    for table in PERSON_TABLES:
        assert any(name.startswith(f"{table}_touch_person") for name in names), table


def test_each_versioned_table_has_its_trigger(app):
    assert_person_triggers(db.session.connection())


# -- revalidating pages -------------------------------------------------------------------------

LEARNER_PAGES = ["/", "/courses/alpha", "/courses/alpha/lessons/first", "/quizzes/alpha"]


@pytest.mark.parametrize("path", LEARNER_PAGES)
def test_an_unchanged_page_is_answered_304_without_being_drawn(app, client, auth, synced, path):
    auth.login_as("learner", name="Ada Lovelace", categories=("staff",))
    first = client.get(path)
    assert first.status_code == 200 and first.headers["Cache-Control"] == "private, no-cache"
    tag = first.headers["ETag"]
    with Queries(app) as queries:
        again = client.get(path, headers={"If-None-Match": tag})
    assert again.status_code == 304 and again.data == b""
    assert again.headers["ETag"] == tag and again.headers["Cache-Control"] == "private, no-cache"
    assert queries.count <= 2  # the person and the organisation's settings
    assert client.get(path).headers["ETag"] == tag  # the same page, the same tag


def test_other_pages_are_not_stored_at_all(client, auth, synced):
    auth.login_as("lead")
    for path in ("/dashboard", "/admin/people", "/evidence/queue"):
        response = client.get(path)
        assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store", path
        assert "ETag" not in response.headers, path
    static = client.get("/static/lms.css")
    assert "no-store" not in static.headers.get("Cache-Control", "")


@pytest.mark.dates
@pytest.mark.usefixtures("pinned_clock")
def test_a_change_to_the_record_changes_the_tag(client, auth, synced, today):
    me = auth.login_as("learner", categories=("staff",), start_date=today - timedelta(days=3))
    tag = tag_of(client)
    db.session.add(Completion(user_id=me.id, kind="course", ref="alpha", completed_on=today, source="lms"))
    db.session.commit()
    assert not still_fresh(client, tag)
    tag = tag_of(client)
    # A bulk UPDATE, as `lms import-records` or a hand-run fix might run, counts too.
    db.session.execute(update(Completion).where(Completion.user_id == me.id).values(completed_on=today - timedelta(days=400)))
    db.session.commit()
    assert not still_fresh(client, tag)


def test_reading_a_lesson_changes_the_lesson_page_and_my_training(client, auth, synced):
    auth.login_as("learner", categories=("staff",))
    lesson = "/courses/alpha/lessons/first"
    tags = {path: tag_of(client, path) for path in ("/", lesson)}
    page = client.get(lesson).get_data(as_text=True)
    token = re.search(r'name="content_hash"[^>]*value="([^"]+)"', page)
    client.post(f"{lesson}/read", data={"content_hash": token.group(1)} if token else {})
    for path, tag in tags.items():
        assert not still_fresh(client, tag, path), path


@pytest.mark.dates
@pytest.mark.usefixtures("pinned_clock")
def test_changes_to_the_person_themselves_change_the_tag(client, auth, synced, today):
    me = auth.login_as("learner", name="Ada Lovelace", categories=("staff",))
    tag = tag_of(client)
    me.name = "Ada King"
    db.session.commit()
    assert not still_fresh(client, tag)
    tag = tag_of(client)
    me.permission = 20
    db.session.commit()
    assert not still_fresh(client, tag)


def test_a_deactivated_person_is_sent_to_sign_in_not_told_their_copy_stands(client, auth, synced):
    me = auth.login_as("learner")
    tag = tag_of(client)
    me.active = False
    db.session.commit()
    response = client.get("/", headers={"If-None-Match": tag})
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_nobody_is_told_that_someone_elses_copy_stands(client, auth, synced):
    auth.login_as("learner", name="Ada Lovelace")
    tag = tag_of(client)
    other = client.application.test_client()
    ben = make_user(name="Ben Jonson")
    with other.session_transaction() as sess:
        sess["_user_id"] = session_key(ben)
    response = other.get("/", headers={"If-None-Match": tag})
    assert response.status_code == 200 and "Ben Jonson" in words(response)


def test_another_session_of_the_same_person_gets_its_own_tag(client, auth, synced):
    me = auth.login_as("learner")
    tag = tag_of(client)
    laptop = client.application.test_client()
    with laptop.session_transaction() as sess:
        sess["_user_id"] = session_key(me)
    assert not still_fresh(laptop, tag)  # its forms carry another session's CSRF token


def test_a_page_with_a_flash_message_carries_no_tag(client, auth, synced):
    auth.login_as("learner")
    with client.session_transaction() as sess:
        sess["_flashes"] = [("success", "Your password has been changed.")]
    response = client.get("/")
    assert "Your password has been changed." in words(response) and "ETag" not in response.headers
    assert "ETag" in client.get("/").headers


def test_a_new_plan_file_changes_the_tag(client, auth, synced, plan_file):
    auth.login_as("learner", categories=("contractor",))
    tag = tag_of(client)
    plan_file.write_text(PLAN_WITH_CONTRACTORS)
    assert not still_fresh(client, tag)
    assert "Alpha check" in words(client.get("/"))


def test_new_content_changes_the_tag(client, auth, synced):
    auth.login_as("learner", categories=("staff",))
    tag = tag_of(client, "/courses/alpha")
    synced.course("alpha", title="Alpha course, second edition", extra='quiz = "alpha"\n')
    sync_content()
    assert not still_fresh(client, tag, "/courses/alpha")
    assert "Alpha course, second edition" in words(client.get("/courses/alpha"))


def test_new_contacts_on_raise_a_concern_change_the_tag(client, auth, synced):
    auth.login_as("learner")
    tag = tag_of(client)
    db.session.add(OrgSetting(key="lead_name", value="Sam Lead"))
    db.session.commit()
    assert not still_fresh(client, tag)


@pytest.mark.dates
def test_tomorrow_the_tag_changes(client, auth, synced):
    with time_machine.travel(pinned_moment(), tick=False) as clock:
        auth.login_as("learner", categories=("staff",))
        tag = tag_of(client)
        assert still_fresh(client, tag)
        clock.shift(timedelta(days=1))
        assert not still_fresh(client, tag)


def test_a_change_through_one_app_process_changes_the_tag_the_other_gives(tmp_path, database_url, content, plan_file):
    """Two app processes (two servers) over one database, nothing shared but the database."""
    apps = [make_test_app(database_url, tmp_path, PROJECT_ROOT=content.root, TRAINING_PLAN=str(plan_file)) for _ in range(2)]
    reset_schema(apps[0])
    with apps[0].app_context():
        content.course("alpha", title="Alpha course")
        sync_content()
        user = make_user(categories=("staff",))
        key, user_id = session_key(user), user.id
        db.session.remove()
    clients = [app.test_client() for app in apps]
    for client in clients:
        with client.session_transaction() as sess:
            sess["_user_id"] = key
    with apps[1].app_context():
        tag = tag_of(clients[1])
        assert still_fresh(clients[1], tag)
    with apps[0].app_context():
        from lms.dates import local_today

        db.session.add(Completion(user_id=user_id, kind="course", ref="alpha", completed_on=local_today(), source="lms"))
        db.session.commit()
        db.session.remove()
    with apps[1].app_context():
        assert not still_fresh(clients[1], tag)
        assert "Your progress: 1 of 1 complete" in words(clients[1].get("/"))
        db.session.remove()
    for app in apps:
        with app.app_context():
            db.engine.dispose()
