"""Pack validation: every error names the file, the line where it can, and what is wrong.

These tests read files only, so they run on one throwaway SQLite app rather than per database.
"""

from __future__ import annotations

import re

import pytest

from lms.packs import registry
from lms.packs.errors import MAX_FILE_BYTES, locate_line
from lms.packs.operations import check_content, load_content

from .conftest import make_test_app
from .content import PNG, SVG, ContentDir


@pytest.fixture
def ctx(tmp_path, content, monkeypatch):
    monkeypatch.chdir(content.root)  # errors show paths relative to the working folder
    app = make_test_app(f"sqlite:///{tmp_path / 'unused.sqlite3'}", tmp_path,
                        PROJECT_ROOT=content.root)
    with app.app_context():
        yield app


def errors(content=None) -> list[str]:
    return [str(e) for e in check_content()]


def test_valid_course_and_quiz_pass(ctx, content):
    content.course(extra='quiz = "sample"\naudience = "Everyone"\n')
    content.quiz()
    assert errors() == []
    loaded = load_content()
    course = loaded.packs["course"][0]
    assert [lesson.slug for lesson in course.data.lessons] == ["first", "second", "third"]
    assert [lesson.title for lesson in course.data.lessons][0] == "First lesson"


def test_bad_toml_gives_the_line(ctx, content):
    content.course(toml='title = "Sample"\nsummary = "x"\nminutes = = 3\n')
    [error] = errors()
    assert error.startswith("courses/sample/course.toml:3: is not valid TOML")


def test_unknown_field_and_wrong_types_are_named_with_lines(ctx, content):
    content.course(toml='title = "Sample"\nsummary = "x"\nminutes = "25"\ntitel = "typo"\n'
                   "order = true\n")
    found = errors()
    assert "courses/sample/course.toml:3: minutes: must be a whole number, not text" in found
    assert any(e.startswith("courses/sample/course.toml:4: titel: is not a field") for e in found)
    assert "courses/sample/course.toml:5: order: must be a whole number, not true/false" in found


def test_missing_required_field(ctx, content):
    content.course(toml='title = "Sample"\nminutes = 3\n')
    assert errors() == ["courses/sample/course.toml: summary: is required but missing"]


def test_policy_table_is_accepted_and_checked(ctx, content):
    content.course(extra="""\
        [policy]
        ref = "our-policy"
        version = "2026.1"
        effective = "2026-09-01"
        statement = "I have read it."
        changes = "First version."
        """)
    assert errors() == []
    content.course(extra="""\
        [policy]
        ref = "our-policy"
        version = "2026.1"
        effective = "first of September"
        statment = "typo"
        """)
    found = errors()
    assert "courses/sample/course.toml:8: policy.effective: must be a date like 2026-09-01" in found
    assert "courses/sample/course.toml:9: policy.statment: is not a field this file may have (a spelling mistake?)" in found
    assert "courses/sample/course.toml:5: policy.statement: is required but missing" in found


def test_course_with_no_lessons(ctx, content):
    content.course(lessons={})
    assert errors() == [
        "courses/sample: the course has no lessons: add Markdown files beside course.toml, "
        "such as 01-introduction.md"
    ]


def test_lesson_without_a_title_and_empty_lessons(ctx, content):
    content.course(lessons={
        "01-no-title.md": "Some text but no heading.\n\n## Only a second-level heading\n",
        "02-empty.md": "  \n\n",
        "03-title-only.md": "# Just a title\n",
    })
    found = errors()
    assert "courses/sample/01-no-title.md:1: has no title: start the lesson with a first-level heading, a line like '# What Prevent is'" in found
    assert "courses/sample/02-empty.md: the lesson is empty" in found
    assert "courses/sample/03-title-only.md: the lesson has a title but no text" in found


