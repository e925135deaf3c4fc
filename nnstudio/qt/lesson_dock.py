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
from nnstudio.lessons.vocabulary import Action
from nnstudio.qt.lesson_actions import CANCELLED, LessonDriver
from nnstudio.qt.widgets import muted, setup
from nnstudio.training import presets

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
        self.notes: list[str] = []  # what the page's actions said (a step that could not be done as written)
        self.away = False  # the studio holds another experiment than the one the page works on (see elsewhere)
        self._set_up = False  # the page's actions were carried out (not only its text shown)
        self._applying = False
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
        window.controller.experimentChanged.connect(lambda _e: self._follow_studio())
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
        self._set_up = apply
        lesson, page = self.lesson, self.lesson.pages[index]
        self.title.setText(lesson.title + (f"  ({lesson.tutorial})" if lesson.tutorial else ""))
        self.page_label.setText(f"Page {index + 1} of {len(lesson.pages)}")
        self.text.setMarkdown(f"## {page.title}\n\n{page.text}")
        self.back_button.setEnabled(index > 0)
        self.next_button.setEnabled(index < len(lesson.pages) - 1)
        self.setup_button.setEnabled(bool(page.actions) or self.preset_in_force() is not None)
        self.notes = []
        if apply:
            actions = page.actions
            preset = self.preset_in_force()
            if self.elsewhere and not any(a.kind == "preset" for a in actions):
                # a page that goes on with an earlier page's preset, shown while the studio holds something else:
                # that preset first, or the page's steps would act on another experiment
                actions = (Action("preset", (preset,), page.line), *actions)
            self._applying = True  # (the preset it opens is this page's: nothing to follow meanwhile)
            try:
                self.notes = self._apply(actions)
            finally:
                self._applying = False
            self._set_up = CANCELLED not in self.notes
        self.away = self.elsewhere
        if self.away:
            self.driver.clear()  # (a step was cancelled: the learner kept other work, and the page does not apply)
        self._show_notes()
        self._remember()
        self.refresh_goal()

    def _apply(self, actions) -> list[str]:
        """Carry out ``actions``; what they said, in order (a cancelled step ends them)."""
        notes = []
        for action in actions:
            try:
                note = self.driver.apply(action)
            except Exception as e:  # noqa: BLE001 - one step of a page must never take the studio down
                note = f"This step could not be done ({action}): {type(e).__name__}: {e}"
            if note:
                notes.append(note)
            if note == CANCELLED:
                break
        return notes

    # -- the studio moving on to other work ----------------------------------------------------------------------------
    def preset_in_force(self) -> str | None:
        """The preset this page works on: the one it opens, or else the one the nearest page before it opened
        (None: the lesson has opened none so far, and whatever the studio holds is the page's)."""
        if self.lesson is None:
            return None
        for page in reversed(self.lesson.pages[: self.index + 1]):
            for action in reversed(page.actions):
                if action.kind == "preset":
                    return action.args[0]
        return None

    @property
    def elsewhere(self) -> bool:
        """Whether the studio holds another experiment than the page's: another preset or session opened, File ->
        New, or other data (an experiment keeps its preset's name through the learner's edits, but takes a name of
        its own on another dataset: Controller._switched)."""
        preset = self.preset_in_force()
        exp = self.studio.controller.experiment
        return preset is not None and exp is not None and exp.name != preset

    def _follow_studio(self) -> None:
        """After any change of experiment. When the studio leaves the page's experiment the page says so, its
        highlights and locks go (they frame controls of another set-up), and its goal is no longer checked; when
        it comes back (Undo), the highlights and locks of a page that was set up come back too."""
        if self.lesson is not None and not self._applying:
            if self.elsewhere != self.away:
                self.away = not self.away
                self.driver.clear()
                if not self.away:
                    self.notes = [n for n in self.notes if n != CANCELLED and not n.startswith("Not on screen now")]
                dock = getattr(self.studio, "lesson_dock", None)
                if not self.away and self._set_up and dock is not None and not dock.isHidden():
                    marks = [a for a in self.page.actions if a.kind in ("highlight", "lock")]
                    self.notes += self._apply(marks)
                self._show_notes()
            elif self.away:  # from one experiment of its own to another: the note names the one on show
                self._show_notes()
        self.refresh_goal()

    def _preset_metric(self) -> str | None:
        """The training metric of the page's preset ("accuracy" or "R²"), from its dataset's task."""
        from nnstudio.data.registry import DATASETS

        preset = presets.PRESETS.get(self.preset_in_force() or "")
        source = DATASETS.get(preset.dataset) if preset is not None else None
        return None if source is None else "R²" if source.task == "regression" else "accuracy"

    def _show_notes(self) -> None:
        lines = list(self.notes)
        if self.away:
            exp, name = self.studio.controller.experiment, self.preset_in_force()
            preset = presets.PRESETS[name].title if name in presets.PRESETS else name
            lines.append(f"The studio holds “{exp.title or exp.name}”, not this page's “{preset}”. "
                         "Press Set up to open it.")
        elif not self._set_up and self.page is not None and self.page.actions:
            lines.append("Press Set up to arrange the studio for this page.")
        self.note.setText("\n".join(lines))
        self.note.setVisible(bool(lines))

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
        return not self.away and page.question.check(self.driver.state())[0]

    def refresh_goal(self) -> None:
        page = self.page
        if page is None or page.question is None or not self.isVisible():
            self.goal.hide()
            return
        state = self.driver.state()
        if self.away:  # the question is about the page's experiment, not the one on show
            self.goal.setText(f"<b>Goal:</b> {page.question.describe(self._preset_metric())}, on this page's "
                              "set-up.<br>○ Not on show now.")
            self.goal.setStyleSheet("")
            self.goal.show()
            return
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
