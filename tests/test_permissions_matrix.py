"""Every route against anonymous, learner, director, lead and admin."""

import pytest
from werkzeug.routing import IntegerConverter

from lms.models import Permission
from lms.permissions import PUBLIC, declared_permission

from .route_matrix import ROUTES

ROLES = ["anonymous", "learner", "director", "lead", "admin"]


def _sample_url(app, rule):
    values = {}
    for name, converter in rule._converters.items():
        values[name] = 999999 if isinstance(converter, IntegerConverter) else "does-not-exist"
    with app.test_request_context():
        from flask import url_for

        return url_for(rule.endpoint, **values)


def _rules(app):
    return [rule for rule in app.url_map.iter_rules() if rule.endpoint != "static"]


def test_every_route_is_in_the_matrix(app):
    endpoints = {rule.endpoint for rule in _rules(app)}
    missing = endpoints - ROUTES.keys()
    assert not missing, f"add these endpoints to tests/route_matrix.py: {sorted(missing)}"
    stale = ROUTES.keys() - endpoints
    assert not stale, f"these endpoints no longer exist: {sorted(stale)}"


def test_each_view_declares_what_the_matrix_says(app):
    for endpoint, expected in ROUTES.items():
        declared = declared_permission(app.view_functions[endpoint])
        wanted = PUBLIC if expected == "public" else Permission.parse(expected)
        assert declared == wanted, endpoint


@pytest.mark.parametrize("role", ROLES)
def test_route_matrix(app, client, auth, role):
    if role != "anonymous":
        auth.login_as(role)
    for rule in _rules(app):
        url = _sample_url(app, rule)
        method = "GET" if "GET" in rule.methods else "POST"
        response = client.open(url, method=method)
        needed = ROUTES[rule.endpoint]
        where = f"{method} {url} as {role}"
        assert response.status_code != 500, where
        redirected_to_login = response.status_code == 302 and response.headers[
            "Location"
        ].startswith("/login?next=")
        if needed == "public":
            assert response.status_code != 403 and not redirected_to_login, where
        elif role == "anonymous":
            assert redirected_to_login, where
        elif Permission.parse(role) < Permission.parse(needed):
            assert response.status_code == 403, where
        else:
            assert response.status_code != 403 and not redirected_to_login, where
        if rule.endpoint == "auth.logout" and role != "anonymous":
            auth.login_as(role)
