"""The lessons shipped with the studio (resources/lessons/*.md, in file-name order) and finding a lesson again by
the key the studio remembers: ``builtin:NAME`` for a shipped one, a file path for a teacher's."""

from __future__ import annotations

from pathlib import Path

from nnstudio.lessons.parse import Lesson, LessonError, load_lesson
from nnstudio.paths import resource_path

BUILTIN = "builtin:"
FIRST = "t1-chain-rule"  # the lesson the first start opens


def lessons_dir() -> Path:
    return resource_path("lessons")


def builtin_names() -> list[str]:
    """The shipped lessons' names (file names without .md), in order; README.md is the format's description."""
    return sorted(p.stem for p in lessons_dir().glob("*.md") if p.name != "README.md")


def load_builtin(name: str) -> Lesson:
    path = lessons_dir() / f"{name}.md"
    if not path.is_file():
        raise LessonError(f"{name}.md", 0, f"no lesson called {name!r} is shipped (known: "
                                           f"{', '.join(builtin_names())})")
    return load_lesson(path, key=BUILTIN + name)


def builtin_lessons() -> list[Lesson]:
    """Every shipped lesson (a broken one raises: the tests keep them whole)."""
    return [load_builtin(name) for name in builtin_names()]


def open_lesson(key: str) -> Lesson:
    """The lesson a remembered key names (raises LessonError when it is gone or broken)."""
    if key.startswith(BUILTIN):
        return load_builtin(key[len(BUILTIN):])
    return load_lesson(Path(key), key=key)
