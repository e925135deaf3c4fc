"""The lesson panel: a lesson's pages one at a time beside the studio, with Back / Next, the page's goal and whether
the studio meets it. Lessons come from ``nnstudio/lessons`` (plain text files); their actions are carried out by
``lesson_actions.LessonDriver``. ``install(window)`` adds the dock, File -> Open lesson…, Help -> Lessons, and
on the first start opens the first lesson; the studio remembers the lesson and page a learner stopped at."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtWidgets import (QFileDialog, QHBoxLayout, QLabel, QMenu, QPushButton, QTextBrowser,
                               QVBoxLayout, QWidget)

from nnstudio.lessons import Lesson, LessonError, load_lesson
from nnstudio.lessons.catalog import BUILTIN, FIRST, builtin_names, load_builtin, open_lesson
from nnstudio.qt.lesson_actions import CANCELLED, LessonDriver
from nnstudio.qt.widgets import muted, setup

LESSON_FILTER = "Lessons (*.md *.txt);;All files (*)"
SEEN, KEY, PAGE = "lessons/seen", "lessons/key", "lessons/page"
CHECK_MS = 250  # the goal is checked against the studio four times a second


class LessonPanel(QWidget):
    def __init__(self, window):
        super().__init__()
        self.setObjectName("lessonPanel")
        self.studio = window  # (not "window": that would hide QWidget.window())
        self.driver = LessonDriver(window)
        self.lesson: Lesson | None = None
        self.index = 0
        self.notes: list[str] = []
        self.title = QLabel("No lesson open: Help → Lessons lists them.")
        self.title.setObjectName("lessonTitle")
        self.title.setWordWrap(True)
        self.title.setStyleSheet("font-weight: bold;")
        self.page_label = QLabel("")
        self.page_label.setObjectName("lessonPageLabel")
        self.page_label.setStyleSheet(muted())
        self.text = setup(QTextBrowser(), "lessonText", "Lesson page", "What to look at and what to try")
        self.text.setOpenExternalLinks(True)
        self.goal = QLabel("")
        self.goal.setObjectName("lessonGoal")
        self.goal.setWordWrap(True)
        self.note = QLabel("")
        self.note.setObjectName("lessonNote")
        self.note.setWordWrap(True)
        self.note.setStyleSheet("color: #8a4b00;")
        self.back_button = setup(QPushButton("◀ Back"), "lessonBackButton", "Previous lesson page",
                                 "The previous page (it sets the studio up again)")
        self.setup_button = setup(QPushButton("Set up"), "lessonSetupButton", "Set up this page",
                                  "Set the studio up as this page describes (again)")
        self.next_button = setup(QPushButton("Next ▶"), "lessonNextButton", "Next lesson page",
                                 "The next page (it sets the studio up for it)")
        self.back_button.clicked.connect(lambda: self.go(self.index - 1))
        self.next_button.clicked.connect(lambda: self.go(self.index + 1))
        self.setup_button.clicked.connect(lambda: self.show_page(self.index, apply=True))
        buttons = QHBoxLayout()
        buttons.addWidget(self.back_button)
        buttons.addStretch(1)
        buttons.addWidget(self.setup_button)
        buttons.addStretch(1)
        buttons.addWidget(self.next_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.addWidget(self.title)
        layout.addWidget(self.page_label)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.goal)
        layout.addWidget(self.note)
        layout.addLayout(buttons)
        self._show_nothing()
        self.timer = QTimer(self)
        self.timer.setObjectName("lessonCheckTimer")
        self.timer.timeout.connect(self.refresh_goal)
        self.timer.start(CHECK_MS)
        window.controller.experimentChanged.connect(lambda _e: self.refresh_goal())
        window.context.selectionChanged.connect(lambda _s: self.refresh_goal())

    # -- lessons -------------------------------------------------------------------------------------------------------
    def open(self, lesson: Lesson, page: int = 0, apply: bool = True) -> None:
        self.driver.clear()
        self.lesson = lesson
        self.show_page(min(max(page, 0), len(lesson.pages) - 1), apply)

    def open_key(self, key: str, page: int = 0, apply: bool = True) -> bool:
        """Open the lesson a key names (``builtin:NAME`` or a path); a broken or missing one is explained."""
        try:
            lesson = open_lesson(key)
        except LessonError as e:
            self.studio.show_message("warning", "Cannot open this lesson", str(e), "lessonErrorDialog")
            return False
        self.open(lesson, page, apply)
        return True

    def open_file(self, path: str | Path) -> bool:
        """A teacher's lesson file: checked whole first, so a broken one changes nothing (a message names the file,
        the line and the problem)."""
        try:
            lesson = load_lesson(path)
        except LessonError as e:
            self.studio.show_message("warning", "Cannot open this lesson", str(e), "lessonErrorDialog")
            return False
        self.open(lesson)
        return True

    def go(self, index: int) -> None:
        if self.lesson is not None and 0 <= index < len(self.lesson.pages):
            self.show_page(index, apply=True)

    @property
    def page(self):
        return None if self.lesson is None else self.lesson.pages[self.index]

    def show_page(self, index: int, apply: bool) -> None:
        self.driver.clear()
        self.index = index
        lesson, page = self.lesson, self.lesson.pages[index]
        self.title.setText(lesson.title + (f"  ({lesson.tutorial})" if lesson.tutorial else ""))
        self.page_label.setText(f"Page {index + 1} of {len(lesson.pages)}")
        self.text.setMarkdown(f"## {page.title}\n\n{page.text}")
        self.back_button.setEnabled(index > 0)
        self.next_button.setEnabled(index < len(lesson.pages) - 1)
        self.setup_button.setEnabled(bool(page.actions))
        self.notes = []
        if apply:
            for action in page.actions:
                try:
                    note = self.driver.apply(action)
                except Exception as e:  # noqa: BLE001 - one step of a page must never take the studio down
                    note = f"This step could not be done ({action}): {type(e).__name__}: {e}"
                if note:
                    self.notes.append(note)
                if note == CANCELLED:
                    break
        elif page.actions:
            self.notes.append("Press Set up to arrange the studio for this page.")
        self.note.setText("\n".join(self.notes))
        self.note.setVisible(bool(self.notes))
        self._remember()
        self.refresh_goal()

    def _show_nothing(self) -> None:
        self.text.setMarkdown("A lesson walks you through one tutorial in the studio, page by page.\n\n"
                              "Open one from **Help → Lessons**.")
        for b in (self.back_button, self.next_button, self.setup_button):
            b.setEnabled(False)
        self.goal.hide()
        self.note.hide()

    def _remember(self) -> None:
        settings = QSettings()
        settings.setValue(KEY, self.lesson.key)
        settings.setValue(PAGE, self.index)

    # -- the goal ------------------------------------------------------------------------------------------------------
    @property
    def goal_met(self) -> bool | None:
        """Whether the page's question is met now (None: the page asks none)."""
        page = self.page
        if page is None or page.question is None:
            return None
        return page.question.check(self.driver.state())[0]

    def refresh_goal(self) -> None:
        page = self.page
        if page is None or page.question is None or not self.isVisible():
            self.goal.hide()
            return
        state = self.driver.state()
        met, now = page.question.check(state)
        mark = "✔ Done" if met else "○ Not yet"
        metric = getattr(state.snapshot, "metric_name", None)
        self.goal.setText(f"<b>Goal:</b> {page.question.describe(metric)}.<br>{mark}: {now}.")
        self.goal.setStyleSheet("color: #1d7a2e;" if met else "")
        self.goal.show()


