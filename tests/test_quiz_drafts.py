"""Answers saved as the learner goes: saved without JavaScript by the "Save answers" button
(and by the page's script, which asks for JSON), resumed in a new session with the same
draw, used by the submission, refused for anyone else's attempt and once it is submitted."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select, update
from werkzeug.datastructures import MultiDict

from lms.extensions import db
from lms.models import QuizAttempt, QuizDraftAnswer, QuizResponse, User

from .factories import session_key, sync_content
from .test_quizzes import POOL, RIGHT, WRONG, answer_form, plain, start


@pytest.fixture
def app_overrides(content):
    return {"PROJECT_ROOT": content.root}


@pytest.fixture
def synced(app, content):
    content.course("alpha", title="Alpha course", extra='quiz = "alpha"\n')
    content.quiz("alpha", POOL.format(settings="shuffle = true", partial=""))
    sync_content()
    return content


def save(client, attempt_id: int, answers, json: bool = False):
    headers = {"Accept": "application/json"} if json else {}
    return client.post(
        f"/quizzes/alpha/attempts/{attempt_id}/answers", data=answer_form(attempt_id, answers), headers=headers
    )


def checked(page: str) -> dict[str, list[str]]:
    """The answers a browser would send from the page as drawn: its checked inputs."""
    found: dict[str, list[str]] = {}
    for tag in re.findall(r"<input [^>]*>", page):
        if " checked" in tag:
            name = re.search(r'name="([^"]+)"', tag).group(1)
            found.setdefault(name, []).append(re.search(r'value="([^"]+)"', tag).group(1))
    return {name: sorted(values) for name, values in found.items()}


def shown_order(page: str) -> list[str]:
    """The questions' field names in the order the page shows them."""
    return list(dict.fromkeys(re.findall(r'name="(q-[^"]+)"', page)))


def drafts_of(attempt_id: int) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = {}
    for row in db.session.scalars(select(QuizDraftAnswer).where(QuizDraftAnswer.attempt_id == attempt_id)):
        fields.update(row.fields)
    return fields


def version_of(user_id: int) -> int:
    return db.session.scalar(select(User.data_version).where(User.id == user_id))


def test_saving_without_javascript_keeps_the_answers_and_shows_them_again(client, auth, synced):
    auth.login_as("learner")
    attempt_id = start(client)
    part = {"capital": RIGHT["capital"], "primes": RIGHT["primes"]}
    response = save(client, attempt_id, part)
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/quizzes/alpha/attempts/{attempt_id}")
    page = client.get(response.headers["Location"])
    assert "Your answers are saved: 2 of 4 questions answered." in plain(page)
    assert checked(page.get_data(as_text=True)) == {"q-capital": ["0"], "q-primes": ["0", "1", "3"]}
    assert drafts_of(attempt_id) == {"q-capital": ["0"], "q-primes": ["0", "1", "3"]}


def test_the_script_gets_json_and_stays_on_the_page(client, auth, synced):
    auth.login_as("learner")
    attempt_id = start(client)
    response = save(client, attempt_id, {"sky": ["1"]}, json=True)
    assert response.status_code == 200 and response.is_json
    assert response.json == {
        "answered": 1,
        "message": "Your answers are saved: 1 of 4 questions answered. You can leave this page and come back to finish.",
    }


def test_a_new_session_resumes_the_same_draw_with_the_answers_so_far(app, client, auth, synced):
    me = auth.login_as("learner")
    attempt_id = start(client)
    first = client.get(f"/quizzes/alpha/attempts/{attempt_id}").get_data(as_text=True)
    save(client, attempt_id, {"capital": ["1"], "water": ["1"]})

    laptop = app.test_client()  # the browser was closed: another session, no cookie shared
    with laptop.session_transaction() as sess:
        sess["_user_id"] = session_key(me)
    quiz_page = laptop.get("/quizzes/alpha")
    assert "You have answered 2 of 4 questions so far" in plain(quiz_page)
    assert f"/quizzes/alpha/attempts/{attempt_id}" in quiz_page.get_data(as_text=True)
    assert laptop.post("/quizzes/alpha/start").headers["Location"].endswith(f"/attempts/{attempt_id}")
    again = laptop.get(f"/quizzes/alpha/attempts/{attempt_id}").get_data(as_text=True)
    assert shown_order(again) == shown_order(first)  # the same questions, in the same order
    assert re.findall(r'value="(\d)"', again) == re.findall(r'value="(\d)"', first)  # options too
    assert checked(again) == {"q-capital": ["1"], "q-water": ["1"]}


def test_submitting_the_resumed_page_grades_the_saved_answers_and_clears_them(app, client, auth, synced):
    me = auth.login_as("learner")
    attempt_id = start(client)
    save(client, attempt_id, {qid: RIGHT[qid] for qid in ("capital", "primes", "sky")})
    laptop = app.test_client()
    with laptop.session_transaction() as sess:
        sess["_user_id"] = session_key(me)
    page = laptop.get(f"/quizzes/alpha/attempts/{attempt_id}").get_data(as_text=True)
    form = checked(page) | {"q-water": RIGHT["water"]}  # the last answer, given on the laptop
    response = laptop.post(f"/quizzes/alpha/attempts/{attempt_id}", data=form)
    assert response.status_code == 303
    attempt = db.session.get(QuizAttempt, attempt_id)
    assert attempt.submitted and attempt.score == 100 and attempt.passed
    assert db.session.scalar(select(func.count()).select_from(QuizResponse).where(QuizResponse.attempt_id == attempt_id)) == 4
    assert drafts_of(attempt_id) == {}


