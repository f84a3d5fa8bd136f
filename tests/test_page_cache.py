"""Kept learner pages: served again only while nothing they show has changed, never to the
wrong person, and noticed across app processes."""

from __future__ import annotations

import os
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import event, insert, select, text, update

from lms import pagecache
from lms.extensions import db
from lms.models import Completion, Permission, User, UserCategory
from lms.models.versioning import NOT_SHOWN, PERSON_TABLES
from lms.packs.operations import sync_content

from .conftest import make_test_app, reset_schema
from .content import ContentDir
from .factories import make_user, session_key

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
def content(tmp_path):
    return ContentDir(tmp_path / "content")


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
    """Counts the statements the app sends while a `with` block runs: through SQLAlchemy, and
    the key reads that go straight to psycopg on PostgreSQL."""

    def __init__(self, app):
        with app.app_context():
            self.engine = db.engine
        self.count = 0
        self._direct = pagecache._read_key_postgresql

    def _count(self, *args):
        self.count += 1

    def _counted_direct(self, *args):
        self.count += 1
        return self._direct(*args)

    def __enter__(self):
        self.count = 0
        event.listen(self.engine, "before_cursor_execute", self._count)
        pagecache._read_key_postgresql = self._counted_direct
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._count)
        pagecache._read_key_postgresql = self._direct


def words(response) -> str:
    html = re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))
    return " ".join(html.replace("&#39;", "'").split())


def kept(client, path="/") -> str:
    """The page after it has been drawn and kept (the first view only sets the session up)."""
    client.get(path)
    client.get(path)
    return words(client.get(path))


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


def test_the_database_moves_the_version_on_insert_update_and_delete_whoever_writes(app):
    """Core statements, not just the ORM: the triggers do it."""
    ada, ben = make_user(), make_user()
    before = version_of(ada), version_of(ben)
    db.session.execute(insert(UserCategory).values(user_id=ada.id, category="trainer", added_on=date.today()))
    db.session.commit()
    assert version_of(ada) == before[0] + 1 and version_of(ben) == before[1]
    row = db.session.scalar(select(UserCategory.id).where(UserCategory.category == "trainer"))
    db.session.execute(update(UserCategory).where(UserCategory.id == row).values(user_id=ben.id))
    db.session.commit()
    assert version_of(ada) == before[0] + 2 and version_of(ben) == before[1] + 1  # both people's
    db.session.execute(text("DELETE FROM user_category WHERE id = :id"), {"id": row})
    db.session.commit()
    assert version_of(ben) == before[1] + 2


def test_a_rolled_back_change_leaves_the_version_as_it_was(app):
    ada = make_user()
    before = version_of(ada)
    db.session.add(Completion(user_id=ada.id, kind="course", ref="alpha", completed_on=date.today(), source="lms"))
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


# -- serving kept pages ----------------------------------------------------------------------


def test_a_kept_page_is_served_with_one_query_and_is_the_same_page(app, client, auth, synced):
    auth.login_as("learner", name="Ada Lovelace")
    client.get("/")
    drawn = client.get("/").get_data(as_text=True)
    with Queries(app) as queries:
        again = client.get("/")
    assert again.status_code == 200 and again.mimetype == "text/html"
    assert again.get_data(as_text=True) == drawn
    assert queries.count == 1
    assert again.headers["Cache-Control"] == "no-store"  # still never kept by the browser
    assert "Content-Security-Policy" in again.headers
    assert pagecache.page_cache().hits >= 1


def test_with_the_cache_off_every_view_draws_the_page(tmp_path, database_url, content, plan_file):
    app = make_test_app(database_url, tmp_path, PROJECT_ROOT=content.root, TRAINING_PLAN=str(plan_file), PAGE_CACHE_MB=0)
    reset_schema(app)
    with app.app_context():
        client = app.test_client()
        user = make_user()
        with client.session_transaction() as sess:
            sess["_user_id"] = session_key(user)
        client.get("/")
        with Queries(app) as queries:
            assert client.get("/").status_code == 200
        assert queries.count > 1
        assert pagecache.page_cache() is None
        db.session.remove()
        db.engine.dispose()


def test_a_change_to_the_record_shows_at_once(client, auth, synced):
    me = auth.login_as("learner", categories=("staff",), start_date=date.today() - timedelta(days=3))
    assert "Your progress: 0 of 1 complete" in kept(client)
    db.session.add(Completion(user_id=me.id, kind="course", ref="alpha", completed_on=date.today(), source="lms"))
    db.session.commit()
    assert "Your progress: 1 of 1 complete" in words(client.get("/"))
    # A bulk UPDATE, as `lms import-records` or a lead's decision might run, shows too.
    earlier = date.today() - timedelta(days=400)
    db.session.execute(update(Completion).where(Completion.user_id == me.id).values(completed_on=earlier))
    db.session.commit()
    assert "Expired" in words(client.get("/"))


def test_reading_a_lesson_shows_on_the_lesson_page_and_my_training(client, auth, synced):
    auth.login_as("learner", categories=("staff",))
    lesson = "/courses/alpha/lessons/first"
    assert "0 of 3 lessons read" in kept(client, lesson)
    assert "Your progress: 0 of 1 complete" in kept(client)
    client.post(f"{lesson}/read", data={"content_hash": _content_hash(client, lesson)})
    assert "1 of 3 lessons read" in words(client.get(lesson))
    assert "1 of 3 lessons read" in words(client.get("/courses/alpha"))