def test_duplicate_lesson_slugs(ctx, content):
    content.course(lessons={"01-intro.md": "# A\n\ntext", "02-intro.md": "# B\n\ntext"})
    [error] = errors()
    assert error.startswith("courses/sample/02-intro.md: has the same address (intro) as 01-intro.md")


def test_bad_course_folder_name(ctx, content):
    content.course("Bad_Name")
    [error] = errors()
    assert error.startswith("courses/Bad_Name: the folder name is the course's address")


def test_images_missing_remote_and_path_traversal(ctx, content):
    content.course(
        lessons={
            "01-pictures.md": "# Pictures\n\nText.\n\n![ok](images/ok.png)\n\n"
            "![gone](images/missing.png)\n\n![up](../../secret.png)\n\n"
            "![abs](/etc/passwd.png)\n\n![web](https://example.org/x.png)\n\n"
            "![other folder](pics/x.png)\n"
        },
        images={"ok.png": PNG},
    )
    found = errors()
    assert "courses/sample/01-pictures.md:7: there is no file images/missing.png in this course (images/missing.png)" in found
    assert "courses/sample/01-pictures.md:9: image link leaves the course folder; use images/<file name> (../../secret.png)" in found
    assert "courses/sample/01-pictures.md:11: image link leaves the course folder; use images/<file name> (/etc/passwd.png)" in found
    assert any(e.startswith("courses/sample/01-pictures.md:13: images must be files in the course's images/ folder, not web addresses") for e in found)
    assert any(e.startswith("courses/sample/01-pictures.md:15: images must be in the course's images/ folder") for e in found)
    assert len(found) == 5


def test_image_files_are_checked_by_content(ctx, content):
    content.course(
        lessons={"01-a.md": "# A\n\n![x](images/fake.png)\n"},
        images={"fake.png": b"<html>not a png</html>", "notes.txt": b"hello", "ok.svg": SVG},
    )
    found = errors()
    assert "courses/sample/images/fake.png: is not a png image" in found
    assert any(e.startswith("courses/sample/images/notes.txt: images/ may hold only") for e in found)


def test_huge_files_are_refused_unread(ctx, content):
    content.course(lessons={"01-big.md": "# Big\n\n" + "x" * MAX_FILE_BYTES})
    content.quiz("huge", text="# " + "x" * MAX_FILE_BYTES)
    found = errors()
    assert any(e.startswith("courses/sample/01-big.md: is 1,000,007 bytes; the largest file allowed is 1,000,000 bytes") for e in found)
    assert any(e.startswith("quizzes/huge.toml: is ") for e in found)


def test_not_utf8(ctx, content):
    content.course(lessons={"01-a.md": b"# A\n\ncaf\xe9\n"})
    assert errors() == ["courses/sample/01-a.md:3: is not UTF-8 text; save it as UTF-8"]


def test_symlinks_are_refused(ctx, content, tmp_path):
    secret = tmp_path / "secret.md"
    secret.write_text("# Secret\n\nfrom outside")
    folder = content.course()
    (folder / "04-link.md").symlink_to(secret)
    assert errors() == ["courses/sample/04-link.md: is a symbolic link; packs hold plain files only"]


def test_quiz_errors_name_question_and_line(ctx, content):
    content.quiz(text="""\
        title = "Quiz"
        pass_mark = 180
        draw = 5
        [[questions]]
        id = "same"
        type = "single"
        text = "Q1"
        feedback = "F"
        options = [
          { text = "A", correct = true },
          { text = "B", correct = true },
        ]
        [[questions]]
        id = "same"
        type = "true_false"
        text = "Q2"
        answer = "yes"
        feedback = "F"
        [[questions]]
        id = "third"
        type = "essay"
        text = "Q3"
        feedback = "F"
        [[questions]]
        id = "Fourth Q"
        type = "multiple"
        text = "Q4"
        options = [
          { text = "A" },
          { text = "B", right = true },
        ]
        feedback = "F"
        """)
    found = errors()
    assert "quizzes/sample.toml:2: pass_mark: must be at most 100" in found
    assert "quizzes/sample.toml:4: questions[1]: a single-answer question needs exactly one option with correct = true, not 2" in found
    assert "quizzes/sample.toml:17: questions[2].answer: must be true or false, not text" in found
    assert ("quizzes/sample.toml:21: questions[3].type: type must be one of: single, multiple, true_false, "
            "short_answer, numerical, matching") in found
    assert "quizzes/sample.toml:25: questions[4].id: must be lower-case letters, digits and single hyphens, like 'prevent-awareness'" in found
    assert "quizzes/sample.toml:30: questions[4].options[2].right: is not a field this file may have (a spelling mistake?)" in found
    assert len(found) == 6


