"""The status rule, by example at every boundary day and by property (no database)."""

from datetime import date, timedelta

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from lms.plan import STATUS_ORDER, Status, add_months, evaluate

START = date(2026, 1, 10)


def status_on(today, completions=(), pending=False, renew=12, due=28, warning=30):
    return evaluate(
        applies_from=START,
        due_days=due,
        renew_months=renew,
        completions=completions,
        pending=pending,
        today=today,
        warning_days=warning,
    )


@pytest.mark.parametrize(
    "start,months,expected",
    [
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2028, 1, 31), 1, date(2028, 2, 29)),
        (date(2026, 3, 31), 1, date(2026, 4, 30)),
        (date(2026, 12, 15), 1, date(2027, 1, 15)),
        (date(2026, 11, 30), 3, date(2027, 2, 28)),
        (date(2024, 2, 29), 12, date(2025, 2, 28)),
        (date(2026, 5, 5), 36, date(2029, 5, 5)),
    ],
)
def test_add_months_clamps_to_the_month_end(start, months, expected):
    assert add_months(start, months) == expected


def test_due_until_the_deadline_day_then_overdue():
    deadline = START + timedelta(days=28)
    assert status_on(deadline - timedelta(days=1)).status is Status.DUE
    on_deadline = status_on(deadline)
    assert on_deadline.status is Status.DUE and on_deadline.deadline == deadline
    assert status_on(deadline + timedelta(days=1)).status is Status.OVERDUE


def test_pending_evidence_without_a_completion():
    assert status_on(START + timedelta(days=100), pending=True).status is Status.PENDING
    assert status_on(START, pending=True).status is Status.PENDING


def test_completion_without_renewal_is_complete_for_ever():
    result = status_on(date(2040, 1, 1), completions=[date(2026, 2, 1)], renew=None)
    assert result.status is Status.COMPLETE and result.valid_until is None
    assert result.completed_on == date(2026, 2, 1)


def test_complete_then_expiring_then_expired_at_each_boundary():
    done = date(2026, 1, 31)
    valid_until = date(2027, 1, 31)
    warn_from = valid_until - timedelta(days=30)
    assert status_on(warn_from - timedelta(days=1), [done]).status is Status.COMPLETE
    assert status_on(warn_from, [done]).status is Status.EXPIRING
    last_valid = status_on(valid_until - timedelta(days=1), [done])
    assert last_valid.status is Status.EXPIRING and last_valid.valid_until == valid_until
    assert status_on(valid_until, [done]).status is Status.EXPIRED
    assert status_on(valid_until, [done], pending=True).status is Status.PENDING


def test_month_end_clamp_in_valid_until():
    result = status_on(date(2026, 2, 1), [date(2026, 1, 31)], renew=1, warning=0)
    assert result.valid_until == date(2026, 2, 28)
    assert status_on(date(2026, 2, 28), [date(2026, 1, 31)], renew=1, warning=0).status is Status.EXPIRED


def test_only_completions_on_or_before_today_count():
    future = date(2026, 3, 1)
    assert status_on(date(2026, 2, 28), [future]).status is Status.OVERDUE
    assert status_on(date(2026, 3, 1), [future]).status is Status.COMPLETE


def test_latest_completion_counts():
    result = status_on(date(2027, 6, 1), [date(2026, 1, 1), date(2026, 12, 1), date(2025, 1, 1)])
    assert result.completed_on == date(2026, 12, 1)
    assert result.valid_until == date(2027, 12, 1)


def test_zero_warning_days_never_expiring():
    assert status_on(date(2027, 1, 30), [date(2026, 1, 31)], warning=0).status is Status.COMPLETE


def test_pending_does_not_hide_a_valid_completion():
    assert status_on(date(2026, 3, 1), [date(2026, 2, 1)], pending=True).status is Status.COMPLETE


# --- properties ---------------------------------------------------------------------------

dates = st.dates(min_value=date(2015, 1, 1), max_value=date(2040, 12, 31))
renewals = st.one_of(st.none(), st.integers(min_value=1, max_value=60))
RANK = {s: i for i, s in enumerate(STATUS_ORDER)}  # higher is better


def run(applies_from, due, renew, completions, pending, today, warning):
    return evaluate(
        applies_from=applies_from,
        due_days=due,
        renew_months=renew,
        completions=completions,
        pending=pending,
        today=today,
        warning_days=warning,
    )


common = dict(
    applies_from=dates,
    due=st.integers(min_value=0, max_value=365),
    renew=renewals,
    completions=st.lists(dates, max_size=4),
    pending=st.booleans(),
    today=dates,
    warning=st.integers(min_value=0, max_value=90),
)


@settings(max_examples=400, deadline=None)
@given(days_ago=st.integers(min_value=0, max_value=26), **common)
def test_a_completion_still_valid_today_never_makes_status_worse(
    days_ago, applies_from, due, renew, completions, pending, today, warning
):
    # Done within the last 26 days: still valid today whatever the renewal (at least a month).
    new = today - timedelta(days=days_ago)
    assume(renew is None or add_months(new, renew) > today)
    before = run(applies_from, due, renew, completions, pending, today, warning)
    after = run(applies_from, due, renew, [*completions, new], pending, today, warning)
    assert RANK[after.status] >= RANK[before.status]
    assert after.status.is_done


@settings(max_examples=400, deadline=None)
@given(new=dates, **common)
def test_adding_any_completion_keeps_a_done_item_done(
    new, applies_from, due, renew, completions, pending, today, warning
):
    before = run(applies_from, due, renew, completions, pending, today, warning)
    after = run(applies_from, due, renew, [*completions, new], pending, today, warning)
    if before.status.is_done:
        assert after.status.is_done
        assert after.valid_until is None or after.valid_until >= before.valid_until


@settings(max_examples=400, deadline=None)
@given(later=st.integers(min_value=0, max_value=4000), **common)
def test_time_never_turns_expired_back_to_complete(
    later, applies_from, due, renew, completions, pending, today, warning
):
    assume(all(c <= today for c in completions))  # nothing new gets done meanwhile
    before = run(applies_from, due, renew, completions, pending, today, warning)
    after = run(applies_from, due, renew, completions, pending, today + timedelta(days=later), warning)
    if before.status is Status.EXPIRED:
        assert after.status is Status.EXPIRED
    if before.status is Status.OVERDUE:
        assert after.status is Status.OVERDUE
    if not before.status.is_done:
        assert not after.status.is_done


@settings(max_examples=400, deadline=None)
@given(**common)
def test_result_is_consistent(applies_from, due, renew, completions, pending, today, warning):
    result = run(applies_from, due, renew, completions, pending, today, warning)
    assert result.deadline == applies_from + timedelta(days=due)
    counted = [c for c in completions if c <= today]
    assert result.completed_on == (max(counted) if counted else None)
    if result.status is Status.COMPLETE and result.valid_until is not None:
        assert today < result.valid_until - timedelta(days=warning)
    if result.status in (Status.DUE, Status.OVERDUE):
        assert not counted and not pending
    if result.status is Status.PENDING:
        assert pending
