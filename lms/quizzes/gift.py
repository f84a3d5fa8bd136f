"""Moodle's GIFT quiz format, both ways: read a GIFT file into a quiz pack, write a pack as GIFT.

Hand-written to the grammar Moodle documents: `//` comments, `$CATEGORY:` lines, `::title::`,
`[plain]`/`[markdown]`/`[html]`/`[moodle]` text formats (HTML is sanitised to plain text),
`=` right and `~` wrong answers, `~%50%` weights (negative too), true/false (`{T}`, `{TRUE}`,
`{F}`, `{FALSE}`, each with up to two `#feedback`), per-answer `#feedback`, general feedback
`####`, escapes (`\\~ \\= \\# \\{ \\} \\: \\n \\\\`), questions over several lines, blank lines
between them, Windows line endings and a UTF-8 byte order mark.

Questions the quiz engine cannot grade (short answer, numerical, matching, missing word,
essay, description) are skipped whole and reported with their line.

Mapping: an answer block with a `=` is single-answer (Moodle's rule); one with only `~` is
multiple-answer, where a positive weight marks a correct option, and it gives partial credit
(Moodle grades weights that way) unless a `// lms: all-or-nothing` comment precedes it,
which is how an exported all-or-nothing question comes back. The pack has one feedback per
question: the general feedback, else the answers' own feedback, else the correct answer.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import nh3
from pydantic import ValidationError

from ..packs.schemas import QuizSchema

ESCAPABLE = "~=#{}:\\"
ALL_OR_NOTHING = "lms: all-or-nothing"
FORMATS = ("[html]", "[moodle]", "[plain]", "[markdown]")
TRUE_WORDS = {"T": True, "TRUE": True, "F": False, "FALSE": False}


class GiftError(Exception):
    """A file that cannot be read as GIFT at all."""


@dataclass
class Skipped:
    line: int
    reason: str


@dataclass
class Imported:
    questions: list[dict] = field(default_factory=list)  # quiz pack [[questions]] tables
    skipped: list[Skipped] = field(default_factory=list)


class _Skip(Exception):
    pass


# -- reading ---------------------------------------------------------------------------------


def _blocks(text: str):
    """(first line number, lines, all-or-nothing marker) for each question, comments and
    category lines removed; questions are separated by blank lines."""
    lines: list[str] = []
    start = 0
    marker = False
    pending_marker = False
    for number, line in enumerate(text.split("\n"), start=1):
        stripped = line.strip()
        if stripped.startswith("//"):
            if stripped[2:].strip() == ALL_OR_NOTHING:
                pending_marker = True
            continue
        if stripped.startswith("$CATEGORY:"):
            continue
        if not stripped:
            if lines:
                yield start, lines, marker
                lines = []
            continue
        if not lines:
            start, marker, pending_marker = number, pending_marker, False
        lines.append(line)
    if lines:
        yield start, lines, marker


def _find(text: str, char: str, start: int = 0) -> int:
    """Index of the first unescaped `char` at or after `start`, or -1."""
    i = start
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text[i] == char:
            return i
        i += 1
    return -1


def _split(text: str, separators: str) -> list[tuple[str, str]]:
    """Split at unescaped separator characters: [(separator or "", piece), ...]."""
    pieces: list[tuple[str, str]] = []
    current, mark = [], ""
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            current.append(text[i : i + 2])
            i += 2
            continue
        if ch in separators:
            pieces.append((mark, "".join(current)))
            current, mark = [], ch
        else:
            current.append(ch)
        i += 1
    pieces.append((mark, "".join(current)))
    return pieces


def _unescape(text: str) -> str:
    out = []
    i = 0
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text):
            nxt = text[i + 1]
            if nxt in ESCAPABLE:
                out.append(nxt)
                i += 2
                continue
            if nxt == "n":
                out.append("\n")
                i += 2
                continue
        out.append(text[i])
        i += 1
    return "".join(out)


def _clean(raw: str, fmt: str = "") -> str:
    """Unescape, then make plain text: HTML is sanitised to its text; whitespace is tidied."""
    lines = [" ".join(part.split()) for part in _unescape(raw).split("\n")]
    text = "\n".join(line for line in lines if line)
    if fmt == "[html]" or (fmt == "" and re.search(r"<[a-zA-Z/][^>]*>", text)):
        text = html.unescape(nh3.clean(text, tags=set()))
        text = "\n".join(" ".join(line.split()) for line in text.split("\n") if line.strip())
    return text.strip()


def _format(text: str) -> tuple[str, str]:
    stripped = text.lstrip()
    for fmt in FORMATS:
        if stripped.lower().startswith(fmt):
            return fmt, stripped[len(fmt):]
    return "", text


def _slug(text: str) -> str:
    words = re.sub(r"[^a-z0-9]+", " ", text.lower()).split()
    slug = ""
    for word in words:
        candidate = f"{slug}-{word}" if slug else word
        if len(candidate) > 60:
            break
        slug = candidate
    return slug or "question"


def _parse_question(lines: list[str], all_or_nothing: bool) -> dict:
    body = " ".join(line.strip() for line in lines)  # a question may span several lines
    title = ""
    if body.startswith("::"):
        end = body.find("::", 2)
        while end != -1 and body[end - 1] == "\\":
            end = body.find("::", end + 1)
        if end == -1:
            raise _Skip("the title has no closing ::")
        title, body = _unescape(body[2:end]).strip(), body[end + 2 :]
    fmt, body = _format(body)
    opening = _find(body, "{")
    if opening == -1:
        raise _Skip("a description (text with no answers), which the quiz engine does not grade")
    closing = _find(body, "}", opening)
    if closing == -1:
        raise _Skip("the answers have no closing }")
    after = body[closing + 1 :].strip()
    if after:
        raise _Skip("a missing-word question (answers inside the text), which the quiz engine does not grade")
    text = _clean(body[:opening], fmt)
    if not text:
        raise _Skip("the question has no text")
    answers = body[opening + 1 : closing].strip()
    if not answers:
        raise _Skip("an essay question, which the quiz engine does not grade")

    general = ""
    cut = answers.find("####")
    while cut > 0 and answers[cut - 1] == "\\":
        cut = answers.find("####", cut + 1)
    if cut != -1:
        general, answers = _clean(answers[cut + 4 :]), answers[:cut].strip()

    if answers.startswith("#"):
        raise _Skip("a numerical question, which the quiz engine does not grade")
    word, *tf_feedback = [piece for _, piece in _split(answers, "#")]
    if word.strip().upper() in TRUE_WORDS:
        if len(tf_feedback) > 2:
            raise _Skip("a true/false question takes at most two #feedback texts")
        wrong_fb, right_fb = ([_clean(f) for f in tf_feedback] + ["", ""])[:2]
        answer = TRUE_WORDS[word.strip().upper()]
        feedback = general or right_fb or wrong_fb or f"The answer is {'true' if answer else 'false'}."
        return {"title": title, "type": "true_false", "text": text, "answer": answer, "feedback": feedback}

    parsed = []  # (mark, weight or None, text, feedback)
    for mark, piece in _split(answers, "=~"):
        if not mark:
            if piece.strip():
                raise _Skip("text before the first answer: answers start with = or ~")
            continue
        weight = None
        match = re.match(r"\s*%(-?\d+(?:\.\d+)?)%", piece)
        if match:
            weight, piece = float(match.group(1)), piece[match.end():]
        option, *comments = [p for _, p in _split(piece, "#")]
        if "->" in option:
            raise _Skip("a matching question, which the quiz engine does not grade")
        parsed.append((mark, weight, _clean(option), _clean(comments[0]) if comments else ""))
    marks = {mark for mark, *_ in parsed}
    if "~" not in marks:
        raise _Skip("a short-answer question, which the quiz engine does not grade")
    if "=" in marks:
        kind = "single"
        if sum(mark == "=" for mark, *_ in parsed) != 1:
            raise _Skip("more than one answer is marked right with =; for several right answers use ~%50% weights")
        if any(mark == "~" and (weight or 0) > 0 for mark, weight, *_ in parsed):
            raise _Skip("a wrong answer (~) with a positive weight: partial credit on a one-answer question is not supported")
        options = [{"text": t, "correct": mark == "="} for mark, _, t, _ in parsed]
    else:
        kind = "multiple"
        options = [{"text": t, "correct": (weight or 0) > 0} for _, weight, t, _ in parsed]
        if not any(o["correct"] for o in options):
            raise _Skip("no answer has a positive weight, so none is right")
    per_answer = [fb for *_, fb in parsed if fb]
    right = "; ".join(o["text"] for o in options if o["correct"])
    feedback = general or " ".join(dict.fromkeys(per_answer)) or f"The correct answer: {right}."
    question = {"title": title, "type": kind, "text": text, "feedback": feedback, "options": options}
    if kind == "multiple":
        question["partial"] = not all_or_nothing
    return question


def parse_gift(data: str | bytes) -> Imported:
    """Every question in a GIFT file, as quiz pack questions, and the ones skipped."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise GiftError(f"the file is not UTF-8 text (byte {exc.start})") from None
    text = data.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    result = Imported()
    used: set[str] = set()
    for line, lines, marker in _blocks(text):
        try:
            question = _parse_question(lines, marker)
            question["id"] = _unique(_slug(question.pop("title") or question["text"]), used)
            _check(question)
        except _Skip as skip:
            result.skipped.append(Skipped(line, str(skip)))
            continue
        result.questions.append(question)
    return result


