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
which is how an exported all-or-nothing question comes back. The general feedback (`####`)
becomes the question's `feedback`, and a question without one has none (the pack says
`imported_from`, which allows that), so an export writes back what the file had; the
`::title::` is kept as the question's `name` when it is not the same as its id.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import markdown
import nh3
from pydantic import ValidationError

from ..packs import grades
from ..packs.schemas import QuizSchema

ESCAPABLE = "~=#{}:\\"
ALL_OR_NOTHING = "lms: all-or-nothing"
# Weights that stand for the pack's own partial-credit rule (`partial = true`, no weights).
PARTIAL = "lms: partial"
FORMATS = ("[html]", "[moodle]", "[plain]", "[markdown]")
TRUE_WORDS = {"T": True, "TRUE": True, "F": False, "FALSE": False}


class GiftError(Exception):
    """A file that cannot be read as GIFT at all: nothing is imported from it."""

    def __init__(self, line: int | None, message: str):
        super().__init__(f"line {line}: {message}" if line else message)
        self.line = line


@dataclass
class Skipped:
    line: int
    reason: str


@dataclass
class Imported:
    questions: list[dict] = field(default_factory=list)  # quiz pack [[questions]] tables
    skipped: list[Skipped] = field(default_factory=list)
    # Questions imported but marked differently than in Moodle: the line and what was lost.
    warnings: list[Skipped] = field(default_factory=list)


class _Skip(Exception):
    pass


@dataclass
class Read:
    """One question as a reader took it from a file: the pack question (without its id), its
    name there, and what the quiz engine marks differently (said as warnings)."""

    question: dict
    name: str = ""
    lost: list[str] = field(default_factory=list)


def collect(entries: Iterable[tuple[int, Callable[[], Read]]], imported_from: str) -> Imported:
    """Each file entry (its line, and how to read it) read, named and checked against the
    pack format; an entry that raises _Skip is skipped with its line and why, the rest kept.
    A format's own error (GiftError) goes up: a file that does not parse imports nothing."""
    result = Imported()
    used: set[str] = set()
    for line, read in entries:
        try:
            entry = read()
            _name(entry.question, entry.name, used)
            _check(entry.question, imported_from)
        except _Skip as skip:
            result.skipped.append(Skipped(line, str(skip)))
            continue
        result.questions.append(entry.question)
        result.warnings += [Skipped(line, lost) for lost in entry.lost]
    return result