def test_duplicate_question_ids(ctx, content):
    content.quiz(text="""\
        title = "Quiz"
        pass_mark = 80
        draw = 3
        [[questions]]
        id = "same"
        type = "true_false"
        text = "Q1"
        answer = true
        feedback = "F"
        [[questions]]
        id = "same"
        type = "true_false"
        text = "Q2"
        answer = false
        feedback = "F"
        """)
    assert errors() == [
        "quizzes/sample.toml:11: questions[2].id: the id 'same' is used by question 1 too; each question needs its own id",
    ]


def test_course_naming_a_missing_quiz(ctx, content):
    content.course(extra='quiz = "nope"\n')
    assert errors() == ["courses/sample/course.toml:5: quiz: there is no quiz 'nope' (quizzes/nope.toml)"]


def test_duplicate_slugs_across_content_folders(ctx, content, tmp_path):
    other = ContentDir(tmp_path / "org")
    other.course("sample")
    ctx.config["CONTENT_PATHS"] = f"{other.root}:{tmp_path / 'missing'}"
    content.course("sample")
    found = errors()
    assert f"{tmp_path / 'missing'}: is not a folder (it is named in LMS_CONTENT_PATHS)" in found
    assert any("another course has the same name (sample) at courses/sample" in e for e in found)


def test_every_error_is_reported_not_just_the_first(ctx, content):
    content.course("one", lessons={})
    content.course("two", toml="nonsense")
    content.quiz("three", text="title = 3")
    assert len(errors()) == 5  # no lessons; bad TOML; title's type; pass_mark, questions missing


def test_locate_line_follows_tables_and_inline_arrays():
    text = 'title = "x"\n[[questions]]\nid = "a"\n[[questions]]\nid = "b"\noptions = [\n  { text = "1" },\n  { text = "2" },\n]\n'
    assert locate_line(text, ("title",)) == 1
    assert locate_line(text, ("questions", 1, "id")) == 5
    assert locate_line(text, ("questions", 1, "options", 1, "text")) == 8
    assert locate_line(text, ("questions", 0, "feedback")) == 2
    assert locate_line(text, ("nothing",)) is None


def test_unknown_pack_kind_is_a_clear_error(ctx):
    with pytest.raises(KeyError) as info:
        registry.get_pack_kind("podcast")
    assert str(info.value) == "no pack kind 'podcast'; the known kinds are: course, quiz"
    assert registry.get_pack_kind("course").id == "course"


def test_the_examples_in_the_authors_reference_are_valid(ctx, content):
    from pathlib import Path

    docs = (Path(__file__).parent.parent / "docs" / "content-packs.md").read_text()
    blocks = re.findall(r"```toml\n(.*?)```", docs, re.S)
    course, policy, quiz, options, types = (b for b in blocks if "[project." not in b)
    content.course("prevent-awareness", toml=course + policy)
    content.quiz("prevent-awareness", text=quiz)
    head = 'title = "More"\npass_mark = 80\n'
    content.quiz("option-feedback", text=head + '[[questions]]\nid = "q"\ntype = "single"\ntext = "T"\n'
                 'feedback = "F"\n' + options)
    content.quiz("more-types", text=head + types)
    assert errors() == []
