"""Discovery and sync: one transaction, content hash as version, history kept."""

from __future__ import annotations

import sys

import pytest
from sqlalchemy import func, select

from lms.extensions import db
from lms.models import (
    AuditEvent,
    Course,
    CourseImage,
    CourseVersion,
    Lesson,
    Quiz,
    QuizQuestion,
    QuizVersion,
)
from lms.packs import registry
from lms.packs.operations import ContentInvalid

from .conftest import make_test_app
from .content import PNG, ContentDir
from .factories import sync_content


@pytest.fixture
def app_overrides(content):
    return {"PROJECT_ROOT": content.root}


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def course(slug: str) -> Course:
    return db.session.scalar(select(Course).where(Course.slug == slug))


def test_sync_stores_packs_and_syncing_again_changes_nothing(app, content):
    content.course("alpha", extra='quiz = "alpha"\naudience = "Everyone"\n')
    content.course("beta", title="Beta")
    content.quiz("alpha")
    changes = sync_content()
    assert changes["course"].added == ["alpha", "beta"]
    assert changes["quiz"].added == ["alpha"]
    alpha = course("alpha")
    version = alpha.current_version
    assert (version.title, version.minutes, version.order, version.audience, version.quiz_slug) == (
        "Sample course", 10, 10, "Everyone", "alpha")
    assert [(lesson.position, lesson.slug, lesson.title) for lesson in version.lessons] == [
        (1, "first", "First lesson"), (2, "second", "Second lesson"), (3, "third", "Third lesson")]
    assert "<p>The first lesson's text.</p>" in version.lessons[0].html
    assert len(version.hash) == 64

    again = sync_content()
    assert again["course"].unchanged == ["alpha", "beta"] and not again["course"].updated
    assert again["quiz"].unchanged == ["alpha"]
    assert count(CourseVersion) == 2 and count(QuizVersion) == 1 and count(Lesson) == 6
    assert count(AuditEvent) == 1  # the first sync only


def test_a_change_makes_a_new_version_and_keeps_the_old(app, content):
    content.course("alpha")
    sync_content()
    old = course("alpha").current_version
    old_hashes = [lesson.content_hash for lesson in old.lessons]
    content.lesson("alpha", "02-second.md", "# Second lesson\n\nRewritten.\n")
    changes = sync_content()
    assert changes["course"].updated == ["alpha"]
    new = course("alpha").current_version
    assert new.id != old.id and new.hash != old.hash
    new_hashes = [lesson.content_hash for lesson in new.lessons]
    assert new_hashes[0] == old_hashes[0] and new_hashes[2] == old_hashes[2]
    assert new_hashes[1] != old_hashes[1]
    db.session.expire_all()
    kept = db.session.get(CourseVersion, old.id)
    assert "The second lesson's text." in kept.lessons[1].html
    assert [v.id for v in course("alpha").versions] == [old.id, new.id]

    content.lesson("alpha", "02-second.md", "# Second lesson\n\nThe second lesson's text.\n")
    sync_content()
    assert course("alpha").current_version_id == old.id  # undone: the old version again
    assert count(CourseVersion) == 2


def test_a_pack_that_disappears_is_archived_with_its_history(app, content):
    folder = content.course("alpha")
    quiz = content.quiz("alpha")
    sync_content()
    version_id = course("alpha").current_version_id
    hidden = folder.rename(folder.parent / ".alpha-hidden")
    quiz.unlink()
    changes = sync_content()
    assert changes["course"].archived == ["alpha"] and changes["quiz"].archived == ["alpha"]
    assert course("alpha").archived and course("alpha").current_version_id == version_id
    assert count(Lesson) == 3 and count(QuizQuestion) == 2
    hidden.rename(folder)
    assert sync_content()["course"].updated == ["alpha"]
    assert not course("alpha").archived and course("alpha").current_version_id == version_id


def test_one_bad_pack_means_nothing_is_synced(app, content):
    content.course("alpha")
    sync_content()
    before = course("alpha").current_version_id
    content.lesson("alpha", "02-second.md", "# Second\n\nChanged.\n")
    content.course("beta")
    content.quiz("broken", text="title = 'no pass mark'\n")
    with pytest.raises(ContentInvalid) as info:
        sync_content()
    assert [str(e) for e in info.value.errors] == [
        f"{content.root}/quizzes/broken.toml: pass_mark: is required but missing",
        f"{content.root}/quizzes/broken.toml: questions: is required but missing",
    ]
    assert course("alpha").current_version_id == before
    assert course("beta") is None and count(Quiz) == 0


