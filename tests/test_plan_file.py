"""The training plan file: parsing, every error named with its line, merging terms."""

import tomllib
from datetime import date
from pathlib import Path

import pytest

from lms.models import CATEGORIES
from lms.plan import DEFAULT_PLAN, PlanError, check_refs, parse_plan, read_plan
from lms.plan.compliance import Facts, Person, items_for

ROOT = Path(__file__).parent.parent


def requirements(plan, held, titles=None):
    """The items a person holding these categories (from these days) must meet, by the rule
    every page and report uses."""
    person = Person(1, "", "", min(held.values()), True, tuple(sorted(held.items())))
    return items_for(plan, Facts(today=date(2026, 1, 1), people=[person], titles=titles or {}), person)


def shipped_refs():
    """Refs of the content on disk, read directly (independent of the pack loader)."""
    courses = {p.parent.name for p in (ROOT / "courses").glob("*/course.toml")}
    quizzes = {p.stem for p in (ROOT / "quizzes").glob("*.toml")}
    policies = set()
    for p in (ROOT / "courses").glob("*/course.toml"):
        data = tomllib.loads(p.read_text())
        if "policy" in data:
            policies.add(data["policy"]["ref"])
    return {"course": courses, "quiz": quizzes, "policy": policies}


def test_shipped_plan_covers_every_category_and_every_ref_exists():
    plan, text = read_plan(DEFAULT_PLAN)
    covered = {c for entry in plan.entries for c in entry.categories}
    assert covered == set(CATEGORIES)
    assert check_refs(plan, text, shipped_refs()) == []
    kinds = {entry.kind for entry in plan.entries}
    assert kinds == {"course", "quiz", "certificate", "attestation", "policy"}
    directors = {(r.kind, r.ref) for r in requirements(plan, {"director": date(2026, 1, 1)})}
    assert ("attestation", "director-self-certification") in directors
    visitor = requirements(plan, {"visitor": date(2026, 1, 1)})
    assert [(r.kind, r.ref) for r in visitor] == [("policy", "ecpt-prevent-policy")]


GOOD = """
warning_days = 21

[[requirements]]
ref = "prevent-awareness"
kind = "course"
categories = ["staff", "trainer"]
due_days = 28
renew_months = 36

[[requirements]]
ref = "prevent-awareness"
kind = "course"
categories = ["contractor"]
due_days = 14
renew_months = 12

[[requirements]]
ref = "home-office-prevent-awareness"
kind = "certificate"
categories = ["staff"]
due_days = 60

[[certificate_types]]
ref = "home-office-prevent-awareness"
title = "Prevent duty awareness course"
provider = "Home Office"
url = "https://www.gov.uk/guidance/prevent-duty-training"
"""


def test_strictest_terms_win_and_apply_from_the_earliest_category():
    plan = parse_plan(GOOD, Path("plan.toml"))
    assert plan.warning_days == 21
    person = requirements(
        plan,
        {"staff": date(2026, 1, 5), "contractor": date(2026, 3, 1)},
        titles={("course", "prevent-awareness"): "Prevent awareness"},
    )
    by_key = {r.key: r for r in person}
    course = by_key[("course", "prevent-awareness")]
    assert (course.due_days, course.renew_months, course.applies_from) == (14, 12, date(2026, 1, 5))
    assert course.title == "Prevent awareness"
    cert = by_key[("certificate", "home-office-prevent-awareness")]
    assert cert.renew_months is None and cert.title == "Prevent duty awareness course"
    assert requirements(plan, {"visitor": date(2026, 1, 1)}) == []


def test_absent_renewal_counts_as_never_lapsing_when_merging():
    text = GOOD.replace("due_days = 60", "due_days = 60\nrenew_months = 24") + """
[[requirements]]
ref = "home-office-prevent-awareness"
kind = "certificate"
categories = ["trainer"]
due_days = 90
"""
    plan = parse_plan(text, Path("plan.toml"))
    (cert,) = [r for r in requirements(plan, {"staff": date(2026, 1, 1), "trainer": date(2026, 1, 1)}) if r.kind == "certificate"]
    assert cert.renew_months == 24 and cert.due_days == 60


