"""Reading a lesson file: blocks of ``key: value`` lines between ``---`` lines, each followed by its page's text.

The grammar (resources/lessons/README.md explains it for teachers)::

    ---                      the lesson's own block: 'lesson' (its title) and optionally 'tutorial', 'about'
    lesson: One neuron and the chain rule
    ---
    ---                      one block per page: 'page' (its title), actions, at most one 'question'
    page: The table
    preset: trask-neuron
    ---
    The page's text in Markdown, up to the next line that is exactly '---'.

Nothing here knows Qt or the studio: ``parse_lesson`` turns text into a ``Lesson`` and checks every value against
the vocabulary (``vocabulary.py``), raising ``LessonError`` (file, line, what is wrong) on the first problem.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from nnstudio.lessons import questions, vocabulary as vocab

FENCE = "---"
LESSON_KEYS = ("lesson", "tutorial", "about")
PAGE_KEYS = ("page", "question", *vocab.ACTION_KINDS)


class LessonError(ValueError):
    """What is wrong with a lesson file, and where: ``str(e)`` is ``file, line N: message``."""

    def __init__(self, source: str, line: int, message: str):
        self.source, self.line, self.message = source, line, message
        where = f"{source}, line {line}" if line > 0 else source
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True)
class Page:
    title: str
    text: str  # Markdown
    actions: tuple[vocab.Action, ...] = ()
    question: questions.Question | None = None
    line: int = 0  # where the page's block starts


@dataclass(frozen=True)
class Lesson:
    title: str
    pages: tuple[Page, ...]
    tutorial: str = ""
    about: str = ""
    source: str = ""  # the file it was read from (its name in messages)
    key: str = field(default="", compare=False)  # how the studio finds it again: "builtin:NAME" or a path


def load_lesson(path: str | Path, key: str | None = None) -> Lesson:
    """Read and check the lesson file at ``path``; raises LessonError naming the file (and line) on any problem."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")  # Notepad and friends start files with a BOM
    except UnicodeDecodeError as e:
        raise LessonError(path.name, 0, f"not a UTF-8 text file (byte {e.start})") from None
    except OSError as e:
        raise LessonError(path.name, 0, f"cannot be read ({e.strerror or e})") from None
    lesson = parse_lesson(text, path.name)
    return Lesson(lesson.title, lesson.pages, lesson.tutorial, lesson.about, path.name,
                  key if key is not None else str(path.resolve()))


def _blocks(lines: list[str], source: str):
    """(line of the opening fence, [(line number, key, value)], [(line number, body line)]) for each block."""
    i, n = 0, len(lines)
    while i < n and not lines[i].strip():
        i += 1
    if i == n:
        raise LessonError(source, 0, "the file is empty: a lesson starts with a line '---'")
    if lines[i].strip() != FENCE:
        raise LessonError(source, i + 1, f"a lesson starts with a line '---', not {lines[i].strip()[:40]!r}")
    while i < n:
        start, i, pairs = i + 1, i + 1, []
        while i < n and lines[i].strip() != FENCE:
            raw = lines[i].strip()
            if raw and not raw.startswith("#"):
                key, colon, value = raw.partition(":")
                if not colon or not key.strip() or " " in key.strip():
                    raise LessonError(source, i + 1, f"expected 'key: value', not {raw[:40]!r}")
                pairs.append((i + 1, key.strip().lower(), value.strip()))
            i += 1
        if i == n:
            raise LessonError(source, start, "this block is not closed: add a line '---' after its keys")
        i += 1
        body = []
        while i < n and lines[i].strip() != FENCE:
            body.append((i + 1, lines[i]))
            i += 1
        yield start, pairs, body


def parse_lesson(text: str, source: str = "lesson") -> Lesson:
    """A Lesson from the text of a lesson file (``source`` names it in messages)."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    blocks = list(_blocks(lines, source))
    start, pairs, body = blocks[0]
    head = _single_keys(pairs, LESSON_KEYS, source, "the lesson's block")
    if "lesson" not in head:
        if any(key == "page" for _, key, _ in pairs):
            raise LessonError(source, start, "the first block describes the lesson: it needs 'lesson: TITLE' "
                                             "(pages come after it)")
        raise LessonError(source, start, "the first block needs 'lesson: TITLE'")
    stray = [(n, line) for n, line in body if line.strip()]
    if stray:
        raise LessonError(source, stray[0][0], "text after the lesson's block belongs to no page: start a page "
                                               "with a block holding 'page: TITLE'")
    pages, context = [], vocab.Context()
    for start, pairs, body in blocks[1:]:
        pages.append(_page(start, pairs, body, source, context))
    if not pages:
        raise LessonError(source, blocks[0][0], "the lesson has no pages")
    return Lesson(head["lesson"][1], tuple(pages), head.get("tutorial", (0, ""))[1], head.get("about", (0, ""))[1],
                  source)


def _single_keys(pairs, known, source: str, what: str) -> dict[str, tuple[int, str]]:
    seen: dict[str, tuple[int, str]] = {}
    for line, key, value in pairs:
        if key not in known:
            raise LessonError(source, line, f"unknown key {key!r} in {what} (known: {', '.join(known)})")
        if key in seen:
            raise LessonError(source, line, f"{key!r} is given twice in {what} (first on line {seen[key][0]})")
        if not value:
            raise LessonError(source, line, f"{key!r} has no value")
        seen[key] = (line, value)
    return seen


def _page(start: int, pairs, body, source: str, context: "vocab.Context") -> Page:
    title, question, actions = None, None, []
    for line, key, value in pairs:
        if key not in PAGE_KEYS:
            hint = " (it belongs in the lesson's first block)" if key in LESSON_KEYS else ""
            raise LessonError(source, line, f"unknown key {key!r}{hint} (known: {', '.join(PAGE_KEYS)})")
        if not value and key != "run":
            raise LessonError(source, line, f"{key!r} has no value")
        try:
            if key == "page":
                if title is not None:
                    raise ValueError("'page' is given twice in one block")
                title = value
            elif key == "question":
                if question is not None:
                    raise ValueError("a page asks at most one question")
                question = questions.parse_question(value, context)
            else:
                actions.append(vocab.parse_action(key, value, line, context))
        except ValueError as e:
            raise LessonError(source, line, str(e)) from None
    if title is None:
        raise LessonError(source, start, "this page's block needs 'page: TITLE'")
    text = "\n".join(line for _, line in body).strip("\n")
    return Page(title, text, tuple(actions), question, start)
