"""Every paginated list answers a nonsense ?page= with "page not found", never a 500."""

from __future__ import annotations

from pathlib import Path

import pytest

import lms

from .content import QUIZ
from .factories import make_user, sync_content

LISTS = [
    "/admin/people",
    "/admin/audit",
    "/admin/outbox",
    "/self-certifications",
    "/quiz-results/check",
    "/dashboard",
    "/dashboard/overdue",
]
NONSENSE = [str(10**30), "-1", "0", "abc", "1e3", "9" * 5000, "2.5", ""]


@pytest.fixture
def app_overrides(content):
    return {"PROJECT_ROOT": content.root}


def test_a_nonsense_page_number_is_not_found_on_every_list(client, auth, content):
    content.quiz("check", QUIZ.format(title="Check"))
    sync_content()
    make_user(name="Somebody")
    auth.login_as("admin", categories=("visitor",))
    for url in LISTS:
        assert client.get(url).status_code == 200, url
        assert client.get(f"{url}?page=1").status_code == 200, url
        for page in NONSENSE:
            assert client.get(f"{url}?page={page}").status_code == 404, (url, page[:40])


def test_every_list_reads_its_page_through_lms_pagination():
    """db.paginate on its own reads ?page= unchecked, and a huge one overflows the database's
    OFFSET: so views use lms.pagination.paginate, paginate_list or requested_page."""
    root = Path(lms.__file__).parent
    direct = [str(p.relative_to(root)) for p in root.rglob("*.py") if "db.paginate(" in p.read_text()]
    assert direct == ["pagination.py"]