def test_a_later_save_replaces_the_earlier_one_and_an_unchanged_one_moves_nothing(client, auth, synced):
    me = auth.login_as("learner")
    attempt_id = start(client)
    save(client, attempt_id, {"capital": ["0"], "primes": ["0", "2"]})
    save(client, attempt_id, {"capital": ["2"]})  # primes: every box unticked again
    assert drafts_of(attempt_id) == {"q-capital": ["2"]}
    before = version_of(me.id)
    save(client, attempt_id, {"capital": ["2"]})
    assert version_of(me.id) == before
    save(client, attempt_id, {"capital": ["1"]})
    assert version_of(me.id) > before


def test_nobody_saves_into_someone_elses_attempt(app, client, auth, synced):
    auth.login_as("learner")
    attempt_id = start(client)
    save(client, attempt_id, {"capital": ["0"]})
    form = answer_form(attempt_id, WRONG)
    auth.login_as("learner")
    theirs = client.post(f"/quizzes/alpha/attempts/{attempt_id}/answers", data=form)
    missing = client.post("/quizzes/alpha/attempts/999999/answers", data=form)
    assert theirs.status_code == missing.status_code == 404
    assert drafts_of(attempt_id) == {"q-capital": ["0"]}


def test_a_submitted_attempt_refuses_saving(client, auth, synced):
    auth.login_as("learner")
    attempt_id = start(client)
    save(client, attempt_id, {"capital": ["0"]})
    client.post(f"/quizzes/alpha/attempts/{attempt_id}", data=answer_form(attempt_id, RIGHT))
    response = save(client, attempt_id, WRONG)
    assert response.status_code == 303 and response.headers["Location"].endswith("/result")
    assert "submitted already" in plain(client.get(response.headers["Location"]))
    response = save(client, attempt_id, WRONG, json=True)
    assert response.status_code == 409 and "submitted already" in response.json["message"]
    assert drafts_of(attempt_id) == {}
    chosen = db.session.scalars(select(QuizResponse.chosen).where(QuizResponse.attempt_id == attempt_id)).all()
    assert sorted(chosen) == ["0", "0", "013", "1"]  # as submitted


def test_answers_a_submission_would_refuse_are_not_saved(client, auth, synced):
    auth.login_as("learner")
    attempt_id = start(client)
    save(client, attempt_id, {"capital": ["0"]})
    for bad in ({"q-capital": ["7"]}, {"q-capital": ["0", "1"]}, {"q-nonsense": ["0"]}):
        response = client.post(f"/quizzes/alpha/attempts/{attempt_id}/answers", data=bad)
        assert response.status_code == 400
        assert "nothing was recorded" in plain(response) or "nothing was" in plain(response)
    assert drafts_of(attempt_id) == {"q-capital": ["0"]}


def test_a_saved_answer_changes_the_quiz_pages_etag(client, auth, synced):
    auth.login_as("learner")
    attempt_id = start(client)
    first = client.get("/quizzes/alpha")
    tag = first.headers["ETag"]
    assert client.get("/quizzes/alpha", headers={"If-None-Match": tag}).status_code == 304
    save(client, attempt_id, {"sky": ["0"]}, json=True)
    response = client.get("/quizzes/alpha", headers={"If-None-Match": tag})
    assert response.status_code == 200 and response.headers["ETag"] != tag
    assert "You have answered 1 of 4 questions so far" in plain(response)


def test_the_personal_data_export_holds_saved_answers(client, auth, synced):
    import io
    import json
    import zipfile

    learner = auth.login_as("learner")
    attempt_id = start(client)
    save(client, attempt_id, {"sky": ["0"]})
    auth.login_as("admin")
    response = client.post(f"/admin/people/{learner.id}/personal-data")
    assert response.status_code == 200
    with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
        saved = json.loads(archive.read("quiz_draft_answers.json"))
    assert [row["fields"] for row in saved] == [{"q-sky": ["0"]}]


def test_a_save_that_loses_a_race_with_the_submission_saves_nothing(client, auth, synced):
    """The page was loaded while in progress; the submission commits elsewhere (another tab,
    another server) before the save writes: the save's conditional update sees it."""
    from lms.quizzes import attempts, drafts

    auth.login_as("learner")
    attempt_id = start(client)
    attempt = db.session.get(QuizAttempt, attempt_id)
    questions = [q for q, _ in attempts.drawn_questions(attempt)]
    assert not attempt.submitted
    with db.engine.begin() as elsewhere:
        elsewhere.execute(update(QuizAttempt).where(QuizAttempt.id == attempt_id).values(state="submitted"))
    form = MultiDict(answer_form(attempt_id, {"capital": ["0"]}))
    with pytest.raises(attempts.AlreadySubmitted):
        drafts.save(attempt, questions, form)
    db.session.rollback()
    assert drafts_of(attempt_id) == {}