def _unique(slug: str, used: set[str]) -> str:
    candidate, n = slug, 2
    while candidate in used:
        candidate, n = f"{slug}-{n}", n + 1
    used.add(candidate)
    return candidate


def _check(question: dict) -> None:
    """Refuse a question the pack format would refuse, with the reason."""
    try:
        QuizSchema.model_validate(
            {"title": "check", "pass_mark": 50, "questions": [question]}, strict=False
        )
    except ValidationError as exc:
        error = exc.errors()[0]
        loc = [str(p) for p in error["loc"][3:]]  # after questions, index, type
        message = error["msg"].removeprefix("Value error, ")
        raise _Skip(f"{'.'.join(loc)}: {message}" if loc else message) from None


# -- writing a pack --------------------------------------------------------------------------


def _toml_string(value: str) -> str:
    """A TOML basic string. JSON writes one TOML reads the same, escaping every control
    character as TOML requires, except DEL (U+007F), which JSON leaves as it is and TOML
    refuses: so it is escaped here."""
    return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")


def pack_toml(title: str, pass_mark: int, questions: list[dict]) -> str:
    """A quiz pack's TOML for these questions."""
    out = [f"title = {_toml_string(title)}", f"pass_mark = {pass_mark}", ""]
    for q in questions:
        out.append("[[questions]]")
        out.append(f"id = {_toml_string(q['id'])}")
        out.append(f"type = {_toml_string(q['type'])}")
        out.append(f"text = {_toml_string(q['text'])}")
        out.append(f"feedback = {_toml_string(q['feedback'])}")
        if q["type"] == "true_false":
            out.append(f"answer = {'true' if q['answer'] else 'false'}")
        else:
            if q["type"] == "multiple":
                out.append(f"partial = {'true' if q.get('partial') else 'false'}")
            out.append("options = [")
            for o in q["options"]:
                correct = ", correct = true" if o["correct"] else ""
                out.append(f"  {{ text = {_toml_string(o['text'])}{correct} }},")
            out.append("]")
        out.append("")
    return "\n".join(out)


