import re
import stat

import pytest
from markupsafe import escape
from sqlalchemy import func, select

from lms.config import load_settings
from lms.extensions import db
from lms.models import AuditEvent, OrgSetting

from .conftest import make_test_app, reset_schema


def assert_security_headers(response):
    headers = response.headers
    csp = headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"]


def test_security_headers_on_every_kind_of_response(client):
    for url in ("/login", "/raise-a-concern", "/healthz", "/no-such-page", "/static/lms.css"):
        assert_security_headers(client.get(url))


def test_pages_have_no_inline_script_or_style(client, auth):
    auth.login_as("admin")
    for url in ("/", "/raise-a-concern", "/admin/people", "/admin/people/invite", "/admin/settings/contacts"):
        html = client.get(url).get_data(as_text=True)
        assert not re.search(r"<script(?![^>]*\bsrc=)", html), url
        assert "style=" not in html and "<style" not in html, url
        assert re.search(r" on[a-z]+=", html) is None, url


def test_raise_a_concern_is_one_click_from_every_page(client, auth):
    for url in ("/login", "/forgot-password", "/no-such-page"):
        assert 'href="/raise-a-concern"' in client.get(url).get_data(as_text=True), url
    auth.login_as("learner")
    assert 'href="/raise-a-concern"' in client.get("/").get_data(as_text=True)


def test_cookies_are_httponly_and_lax(client):
    from tests.factories import make_user

    make_user(email="ada@example.org", password="correct horse battery")
    response = client.post("/login", data={"email": "ada@example.org", "password": "correct horse battery"})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


def test_cookies_are_secure_when_https_is_on(database_url, tmp_path):
    app = make_test_app(database_url, tmp_path, HTTPS=True, SESSION_COOKIE_SECURE=True)
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_raise_a_concern_shows_national_routes_until_contacts_are_set(client, auth):
    page = client.get("/raise-a-concern").get_data(as_text=True)
    assert "0800 789 321" in page and "999" in page
    assert "Safeguarding Lead" in page and "Prevent Lead" in page
    assert "contacts are not set yet" not in page  # the notice is for admins only
    auth.login_as("admin")
    page = client.get("/raise-a-concern").get_data(as_text=True)
    assert "contacts are not set yet" in page


def test_admin_sets_contacts_and_the_change_is_audited(client, auth):
    admin = auth.login_as("admin")
    response = client.post(
        "/admin/settings/contacts",
        data={
            "lead_name": "Sam Safeguard",
            "lead_phone": "01234 567890",
            "lead_email": "sam@ecpt.example",
            "deputy_name": "Dee Deputy",
            "prevent_team_phone": "0300 123 4567",
        },
    )
    assert response.status_code == 302
    page = client.get("/raise-a-concern").get_data(as_text=True)
    assert "Sam Safeguard" in page and "01234 567890" in page and "Dee Deputy" in page
    assert "contacts are not set yet" not in page
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "settings.contacts_changed")).one()
    assert event.actor_id == admin.id
    assert event.details["changes"]["lead_name"] == {"before": "", "after": "Sam Safeguard"}
    # Saving again unchanged records nothing new.
    client.post("/admin/settings/contacts", data={"lead_name": "Sam Safeguard", "lead_phone": "01234 567890",
                                                  "lead_email": "sam@ecpt.example", "deputy_name": "Dee Deputy",
                                                  "prevent_team_phone": "0300 123 4567"})
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == 1


def test_contacts_bad_input_saves_nothing(client, auth):
    auth.login_as("admin")
    response = client.post("/admin/settings/contacts", data={"lead_email": "not an email", "lead_name": "x" * 300})
    assert response.status_code == 200
    assert b"There is a problem" in response.data
    assert b"Enter an email address in the correct format" in response.data
    assert b"Must be 200 characters or fewer" in response.data
    assert db.session.scalar(select(func.count()).select_from(OrgSetting)) == 0


GOOD_NUMBERS = {
    "01234 567890": "01234567890",
    "020 7946 0000": "02079460000",
    "(020) 7946-0000": "02079460000",
    "07700 900123": "07700900123",
    "0800 789 321": "0800789321",
    "+44 20 7946 0000": "+442079460000",
    "+44 (0)20 7946 0000": "+442079460000",
    "0044 1632 960000": "+441632960000",
    "999": "999",
    "101": "101",
    "111": "111",
    "116 123": "116123",
}
BAD_NUMBERS = [
    "call the office", "Ext. 2041", "020 7946 0000 ext 12", "12345", "0207 946", "+1 212 555 0100",
    "00 33 1 23 45 67 89", "+44 020 7946 0000", "javascript:alert(1)", "0800 789 321; 999", "١٠١",
]


def test_phone_numbers_are_uk_numbers_or_short_numbers_and_become_working_links(client, auth):
    auth.login_as("admin")
    for typed, dialled in GOOD_NUMBERS.items():
        response = client.post("/admin/settings/contacts", data={"lead_name": "Sam", "lead_phone": typed})
        assert response.status_code == 302, typed
        html = client.get("/raise-a-concern").get_data(as_text=True)
        assert f'<a href="tel:{dialled}">{escape(typed)}</a>' in html, typed


def test_any_other_phone_number_is_refused_with_a_clear_message_and_nothing_saved(client, auth):
    auth.login_as("admin")
    for field in ("lead_phone", "deputy_phone", "prevent_team_phone"):
        for typed in BAD_NUMBERS:
            response = client.post("/admin/settings/contacts", data={"lead_name": "Sam", field: typed})
            assert response.status_code == 200, (field, typed)
            page = response.get_data(as_text=True)
            assert "There is a problem" in page and "Enter a UK phone number, like 020 7946 0000" in page, typed
            assert f'href="#{field}"' in page  # the error summary links to the field
    assert db.session.scalar(select(func.count()).select_from(OrgSetting)) == 0