def install(window) -> "LessonPanel":
    """Add the lesson dock and its menu entries to ``window`` (after its docks and menus are built)."""
    panel = LessonPanel(window)
    dock = window._dock(panel, "Lesson", "lessonDock", Qt.DockWidgetArea.LeftDockWidgetArea)
    window.splitDockWidget(window.data_dock, dock, Qt.Orientation.Vertical)
    window.resizeDocks([window.data_dock, dock, window.builder_dock], [230, 400, 260], Qt.Orientation.Vertical)
    dock.hide()
    # closing the panel ends the page's highlights and locks (a control locked by a page no one sees is a trap)
    dock.visibilityChanged.connect(lambda _v: panel.driver.clear() if dock.isHidden() else None)
    window.lesson_dock, window.lessons = dock, panel
    bar = window.menuBar()
    view = bar.findChild(QMenu, "viewMenu")
    view.insertAction(window.reset_layout_action, dock.toggleViewAction())
    open_action = window._action("Open lesson…", "openLessonAction",
                                 "Open a lesson file (yours or a teacher's) in the Lesson panel",
                                 lambda: _ask_and_open(window))
    file_menu = bar.findChild(QMenu, "fileMenu")
    file_menu.insertAction(window.quit_action, open_action)
    file_menu.insertSeparator(window.quit_action)
    help_menu = bar.findChild(QMenu, "helpMenu")
    menu = QMenu("Lessons", window)
    menu.setObjectName("helpLessonsMenu")
    menu.setToolTipsVisible(True)
    for name in builtin_names():
        try:
            lesson = load_builtin(name)
        except LessonError as e:  # a damaged installation: say so in the menu rather than not start
            action = menu.addAction(f"{name} (cannot be read)")
            action.setToolTip(str(e))
            action.setEnabled(False)
            continue
        action = menu.addAction(f"{lesson.tutorial}: {lesson.title}" if lesson.tutorial else lesson.title)
        action.setObjectName(f"helpLesson_{name}")
        action.setToolTip(lesson.about)
        action.triggered.connect(lambda _=False, key=BUILTIN + name: _open_shown(window, key))
    first = help_menu.actions()[0] if help_menu.actions() else None
    help_menu.insertMenu(first, menu)
    help_menu.insertSeparator(first)
    window.help_lessons_menu = menu
    return panel


def _open_shown(window, key: str, page: int = 0, apply: bool = True) -> bool:
    if window.lessons.open_key(key, page, apply):
        window.lesson_dock.show()
        window.lesson_dock.raise_()
        return True
    return False


def _ask_and_open(window) -> None:
    start = QSettings().value("lessons/folder", str(Path.home()))
    name = ask_lesson_path(window, start)
    if name:
        QSettings().setValue("lessons/folder", str(Path(name).parent))
        if window.lessons.open_file(name):
            window.lesson_dock.show()
            window.lesson_dock.raise_()


def ask_lesson_path(window, start: str) -> str:
    """The file dialog (tests replace it)."""
    name, _ = QFileDialog.getOpenFileName(window, "Open lesson", start, LESSON_FILTER)
    return name


def start(window, opened_file: bool) -> None:
    """At the end of the window's start: the very first start opens the first lesson's first page (setting the
    studio up for it unless a file was opened); later starts come back to the lesson and page the learner left."""
    settings = QSettings()
    if not settings.value(SEEN, False, type=bool):
        settings.setValue(SEEN, True)
        _open_shown(window, BUILTIN + FIRST, 0, apply=not opened_file)
        return
    key = settings.value(KEY, "", type=str)
    if key:
        try:
            lesson = open_lesson(key)
        except LessonError as e:
            window.statusBar().showMessage(f"The lesson you left could not be opened again: {e}", 10000)
            return
        window.lessons.open(lesson, settings.value(PAGE, 0, type=int), apply=False)