def test_a_failure_while_writing_rolls_everything_back(app, content, monkeypatch):
    content.course("alpha")
    content.quiz("alpha")

    def fail(self, packs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(registry.VersionedPackKind, "sync", fail)
    with pytest.raises(RuntimeError):
        sync_content()
    monkeypatch.undo()
    assert count(Course) == 0 and count(Quiz) == 0 and count(CourseVersion) == 0


def test_policy_and_quiz_details_are_stored(app, content):
    content.course("policy", extra="""\
        [policy]
        ref = "our-policy"
        version = "2026.1"
        effective = 2026-09-01
        statement = "I have read and understood it."
        """)
    content.quiz("alpha", text="""\
        title = "Alpha check"
        pass_mark = 75
        shuffle = false
        max_attempts = 3
        [[questions]]
        id = "pick-two"
        type = "multiple"
        text = "Pick two."
        feedback = "A and B."
        partial = true
        options = [{ text = "A", correct = true }, { text = "B", correct = true }, { text = "C" }]
        [[questions]]
        id = "false-one"
        type = "true_false"
        text = "This is true."
        answer = false
        feedback = "It is not."
        """)
    sync_content()
    version = course("policy").current_version
    assert version.is_policy
    assert (version.policy_ref, version.policy_version, str(version.policy_effective),
            version.policy_statement, version.policy_changes) == (
        "our-policy", "2026.1", "2026-09-01", "I have read and understood it.", None)
    quiz = db.session.scalar(select(Quiz)).current_version
    assert (quiz.title, quiz.pass_mark, quiz.draw, quiz.shuffle, quiz.max_attempts) == (
        "Alpha check", 75, 2, False, 3)
    first, second = quiz.questions
    assert (first.qid, first.type, first.partial) == ("pick-two", "multiple", True)
    assert first.options == [{"text": "A", "correct": True}, {"text": "B", "correct": True},
                             {"text": "C", "correct": False}]
    assert (second.type, second.options) == ("true_false", [
        {"text": "True", "correct": False}, {"text": "False", "correct": True}])


def test_images_are_stored_once_by_content_hash(app, content):
    content.course("alpha", lessons={"01-a.md": "# A\n\n![Dot](images/dot.png)\n"},
                   images={"dot.png": PNG, "unused.png": PNG})
    sync_content()
    content.lesson("alpha", "02-b.md", "# B\n\n![Dot again](images/dot.png)\n")
    sync_content()
    assert count(CourseVersion) == 2
    [image] = db.session.scalars(select(CourseImage)).all()
    assert (image.name, image.mime, image.data) == ("dot.png", "image/png", PNG)
    assert f'src="/course-images/{image.content_hash}/dot.png"' in course("alpha").current_version.lessons[1].html


def write_distribution(site, *, name="acme_induction"):
    """An installed distribution declaring an `lms.packs` content folder and a pack kind."""
    package = site / name
    ContentDir(package).course("acme-welcome", title="Welcome to Acme")
    (package / "notes").mkdir()
    (package / "notes" / "hello.txt").write_text("hello")
    (package / "__init__.py").write_text("")
    (package / "kinds.py").write_text(
        "from lms.packs.registry import BasePackKind, LoadedPack, PackSource, SyncChanges\n"
        "SYNCED = []\n"
        "class NoteKind(BasePackKind):\n"
        "    id = 'note'\n"
        "    folder = 'notes'\n"
        "    def discover(self, root):\n"
        "        folder = root.path / self.folder\n"
        "        return [PackSource(self.id, p.stem, p, root) for p in sorted(folder.glob('*.txt'))]"
        " if folder.is_dir() else []\n"
        "    def load(self, source):\n"
        "        return LoadedPack(source, 'h', source.path.read_text())\n"
        "    def sync(self, packs):\n"
        "        SYNCED.extend(p.data for p in packs)\n"
        "        return SyncChanges(added=[p.slug for p in packs])\n"
    )
    info = site / f"{name}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(
        f"[lms.packs]\ninduction = {name}\nnote = {name}.kinds:NoteKind\n"
    )


def test_packs_and_kinds_from_an_installed_distribution(app, content, tmp_path, monkeypatch):
    write_distribution(tmp_path / "site")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    for name in [m for m in sys.modules if m.startswith("acme_induction")]:
        monkeypatch.delitem(sys.modules, name)  # imported afresh from this test's folder
    content.course("alpha")
    assert registry.get_pack_kind("note").folder == "notes"
    changes = sync_content()
    assert changes["course"].added == ["alpha", "acme-welcome"]
    assert changes["note"].added == ["hello"]
    assert course("acme-welcome").current_version.title == "Welcome to Acme"
    import acme_induction.kinds

    assert acme_induction.kinds.SYNCED == ["hello"]

    app.config["SAFE_MODE"] = True  # third-party packs and kinds are skipped
    with pytest.raises(KeyError):
        registry.get_pack_kind("note")
    changes = sync_content()
    assert "note" not in changes and changes["course"].archived == ["acme-welcome"]


def test_a_broken_entry_point_is_a_content_error(app, content, tmp_path, monkeypatch):
    site = tmp_path / "site"
    info = site / "broken-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: broken\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[lms.packs]\nbroken = no_such_module_here\n")
    monkeypatch.syspath_prepend(str(site))
    with pytest.raises(ContentInvalid) as info:
        sync_content()
    [error] = info.value.errors
    assert str(error).startswith("entry point broken (no_such_module_here): cannot be loaded")