def test_a_number_saved_before_numbers_were_checked_is_shown_without_a_broken_link(client, auth):
    db.session.add(OrgSetting(key="lead_phone", value="ring reception"))
    db.session.commit()
    html = client.get("/raise-a-concern").get_data(as_text=True)
    assert "<dd>ring reception</dd>" in html and 'href="tel:ring' not in html


def test_lead_cannot_edit_contacts(client, auth):
    auth.login_as("lead")
    assert client.post("/admin/settings/contacts", data={"lead_name": "Mallory"}).status_code == 403
    assert db.session.scalar(select(func.count()).select_from(OrgSetting)) == 0


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json == {"status": "ok"}


def test_error_pages_use_the_shell(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert b"Page not found" in response.data and b"Skip to main content" in response.data


def test_server_error_page_rolls_back(app, client):
    @app.get("/boom-for-test")
    def boom():  # registered after startup only for this test
        raise RuntimeError("boom")

    boom.required_permission = "public"
    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = client.get("/boom-for-test")
    assert response.status_code == 500
    assert b"Sorry, something went wrong" in response.data
    assert b"boom" not in response.data


@pytest.fixture
def csrf_app(database_url, tmp_path):
    app = make_test_app(database_url, tmp_path, WTF_CSRF_ENABLED=True)
    reset_schema(app)
    with app.app_context():
        yield app
        db.session.remove()


@pytest.mark.parametrize(
    "url,data",
    [
        ("/login", {"email": "a@example.org", "password": "whatever password"}),
        ("/forgot-password", {"email": "a@example.org"}),
    ],
)
def test_missing_csrf_token_is_refused(csrf_app, url, data):
    client = csrf_app.test_client()
    response = client.post(url, data=data)
    assert response.status_code == 400
    assert b"nothing was saved" in response.data


def test_csrf_refused_on_signed_in_forms(csrf_app):
    from tests.factories import make_user, session_key

    client = csrf_app.test_client()
    user = make_user(permission=__import__("lms").models.Permission.ADMIN)
    with client.session_transaction() as sess:
        sess["_user_id"] = session_key(user)
    for url in ("/admin/people/invite", "/admin/settings/contacts", "/account/password", "/logout"):
        assert client.post(url, data={"name": "x"}).status_code == 400, url
    assert db.session.scalar(select(func.count()).select_from(OrgSetting)) == 0


def test_settings_file_and_environment(tmp_path):
    (tmp_path / "lms.toml").write_text('org_name = "Example Org"\npage_size = 20\nhttps = true\n')
    values = load_settings(tmp_path, environ={"LMS_PAGE_SIZE": "30"})
    assert values["ORG_NAME"] == "Example Org"
    assert values["PAGE_SIZE"] == 30  # the environment wins over the file
    assert values["HTTPS"] is True
    assert values["DATABASE_URL"] == f"sqlite:///{tmp_path / 'lms.sqlite3'}"


def test_bad_settings_are_named(tmp_path):
    with pytest.raises(ValueError, match="LMS_PAGE_SIZE must be a whole number"):
        load_settings(tmp_path, environ={"LMS_PAGE_SIZE": "lots"})
    (tmp_path / "lms.toml").write_text('colour = "blue"\n')
    with pytest.raises(ValueError, match="unknown setting 'colour'"):
        load_settings(tmp_path, environ={})


def test_secret_key_is_generated_once_with_mode_0600(database_url, tmp_path):
    first = make_test_app(database_url, tmp_path)
    second = make_test_app(database_url, tmp_path)
    key_file = tmp_path / "instance" / "secret_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"]
    assert len(first.config["SECRET_KEY"]) >= 64


def test_instance_path_from_environment(monkeypatch, tmp_path):
    from lms import create_app

    monkeypatch.setenv("LMS_INSTANCE_PATH", str(tmp_path / "elsewhere"))
    app = create_app({"TESTING": True, "BASE_URL": "http://localhost"})
    assert app.instance_path == str(tmp_path / "elsewhere")
    assert (tmp_path / "elsewhere" / "secret_key").exists()
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("elsewhere/lms.sqlite3")


def test_readme_documents_every_setting():
    from pathlib import Path

    from lms.config import SETTINGS

    readme = (Path(__file__).parent.parent / "README.md").read_text()
    for setting in SETTINGS:
        assert f"`LMS_{setting.name}`" in readme, setting.name


def test_every_post_route_refuses_a_missing_csrf_token(csrf_app):
    """Whatever the route, a POST without the CSRF token changes nothing and answers 400."""
    from werkzeug.routing import IntegerConverter

    from lms.models import Permission
    from tests.factories import make_user, session_key

    client = csrf_app.test_client()
    user = make_user(permission=Permission.ADMIN)
    with client.session_transaction() as sess:
        sess["_user_id"] = session_key(user)
    posts = [rule for rule in csrf_app.url_map.iter_rules() if "POST" in rule.methods]
    assert len(posts) > 20
    before = db.session.scalar(select(func.count()).select_from(AuditEvent))
    for rule in posts:
        values = {name: 1 if isinstance(conv, IntegerConverter) else "x" for name, conv in rule._converters.items()}
        with csrf_app.test_request_context():
            from flask import url_for

            url = url_for(rule.endpoint, **values)
        response = client.post(url, data={"name": "x", "email": "x@example.org"})
        assert response.status_code == 400, f"{rule.endpoint}: {response.status_code}"
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == before