def write_pack(result: Imported, slug: str, title: str, pass_mark: int, out_dir: Path, imported_from: str) -> Path:
    """`out_dir/slug.toml` for the questions imported; nothing is written when there are none."""
    path = out_dir / f"{slug}.toml"
    if not result.questions:
        return path
    QuizSchema.model_validate(
        {"title": title, "pass_mark": pass_mark, "imported_from": imported_from, "questions": result.questions},
        strict=False,
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    path.write_text(pack_toml(title, pass_mark, result.questions, imported_from), encoding="utf-8")
    return path


# -- reading ---------------------------------------------------------------------------------


def _blocks(text: str):
    """(first line number, lines, marker) for each question, comments and category lines
    removed; questions are separated by blank lines. The marker is the text of an
    `// lms: ...` comment just before the question ("" for none)."""
    lines: list[str] = []
    start = 0
    marker = pending = ""
    for number, line in enumerate(text.split("\n"), start=1):
        stripped = line.strip()
        if stripped.startswith("//"):
            if stripped[2:].strip() in (ALL_OR_NOTHING, PARTIAL):
                pending = stripped[2:].strip()
            continue
        if stripped.startswith("$CATEGORY:"):
            continue
        if not stripped:
            if lines:
                yield start, lines, marker
                lines = []
            continue
        if not lines:
            start, marker, pending = number, pending, ""
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


class _TextOfHtml(HTMLParser):
    """HTML reduced to the text a reader sees: blocks and line breaks become new lines, a
    link keeps its address beside its words, scripts and styles are dropped."""

    BLOCKS = frozenset({"p", "div", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6",
                        "tr", "table", "blockquote", "pre", "section", "article", "br", "hr"})
    HIDDEN = frozenset({"script", "style", "template"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0
        self.links: list[tuple[str | None, int]] = []

    def handle_starttag(self, tag, attrs):
        if tag in self.HIDDEN:
            self.hidden += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n")
        elif tag == "a":
            href = dict(attrs).get("href") or ""
            safe = href if re.match(r"(https?:|mailto:|tel:)", href.strip(), re.I) else None
            self.links.append((safe and safe.strip(), len(self.parts)))

    def handle_startendtag(self, tag, attrs):
        if tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in self.HIDDEN:
            self.hidden = max(self.hidden - 1, 0)
        elif tag in self.BLOCKS:
            self.parts.append("\n")
        elif tag == "a" and self.links:
            href, start = self.links.pop()
            words = "".join(self.parts[start:]).strip()
            if href and href.removeprefix("mailto:").removeprefix("tel:") not in words:
                self.parts.append(f" ({href})")

    def handle_data(self, data):
        if not self.hidden:
            self.parts.append(data)


def _html_text(text: str) -> str:
    parser = _TextOfHtml()
    parser.feed(text)
    parser.close()
    return "".join(parser.parts)


def _markdown_text(text: str) -> str:
    """Markdown as the text a reader of it sees: rendered, sanitised, reduced to text."""
    return _html_text(nh3.clean(markdown.markdown(text)))


def _clean(raw: str, fmt: str = "", one_line: bool = False) -> str:
    """Unescape, then make plain text: HTML is reduced to its text (see _TextOfHtml), and
    Markdown rendered first (`*Yes*` reads Yes); whitespace is tidied. `one_line` for an
    option's text, which is one line."""
    text = _unescape(raw)
    if fmt == "[markdown]":
        text = _markdown_text(text)
    elif fmt == "[html]" or (fmt == "" and re.search(r"<[a-zA-Z/][^>]*>", text)):
        text = _html_text(text)
    lines = [" ".join(part.split()) for part in text.split("\n")]
    return (" " if one_line else "\n").join(line for line in lines if line).strip()


def _formatted(raw: str, one_line: bool = False) -> str:
    """A piece of text that may start with a [plain]/[html]/[markdown]/[moodle] marker."""
    fmt, rest = _format(raw)
    return _clean(rest, fmt, one_line)


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


_WEIGHT = re.compile(r"\s*%(-?\d+(?:\.\d+)?)%")


@dataclass
class _Answer:
    mark: str  # "=" or "~"
    weight: float | None
    text: str  # as written, unescaped later
    feedback: str


def _answers(block: str) -> list[_Answer]:
    """The `=`/`~` answers of an answer block, each with its weight and #feedback."""
    found = []
    for mark, piece in _split(block, "=~"):
        if not mark:
            if piece.strip():
                raise _Skip("text before the first answer: each answer starts with = or ~")
            continue
        weight = None
        match = _WEIGHT.match(piece)
        if match:
            weight, piece = float(match.group(1)), piece[match.end():]
        text, *comments = [p for _, p in _split(piece, "#")]
        found.append(_Answer(mark, weight, text, "#".join(comments)))
    return found


def _with_feedback(item: dict, feedback: str) -> dict:
    text = _formatted(feedback)
    if text:
        item["feedback"] = text
    return item


def _number(text: str) -> float:
    try:
        value = float(_unescape(text).strip())
    except ValueError:
        raise _Skip(f"{text.strip()!r} is not a number") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise _Skip(f"{text.strip()!r} is not a number")
    return value


def _numeric_answer(spec: str) -> dict:
    """`4`, `3.14:0.01` (a value and its tolerance) or `1..5` (a range)."""
    spec = spec.strip()
    if ".." in spec:
        low, high = spec.split("..", 1)
        return {"min": _number(low), "max": _number(high)}
    cut = _find(spec, ":")
    if cut == -1 and ":" in spec:
        cut = spec.index(":")
    if cut != -1:
        return {"value": _number(spec[:cut]), "tolerance": abs(_number(spec[cut + 1:]))}
    return {"value": _number(spec)}


def _numerical(block: str) -> dict:
    """`{#4}`, or several answers each with its weight and feedback: `{#=2015:0#Exact
    =%50%2015:2#Close}`, where the first `=` may be left out (`{#3.14159:0.0005#Right
    =%50%3.14:0.01#Close}`)."""
    rest = block[1:].strip()
    if not rest.startswith("=") and (_find(rest, "=") != -1 or _find(rest, "~") != -1):
        rest = "=" + rest
    if not rest.startswith("="):
        spec, *comments = [p for _, p in _split(rest, "#")]
        return {"type": "numerical", "answers": [_with_feedback(_numeric_answer(spec), "#".join(comments))]}
    answers = []
    for answer in _answers(rest):
        if answer.mark != "=":
            raise _Skip("a numerical answer starts with =; wrong answers (~) are not needed")
        item = _numeric_answer(answer.text)
        if answer.weight is not None and answer.weight != 100:
            item["weight"] = answer.weight
        answers.append(_with_feedback(item, answer.feedback))
    return {"type": "numerical", "answers": answers}


def _matching(answers: list[_Answer]) -> dict:
    pairs = []
    for answer in answers:
        if answer.mark != "=" or "->" not in answer.text:
            raise _Skip("a matching question's answers are all =prompt -> match")
        prompt, match = answer.text.split("->", 1)
        pairs.append({"prompt": _formatted(prompt, True), "match": _formatted(match, True)})
    if any(not p["prompt"] for p in pairs):
        raise _Skip("a matching question with an answer that matches no prompt, which the quiz engine does not offer")
    return {"type": "matching", "pairs": pairs}


def _short_answer(answers: list[_Answer]) -> dict:
    accepted = []
    for answer in answers:
        item = {"text": _formatted(answer.text, True)}
        if answer.weight is not None and answer.weight != 100:
            if answer.weight <= 0:
                continue  # Moodle marks such an answer wrong, which any other answer is
            item["weight"] = answer.weight
        accepted.append(_with_feedback(item, answer.feedback))
    return {"type": "short_answer", "answers": accepted}


def _choice(answers: list[_Answer], marker: str) -> dict:
    options = []
    rights = sum(a.mark == "=" for a in answers)
    if rights > 1:
        raise _Skip("more than one answer is marked right with =; for several right answers use ~%50% weights")
    if rights == 1:
        for answer in answers:
            option = {"text": _formatted(answer.text, True), "correct": answer.mark == "="}
            if answer.mark == "~" and answer.weight:
                option["weight"] = answer.weight
            options.append(_with_feedback(option, answer.feedback))
        return {"type": "single", "options": options}
    weights = [a.weight or 0 for a in answers]
    if not any(w > 0 for w in weights):
        raise _Skip("no answer has a positive weight, so none is right")
    shares_rule = marker in (ALL_OR_NOTHING, PARTIAL)
    for answer, weight in zip(answers, weights, strict=True):
        option = {"text": _formatted(answer.text, True)}
        if shares_rule:
            option["correct"] = weight > 0
        else:
            option["weight"] = weight
        options.append(_with_feedback(option, answer.feedback))
    question = {"type": "multiple", "options": options}
    if shares_rule:
        question["partial"] = marker == PARTIAL
    return question


def _parse_question(lines: list[str], marker: str, line: int) -> Read:
    body = " ".join(part.strip() for part in lines)  # a question may span several lines
    title = ""
    if body.startswith("::"):
        end = body.find("::", 2)
        while end != -1 and body[end - 1] == "\\":
            end = body.find("::", end + 1)
        if end == -1:
            raise GiftError(line, "the question's title has no closing ::")
        title, body = _unescape(body[2:end]).strip(), body[end + 2 :]
    fmt, body = _format(body)
    opening = _find(body, "{")
    if opening == -1:
        if _find(body, "}") != -1:
            raise GiftError(line, "a closing } with no opening {")
        raise _Skip("a description (text with no answers), which the quiz engine does not grade")
    closing = _find(body, "}", opening)
    if closing == -1:
        raise GiftError(line, "the answers opened with { have no closing } before the next blank line")
    after = body[closing + 1 :].strip()
    if _find(after, "{") != -1 or _find(after, "}") != -1:
        raise _Skip("more than one answer block: a question the quiz engine does not grade (cloze?)")
    before = body[:opening].strip()
    # Missing word: answers inside the text stand for a blank, as Moodle shows it.
    text = _clean(f"{before} _____ {after}" if after else before, fmt)
    if not text:
        raise _Skip("the question has no text")
    block = body[opening + 1 : closing].strip()
    if not block:
        raise _Skip("an essay question, which the quiz engine does not grade")

    general = ""
    cut = block.find("####")
    while cut > 0 and block[cut - 1] == "\\":
        cut = block.find("####", cut + 1)
    if cut != -1:
        general, block = _formatted(block[cut + 4 :]), block[:cut].strip()
        if not block:
            raise _Skip("an essay question, which the quiz engine does not grade")

    if block.startswith(">"):
        raise _Skip("an ordering question (items to put in order), which the quiz engine does not grade")
    word, *tf_feedback = [piece for _, piece in _split(block, "#")]
    if block.startswith("#"):
        question = _numerical(block)
    elif word.strip().upper() in TRUE_WORDS:
        if len(tf_feedback) > 2:
            raise _Skip("a true/false question takes at most two #feedback texts")
        wrong_fb, right_fb = ([_formatted(f) for f in tf_feedback] + ["", ""])[:2]
        answer = TRUE_WORDS[word.strip().upper()]
        question = {"type": "true_false", "answer": answer}
        # Moodle's order: the first #feedback is for a wrong answer, the second for a right one.
        for field_name, feedback in (("feedback_true", right_fb if answer else wrong_fb),
                                     ("feedback_false", wrong_fb if answer else right_fb)):
            if feedback:
                question[field_name] = feedback
    else:
        answers = _answers(block)
        if not answers:
            raise _Skip("the answers are empty")
        if any("->" in a.text for a in answers):
            question = _matching(answers)
        elif all(a.mark == "=" for a in answers):
            question = _short_answer(answers)
        else:
            question = _choice(answers, marker)
    question["text"] = text
    if general:
        question["feedback"] = general
    return Read(question, title)


def parse_gift(data: str | bytes) -> Imported:
    """Every question in a GIFT file, as quiz pack questions, and the ones skipped (with their
    line and why). Raises GiftError, with the line, for a file that does not parse."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise GiftError(None, f"the file is not UTF-8 text (byte {exc.start})") from None
    text = data.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    return collect(
        ((line, functools.partial(_parse_question, lines, marker, line)) for line, lines, marker in _blocks(text)),
        "gift",
    )


def _name(question: dict, name: str, used: set[str]) -> None:
    """The question's id, a slug of its name (else of its text), unique in the file; the name
    as given is kept beside it when it differs, for export."""
    question["id"] = _unique(_slug(name or question["text"]), used)
    if name and name != question["id"]:
        question["name"] = name


def _unique(slug: str, used: set[str]) -> str:
    candidate, n = slug, 2
    while candidate in used:
        candidate, n = f"{slug}-{n}", n + 1
    used.add(candidate)
    return candidate


def _check(question: dict, imported_from: str) -> None:
    """Refuse a question the pack format would refuse, with the reason."""
    try:
        QuizSchema.model_validate(
            {"title": "check", "pass_mark": 50, "imported_from": imported_from, "questions": [question]},
            strict=False,
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


def _toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return _num(value)
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_toml_value(v)}" for k, v in value.items()) + " }"
    return _toml_string(value)


def _num(value: float) -> str:
    """A number as TOML and GIFT both read it: 4, 0.5, -1e-07."""
    value = float(value)
    return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)


_SCALARS = ("id", "name", "type", "text", "feedback", "answer", "feedback_true", "feedback_false", "partial")
_LISTS = ("options", "answers", "pairs")


def pack_toml(title: str, pass_mark: int, questions: list[dict], imported_from: str | None = None) -> str:
    """A quiz pack's TOML for these questions (any type, with every field they carry)."""
    out = [f"title = {_toml_string(title)}", f"pass_mark = {pass_mark}"]
    if imported_from:
        out.append(f"imported_from = {_toml_string(imported_from)}")
    out.append("")
    for q in questions:
        out.append("[[questions]]")
        out += [f"{key} = {_toml_value(q[key])}" for key in _SCALARS if key in q]
        for key in _LISTS:
            if key in q:
                out.append(f"{key} = [")
                out += [f"  {_toml_value(item)}," for item in q[key]]
                out.append("]")
        out.append("")
    return "\n".join(out)


def import_gift(source: Path, slug: str, title: str, pass_mark: int, out_dir: Path) -> tuple[Path, Imported]:
    """Read a GIFT file and write `out_dir/slug.toml`; nothing is written when no question
    could be imported."""
    result = parse_gift(source.read_bytes())
    return write_pack(result, slug, title, pass_mark, out_dir, "gift"), result


# -- writing GIFT ----------------------------------------------------------------------------


def _escape(text: str) -> str:
    out = "".join("\\" + ch if ch in ESCAPABLE else ch for ch in text)
    return out.replace("\n", "\\n")


def _weight(value: float) -> str:
    """A weight as Moodle writes it (one of its grade fractions when it is one)."""
    try:
        return grades.written(value)
    except grades.NotAGrade:
        return f"{value:.5f}".rstrip("0").rstrip(".")


def _fb(text: str | None) -> str:
    return f"#{_escape(text)}" if text else ""


def _numeric_spec(answer) -> str:
    if answer.value is not None:
        tolerance = "" if answer.tolerance is None else f":{_num(answer.tolerance)}"
        return f"{_num(answer.value)}{tolerance}"
    return f"{_num(answer.min)}..{_num(answer.max)}"


def _share_weights(q) -> list[float]:
    """The pack's own rule for a multiple-answer question without weights, as Moodle's
    weights: each right option 100 / the right ones, each wrong one -100 / the wrong ones."""
    right = sum(o.correct for o in q.options)
    wrong = len(q.options) - right
    return [100 / right if o.correct else -100 / wrong for o in q.options]


def _answer_lines(q) -> list[str]:
    """The lines inside a question's braces, one answer a line."""
    if q.type == "single":
        return [
            f"\t{'=' if o.correct else '~'}{'' if o.correct or not o.weight else f'%{_weight(o.weight)}%'}"
            f"{_escape(o.text)}{_fb(o.feedback)}"
            for o in q.options
        ]
    if q.type == "multiple":
        weights = [o.weight for o in q.options] if q.weighted else _share_weights(q)
        return [f"\t~%{_weight(w)}%{_escape(o.text)}{_fb(o.feedback)}" for o, w in zip(q.options, weights, strict=True)]
    if q.type == "short_answer":
        return [
            f"\t={'' if a.weight == 100 else f'%{_weight(a.weight)}%'}{_escape(a.text)}{_fb(a.feedback)}"
            for a in q.answers
        ]
    if q.type == "numerical":
        return ["\t#"] + [
            f"\t=%{_weight(a.weight)}%{_numeric_spec(a)}{_fb(a.feedback)}" for a in q.answers
        ]
    return [f"\t={_escape(p.prompt)} -> {_escape(p.match)}" for p in q.pairs]


def to_gift(quiz: QuizSchema, slug: str) -> str:
    """A quiz pack as GIFT that Moodle imports: every question of every type, each option
    or answer with its weight and its own feedback, and the question's feedback as the
    general feedback (####) when it has one; a question's Moodle `name`, else its id, as its
    title. Quiz settings GIFT cannot carry (pass mark, draw, shuffle,
    attempts, review) stay in the pack; the first lines say so as comments."""
    out = [
        f"// {quiz.title}",
        f"// Exported from the LMS quiz pack {slug}; pass mark {quiz.pass_mark}%.",
        "// The quiz's settings (pass mark, draw, shuffle, attempts, review) stay in the pack.",
        f"$CATEGORY: {slug}",
        "",
    ]
    for q in quiz.questions:
        head = f"::{_escape(q.name or q.id)}::{_escape(q.text)}"
        feedback = f"####{_escape(q.feedback)}" if q.feedback else ""
        if q.type == "true_false":
            right, wrong = (q.feedback_true, q.feedback_false) if q.answer else (q.feedback_false, q.feedback_true)
            fbs = (f"#{_escape(wrong or '')}#{_escape(right)}" if right else _fb(wrong))
            out.append(f"{head}{{{'TRUE' if q.answer else 'FALSE'}{fbs}{feedback}}}")
            out.append("")
            continue
        if q.type == "multiple" and not q.weighted:
            out.append(f"// {PARTIAL if q.partial else ALL_OR_NOTHING}")
        out.append(head + "{")
        out += _answer_lines(q)
        if feedback:
            out.append(f"\t{feedback}")
        out.append("}")
        out.append("")
    return "\n".join(out)