def _content_hash(client, path) -> str:
    html = client.get(path).get_data(as_text=True)
    return re.search(r'name="content_hash"[^>]*value="([^"]+)"', html).group(1)


def test_changes_to_the_person_themselves_show(client, auth, synced):
    me = auth.login_as("director", name="Ada Lovelace", categories=("trainee",))
    page = kept(client)
    assert "Ada Lovelace" in page and "Dashboard" in page and "Alpha course" not in page
    me.name = "Ada King"
    me.permission = Permission.LEARNER.value
    db.session.commit()
    page = words(client.get("/"))
    assert "Ada King" in page and "Ada Lovelace" not in page
    assert "Dashboard" not in page
    db.session.add(UserCategory(user_id=me.id, category="staff", added_on=date.today()))
    db.session.commit()
    assert "Alpha course" in words(client.get("/"))


def test_a_deactivated_person_is_sent_to_sign_in_not_shown_the_kept_page(client, auth, synced):
    me = auth.login_as("learner")
    kept(client)
    me.active = False
    db.session.commit()
    response = client.get("/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_nobody_is_served_someone_elses_kept_page(client, auth, synced):
    ada = auth.login_as("learner", name="Ada Lovelace")
    assert "Ada Lovelace" in kept(client)
    other = client.application.test_client()
    ben = make_user(name="Ben Jonson")
    with other.session_transaction() as sess:
        sess["_user_id"] = session_key(ben)
    page = kept(other)
    assert "Ben Jonson" in page and "Ada Lovelace" not in page
    assert ada.id != ben.id


def test_a_flash_message_is_shown_once_and_never_kept(client, auth, synced):
    auth.login_as("learner")
    kept(client)
    with client.session_transaction() as sess:
        sess["_flashes"] = [("success", "Your certificate was uploaded.")]
    assert "Your certificate was uploaded." in words(client.get("/"))
    assert "Your certificate was uploaded." not in words(client.get("/"))
    assert "Your certificate was uploaded." not in words(client.get("/"))


def test_a_new_plan_file_shows_at_once(client, auth, synced, plan_file):
    auth.login_as("learner", categories=("contractor",))
    assert "Alpha check" not in kept(client)
    plan_file.write_text(PLAN_WITH_CONTRACTORS)
    stat = plan_file.stat()
    os.utime(plan_file, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert "Alpha check" in words(client.get("/"))


def test_new_content_shows_at_once(client, auth, synced):
    auth.login_as("learner")
    lesson = "/courses/alpha/lessons/first"
    assert "The first lesson's text." in kept(client, lesson)
    synced.lesson("alpha", "01-first.md", "# First lesson\n\nRewritten for the new policy.\n")
    sync_content()
    page = words(client.get(lesson))
    assert "Rewritten for the new policy." in page and "The first lesson's text." not in page


def test_tomorrow_the_page_is_drawn_again(client, auth, synced, monkeypatch):
    auth.login_as("learner", categories=("staff",), start_date=date.today())
    assert "in 28 days" in kept(client)
    tomorrow = date.today() + timedelta(days=1)
    monkeypatch.setattr(pagecache, "local_today", lambda: tomorrow)
    monkeypatch.setattr("lms.main.routes.local_today", lambda: tomorrow)
    assert "in 27 days" in words(client.get("/"))


def test_the_kept_pages_forms_carry_this_sessions_csrf_token(tmp_path, database_url, content, plan_file):
    app = make_test_app(database_url, tmp_path, PROJECT_ROOT=content.root, TRAINING_PLAN=str(plan_file),
                        WTF_CSRF_ENABLED=True)
    reset_schema(app)
    with app.app_context():
        user = make_user()
        client = app.test_client()
        with client.session_transaction() as sess:
            sess["_user_id"] = session_key(user)
        kept_page = kept(client)
        assert pagecache.page_cache().hits >= 1
        html = client.get("/").get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
        response = client.post("/logout", data={"csrf_token": token})
        assert response.status_code in (302, 303), kept_page
        assert client.get("/").status_code == 302  # signed out: sent to sign in
        db.session.remove()
        db.engine.dispose()


def test_a_change_through_one_app_process_shows_in_the_others_kept_page(tmp_path, database_url, content, plan_file):
    """Two app processes (two servers) with their own caches over one database."""
    apps = [
        make_test_app(database_url, tmp_path, PROJECT_ROOT=content.root, TRAINING_PLAN=str(plan_file))
        for _ in range(2)
    ]
    reset_schema(apps[0])
    with apps[0].app_context():
        content.course("alpha", title="Alpha course")
        sync_content()
        user = make_user(categories=("staff",), start_date=date.today())
        token, user_id = session_key(user), user.id
        db.session.remove()
    clients = [app.test_client() for app in apps]
    for client in clients:
        with client.session_transaction() as sess:
            sess["_user_id"] = token
    with apps[1].app_context():
        assert "Your progress: 0 of 1 complete" in kept(clients[1])
    with apps[0].app_context():
        db.session.add(Completion(user_id=user_id, kind="course", ref="alpha", completed_on=date.today(), source="lms"))
        db.session.commit()
        db.session.remove()
    with apps[1].app_context():
        assert "Your progress: 1 of 1 complete" in words(clients[1].get("/"))
    for app in apps:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