@pytest.mark.parametrize(
    "change,expected",
    [
        (('categories = ["contractor"]', 'categories = ["contractors", "wizard"]'),
         ":14: requirements entry 'prevent-awareness' (course): categories: unknown categories 'contractors', 'wizard'"),
        (("due_days = 14", "due_days = -3"),
         ":15: requirements entry 'prevent-awareness' (course): due_days: Input should be greater than or equal to 0"),
        (("due_days = 14", 'due_days = "two weeks"'),
         ":15: requirements entry 'prevent-awareness' (course): due_days: Input should be a valid integer"),
        (('kind = "certificate"', 'kind = "webinar"'),
         ":20: requirements entry 'home-office-prevent-awareness' (webinar): kind: Input should be 'course', 'quiz', 'certificate', 'attestation' or 'policy'"),
        (("renew_months = 12", "renew_months = 12\nrenew_month = 6"),
         ":17: requirements entry 'prevent-awareness' (course): renew_month: unknown field"),
        (('url = "https://www.gov.uk/guidance/prevent-duty-training"', 'url = "not a url"'),
         "certificate_types entry 'home-office-prevent-awareness': url:"),
    ],
)
def test_errors_name_the_file_line_entry_and_field(change, expected):
    text = GOOD.replace(*change)
    assert text != GOOD
    with pytest.raises(PlanError) as info:
        parse_plan(text, Path("plan.toml"))
    assert any(expected in e for e in info.value.errors), info.value.errors
    assert all(e.startswith("plan.toml") for e in info.value.errors)


def test_every_error_is_listed_not_just_the_first():
    text = GOOD.replace("due_days = 28", "due_days = -1").replace("due_days = 14", "due_days = x")
    text = text.replace("due_days = x", 'due_days = "x"')
    with pytest.raises(PlanError) as info:
        parse_plan(text, Path("plan.toml"))
    assert len(info.value.errors) == 2


def test_bad_toml_is_named():
    with pytest.raises(PlanError) as info:
        parse_plan('warning_days = 30\n[[requirements]\nref = "x"', Path("plan.toml"))
    assert "plan.toml: not valid TOML" in info.value.errors[0] and "line 2" in info.value.errors[0]


def test_unknown_refs_are_named():
    plan = parse_plan(GOOD.replace('ref = "home-office-prevent-awareness"\nkind', 'ref = "home-office-other"\nkind'), Path("p.toml"))
    errors = check_refs(plan, GOOD, {"course": {"british-values"}})
    assert any("'prevent-awareness' (course): no course with this ref" in e for e in errors)
    assert any("'home-office-other' (certificate): no certificate with this ref" in e for e in errors)


def test_missing_plan_file_is_named(tmp_path):
    with pytest.raises(PlanError, match="cannot read the training plan"):
        read_plan(tmp_path / "nope.toml")


def test_an_item_titled_two_ways_is_refused_with_the_line():
    """One name per item: a Lead, a report and a reminder all call it the same."""
    text = GOOD.replace('ref = "prevent-awareness"\nkind = "course"\ncategories = ["contractor"]',
                        'ref = "prevent-awareness"\nkind = "course"\ntitle = "Contractor refresher"\ncategories = ["contractor"]')
    alike = text.replace('ref = "prevent-awareness"\nkind = "course"\ncategories = ["staff", "trainer"]',
                         'ref = "prevent-awareness"\nkind = "course"\ntitle = "Contractor refresher"\ncategories = ["staff", "trainer"]')
    plan = parse_plan(alike, Path("plan.toml"))
    titles = {r.title for held in ({"contractor": date(2026, 1, 1)}, {"staff": date(2026, 1, 1)})
              for r in requirements(plan, held) if r.kind == "course"}
    assert titles == {"Contractor refresher"}
    differ = text.replace('ref = "prevent-awareness"\nkind = "course"\ncategories = ["staff", "trainer"]',
                          'ref = "prevent-awareness"\nkind = "course"\ntitle = "Full induction"\ncategories = ["staff", "trainer"]')
    with pytest.raises(PlanError) as caught:
        parse_plan(differ, Path("plan.toml"))
    (error,) = caught.value.errors
    assert error.startswith("plan.toml:15: course 'prevent-awareness' is titled 'Full induction' by an earlier entry")


def test_the_shipped_plan_names_each_course_and_quiz_as_its_pack_does():
    plan, _ = read_plan(DEFAULT_PLAN)
    packs = {("course", p.parent.name): tomllib.loads(p.read_text())["title"] for p in (ROOT / "courses").glob("*/course.toml")}
    packs |= {("quiz", p.stem): tomllib.loads(p.read_text())["title"] for p in (ROOT / "quizzes").glob("*.toml")}
    named = {(e.kind, e.ref): e.title for e in plan.entries if e.kind in ("course", "quiz")}
    assert named == {key: packs[key] for key in named}

