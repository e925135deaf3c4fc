"""Lessons: short guided pages over the studio, one lesson per tutorial, kept as plain text files a teacher can edit
(resources/lessons/, format in its README.md). Parsed and checked here without Qt; ``nnstudio/qt/lesson_dock.py``
shows them and applies their actions to the studio."""

from nnstudio.lessons.catalog import builtin_lessons, load_builtin, open_lesson
from nnstudio.lessons.parse import Lesson, LessonError, Page, load_lesson, parse_lesson
from nnstudio.lessons.questions import Question, StudioState
from nnstudio.lessons.vocabulary import Action, WeightRef

__all__ = ["Action", "Lesson", "LessonError", "Page", "Question", "StudioState", "WeightRef", "builtin_lessons",
           "load_builtin", "load_lesson", "open_lesson", "parse_lesson"]