def import_gift(source: Path, slug: str, title: str, pass_mark: int, out_dir: Path) -> tuple[Path, Imported]:
    """Read a GIFT file and write `out_dir/slug.toml`; nothing is written when no question
    could be imported."""
    result = parse_gift(source.read_bytes())
    if not result.questions:
        return out_dir / f"{slug}.toml", result
    QuizSchema.model_validate(
        {"title": title, "pass_mark": pass_mark, "questions": result.questions}, strict=False
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{slug}.toml"
    path.write_text(pack_toml(title, pass_mark, result.questions), encoding="utf-8")
    return path, result


# -- writing GIFT ----------------------------------------------------------------------------


def _escape(text: str) -> str:
    out = "".join("\\" + ch if ch in ESCAPABLE else ch for ch in text)
    return out.replace("\n", "\\n")


def _weight(value: float) -> str:
    return f"{value:.5f}".rstrip("0").rstrip(".")


def to_gift(quiz: QuizSchema, slug: str) -> str:
    """A quiz pack as GIFT that Moodle imports: every question, option, correctness and
    feedback (the pack's feedback becomes the general feedback, ####)."""
    out = [
        f"// {quiz.title}",
        f"// Exported from the LMS quiz pack {slug}; pass mark {quiz.pass_mark}%.",
        f"$CATEGORY: {slug}",
        "",
    ]
    for q in quiz.questions:
        head = f"::{_escape(q.id)}::{_escape(q.text)}"
        feedback = f"####{_escape(q.feedback)}"
        if q.type == "true_false":
            out.append(f"{head}{{{'TRUE' if q.answer else 'FALSE'}{feedback}}}")
        elif q.type == "single":
            out.append(head + "{")
            out += [f"\t{'=' if o.correct else '~'}{_escape(o.text)}" for o in q.options]
            out.append(f"\t{feedback}")
            out.append("}")
        else:
            if not q.partial:
                out.append(f"// {ALL_OR_NOTHING}")
            right = sum(o.correct for o in q.options)
            wrong = len(q.options) - right
            out.append(head + "{")
            for o in q.options:
                share = 100 / right if o.correct else -100 / wrong
                out.append(f"\t~%{_weight(share)}%{_escape(o.text)}")
            out.append(f"\t{feedback}")
            out.append("}")
        out.append("")
    return "\n".join(out)