def test_content_paths_add_folders(app, content, tmp_path):
    org = ContentDir(tmp_path / "org")
    org.course("org-course")
    org.quiz("org-quiz")
    app.config["CONTENT_PATHS"] = f"{org.root}:"
    content.course("alpha")
    changes = sync_content()
    assert changes["course"].added == ["alpha", "org-course"]
    assert changes["quiz"].added == ["org-quiz"]


def test_check_prints_every_error_exits_1_and_changes_nothing(app, content, runner):
    content.course("alpha", lessons={})
    content.quiz("alpha", text="title = 3\npass_mark = 80\nquestions = []\n")
    result = runner.invoke(args=["lms", "sync-content", "--check"])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines == [
        f"{content.root}/courses/alpha: the course has no lessons: add Markdown files beside "
        "course.toml, such as 01-introduction.md",
        f"{content.root}/quizzes/alpha.toml:1: title: must be text in quotes, not a whole number",
        f"{content.root}/quizzes/alpha.toml:3: questions: needs at least 1",
        "3 errors in the content packs; nothing was synced.",
    ]
    assert runner.invoke(args=["lms", "sync-content"]).exit_code == 1
    assert count(Course) == 0 and count(Quiz) == 0


def test_check_and_sync_on_valid_content(app, content, runner):
    content.course("alpha")
    result = runner.invoke(args=["lms", "sync-content", "--check"])
    assert (result.exit_code, result.output) == (0, "Content is valid.\n")
    assert count(Course) == 0
    result = runner.invoke(args=["lms", "sync-content"])
    assert result.exit_code == 0
    assert "course: 1 added, 0 updated, 0 unchanged, 0 archived" in result.output
    assert count(Course) == 1


def test_init_upgrades_then_syncs_and_refuses_bad_content(tmp_path):
    content = ContentDir(tmp_path / "content")
    content.course("alpha")
    app = make_test_app(f"sqlite:///{tmp_path / 'fresh.sqlite3'}", tmp_path,
                        PROJECT_ROOT=content.root)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["lms", "init"])
    assert result.exit_code == 0, result.output
    assert "course: 1 added" in result.output and "No administrator yet" in result.output
    content.course("beta", lessons={})
    result = runner.invoke(args=["lms", "init"])
    assert result.exit_code == 1
    assert "courses/beta: the course has no lessons" in result.output
    with app.app_context():
        assert [c.slug for c in db.session.scalars(select(Course))] == ["alpha"]


def test_the_shipped_content_is_valid_and_syncs(app, runner):
    app.config["PROJECT_ROOT"] = None  # the project's own courses/ and quizzes/
    app.config["TRAINING_PLAN"] = ""  # and the plan that ships with them
    result = runner.invoke(args=["lms", "sync-content", "--check"])
    assert (result.exit_code, result.output) == (0, "Content is valid.\n")
    result = runner.invoke(args=["lms", "sync-content"])
    assert result.exit_code == 0, result.output
    assert "course: 6 added" in result.output and "quiz: 6 added" in result.output
    policy = course("ecpt-prevent-policy").current_version
    assert (policy.policy_ref, policy.policy_version) == ("ecpt-prevent-policy", "2026.1")


DOCS_COURSE = '''\
# courses/prevent-awareness/course.toml; lessons are the *.md files beside it, in name order
# (01-what-prevent-is.md, 02-...); each lesson's first "# " heading is its title
title = "Prevent awareness"
summary = "What the Prevent duty is, why it matters here, and what it asks of you."
minutes = 25                   # estimated reading time
order = 10                     # position in lists
quiz = "prevent-awareness"     # optional: the quiz that belongs to this course
'''

DOCS_QUIZ = '''\
# quizzes/prevent-awareness.toml
title = "Prevent awareness check"
pass_mark = 80                 # percent needed to pass
draw = 10                      # questions per attempt, drawn from the pool (default: all)
shuffle = true                 # shuffle questions and options per attempt
max_attempts = 0               # 0: unlimited
[[questions]]
id = "contest-strand"          # stable within the quiz; results refer to it
type = "single"                # single | multiple | true_false
text = "Prevent is one of the four strands of which national strategy?"
feedback = "Prevent sits in CONTEST beside Pursue, Protect and Prepare."
options = [
  { text = "CONTEST", correct = true },
  { text = "The Equality Act 2010" },
]
[[questions]]
id = "referral-not-record"
type = "true_false"
text = "Being referred to Prevent gives the person a criminal record."
answer = false
feedback = "..."
'''


def test_the_design_documents_examples_are_valid(app, content):
    """The examples in docs/content-packs.md, verbatim: the format extends them, never breaks them."""
    content.course("prevent-awareness", toml=DOCS_COURSE)
    content.quiz("prevent-awareness", text=DOCS_QUIZ)
    sync_content()
    quiz = db.session.scalar(select(Quiz)).current_version
    assert quiz.draw == 2  # draw = 10 from a pool of two: every attempt draws the whole pool
    assert [q.qid for q in quiz.questions] == ["contest-strand", "referral-not-record"]
