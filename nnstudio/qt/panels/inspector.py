"""Inside one update: the backprop inspector. It walks the Trainer's next update in stages (the batch, the forward
pass layer by layer, the loss, the backward pass from the output down, the update) with every number on show, and,
for the weight selected in the network drawing, the chain rule as numbers beside a finite-difference check.

The panel never touches the Trainer: it asks for an ``Inspection`` (``inspectRequested``; the window has the worker
work it out where the Trainer lives) and walks it. Going back and forth changes nothing. Going on from the last stage
asks for the update itself (``finishRequested``: the window's ordinary Step, so every panel follows); when its
snapshot comes, the new weights are compared with those shown, bit for bit, and the next update is inspected.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QGuiApplication, QKeySequence, QShortcut
from PySide6.QtWidgets import (QGroupBox, QHBoxLayout, QLabel, QListView, QListWidget, QPushButton, QSpinBox,
                               QVBoxLayout, QWidget)

from nnstudio.numbers import count
from nnstudio.qt.panels.base import Panel, PanelContext
from nnstudio.qt.panels.inspector_view import StageWidget, as_csv, as_text, table_widget
from nnstudio.qt.widgets import blocked, muted, scroll_column, setup
from nnstudio.training.inspect_chain import chain_rule, finite_difference
from nnstudio.training.inspect_step import Inspection
from nnstudio.training.inspect_text import Stage, chain_lines, contributions_table, focus_for, stages, view
from nnstudio.training.trainer import Snapshot

IDLE = ("Press “Look inside” (or Shift+S) to walk through the next update in stages: the batch, the forward pass, "
        "the loss, the backward pass and the update, with every number. Click an edge in the network to see its "
        "weight's chain rule.")


class InspectorPanel(Panel):
    name = "inspector"
    title = "Inside one update"
    description = "The next update in stages, with every number, and the chain rule of the selected weight."

    inspectRequested = Signal()  # work out the Trainer's next update (the window asks the worker)
    finishRequested = Signal()  # make the update now (the window's Step)
    highlightChanged = Signal(object)  # (dense layer whose weights are in play or None, {column: unit}) or None

    def __init__(self, context: PanelContext, parent: QWidget | None = None):
        super().__init__(context, parent)
        self.inspection: Inspection | None = None
        self.stage_list_: list[Stage] = []
        self.stage_index = 0
        self.awaiting = False  # an inspection was asked for and has not come yet
        self.finishing: Inspection | None = None  # the update asked for, until its snapshot comes
        self._finish_from: Snapshot | None = None  # the snapshot on show when it was asked for
        self.last_check: bool | None = None  # whether the last update made gave exactly the weights shown
        self.chain = self.check = None  # the selected weight's ChainRule and FiniteDifference
        self.shown = True  # see set_shown
        self._build()
        context.selectionChanged.connect(lambda _s: self._refresh())
        context.dataChanged.connect(self._on_data_changed)
        context.trainingChanged.connect(lambda _r: self._refresh())
        self._refresh()

    # -- widgets ------------------------------------------------------------------------------------------------------
    def _build(self) -> None:
        self.start_button = setup(QPushButton("Look inside"), "lookInsideButton", "Look inside the next update",
                                  "Work out the next update in stages without making it (Shift+S)")
        self.previous_button = setup(QPushButton("◀ Previous"), "previousStageButton", "Previous stage",
                                     "Back one stage (Left, or P here); nothing changes in the network")
        self.next_button = setup(QPushButton("Next ▶"), "nextStageButton", "Next stage",
                                 "On one stage (S or Right in step-inside mode, or N here); after the last stage "
                                 "the update is made")
        self.sample_spin = setup(QSpinBox(), "inspectorSampleSpin", "Sample of the batch written out",
                                 "Which sample of the batch the stages and the chain rule write out")
        self.sample_spin.setPrefix("sample ")
        self.sample_spin.setRange(1, 1)
        self.sample_spin.setKeyboardTracking(False)
        self.start_button.clicked.connect(self.start)
        self.previous_button.clicked.connect(self.previous_stage)
        self.next_button.clicked.connect(self.next_stage)
        self.sample_spin.valueChanged.connect(self._on_sample)
        for keys, slot, name in ((("N", "PgDown"), self.next_stage, "nextStageShortcut"),
                                 (("P", "PgUp"), self.previous_stage, "previousStageShortcut")):
            for key in keys:
                shortcut = QShortcut(QKeySequence(key), self, slot)
                shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
                shortcut.setObjectName(name)
        self.headline = QLabel()
        self.headline.setObjectName("inspectorHeadline")
        font = self.headline.font()
        font.setBold(True)
        self.headline.setFont(font)
        self.headline.setWordWrap(True)
        self.check_label = QLabel()
        self.check_label.setObjectName("inspectorCheckLabel")
        self.check_label.setWordWrap(True)
        self.check_label.setStyleSheet(muted())
        self.stages_widget = setup(QListWidget(), "stageList", "Stages of the update",
                                   "The stages of the update: click one to go there")
        self.stages_widget.setFlow(QListView.Flow.LeftToRight)  # the stages as a row of steps, wrapped: the
        self.stages_widget.setWrapping(True)  # numbers get the panel's whole width
        self.stages_widget.setResizeMode(QListView.ResizeMode.Adjust)
        self.stages_widget.setSpacing(2)
        self.stages_widget.setMaximumHeight(3 * self.fontMetrics().height() + 16)
        self.stages_widget.currentRowChanged.connect(self._on_stage_clicked)
        top = QHBoxLayout()
        top.setContentsMargins(4, 2, 4, 0)
        for w in (self.start_button, self.previous_button, self.next_button, self.sample_spin):
            top.addWidget(w)
        top.addStretch(1)
        right = QWidget()
        column = scroll_column(right, "inspector")
        column.addWidget(self.headline)
        self.stage = StageWidget()
        column.addWidget(self.stage)
        self.chain_box = QGroupBox("Chain rule of the selected weight")
        self.chain_box.setObjectName("chainRuleBox")
        box = QVBoxLayout(self.chain_box)
        self.chain_text = QLabel()
        self.chain_text.setObjectName("chainRuleText")
        self.chain_text.setWordWrap(True)
        self.chain_text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.chain_text.setContextMenuPolicy(Qt.ContextMenuPolicy.NoContextMenu)
        box.addWidget(self.chain_text)
        self.contributions: QWidget | None = None
        self._chain_layout = box
        column.addWidget(self.chain_box)
        column.addWidget(self.check_label)
        column.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addLayout(top)
        layout.addWidget(self.stages_widget)
        layout.addWidget(right, 1)

    # -- walking ------------------------------------------------------------------------------------------------------
    def start(self) -> None:
        """Ask for the next update, worked out in stages (nothing is changed by it)."""
        if self.context.training or self.awaiting:
            return
        self.awaiting = True
        self._refresh()
        self.inspectRequested.emit()

    def set_inspection(self, ins: Inspection) -> None:
        """The worker's inspection of the next update: shown from its first stage (dropped if not asked for, or if
        the network moved on meanwhile)."""
        snap = self.snapshot
        if not self.awaiting or (snap is not None and (snap.step != ins.step or len(snap.weights) != len(ins.old)
                                                       or any(w.shape != o.shape for w, o in zip(snap.weights,
                                                                                                 ins.old)))):
            return
        self.awaiting = False
        self.inspection = ins
        self.stage_list_ = stages(ins)
        self.stage_index = 0
        with blocked(self.stages_widget):
            self.stages_widget.clear()
            for k, st in enumerate(self.stage_list_):
                self.stages_widget.addItem(f"{k + 1}. {view(ins, st, focus_for(ins, None, 0)).title}")
            self.stages_widget.addItem(f"{len(self.stage_list_) + 1}. Make the update")
        with blocked(self.sample_spin):
            self.sample_spin.setRange(1, ins.n_rows)
            self.sample_spin.setValue(min(self.sample_spin.value(), ins.n_rows))
        self._on_sample(self.sample_spin.value())  # the drawing shows the sample written out

    def request_failed(self, message: str, *_details) -> None:
        """The worker could not work the update out (its error is reported by the window): stop waiting for it."""
        if self.awaiting:
            self.awaiting = False
            self.check_label.setText(f"The update could not be worked out: {message}")
            self._refresh()

    def next_stage(self) -> None:
        """On one stage; from the last one, make the update (the window's Step)."""
        if self.inspection is None:
            self.start()
            return
        if self.finishing is not None or self.context.training:
            return
        if self.stage_index < len(self.stage_list_) - 1:
            self.go_to(self.stage_index + 1)
            return
        self.finishing, self._finish_from = self.inspection, self.snapshot
        self._refresh()
        self.finishRequested.emit()

    def previous_stage(self) -> None:
        if self.inspection is not None and self.finishing is None and self.stage_index > 0:
            self.go_to(self.stage_index - 1)

    def go_to(self, index: int) -> None:
        if self.inspection is None:
            return
        self.stage_index = max(0, min(index, len(self.stage_list_) - 1))
        self._refresh()

    @property
    def current_stage(self) -> Stage | None:
        return self.stage_list_[self.stage_index] if self.inspection is not None else None

    def _on_stage_clicked(self, row: int) -> None:
        if row == len(self.stage_list_):
            self.go_to(row - 1)
            self.next_stage()
        elif row >= 0:
            self.go_to(row)

    def _on_sample(self, value: int) -> None:
        ins = self.inspection
        prepared = self.context.prepared_if_made()
        if ins is not None and prepared is not None and 0 < value <= ins.n_rows:
            row = int(ins.rows[value - 1])
            if row < len(prepared.train_rows):  # the network drawing shows this sample's values
                self.context.select_sample(int(prepared.train_rows[row]))
        self._refresh()

    # -- snapshots ----------------------------------------------------------------------------------------------------
    def set_snapshot(self, snap: Snapshot) -> None:
        old = self.snapshot
        super().set_snapshot(snap)
        done = self.finishing
        # the update's snapshot: a new one with another update count, or one saying that training diverged (the first
        # update after a reset keeps its weights and its count when it does)
        if done is not None and snap is not self._finish_from and (snap.step != done.step or snap.diverged):
            self.finishing = None
            made = snap.step == done.step + 1 and not snap.diverged
            self.last_check = made and all(np.array_equal(a, b) for a, b in zip(done.new, snap.weights))
            self._check_text(done, snap, made)
            self.inspection = None
            self.start()  # on to the next update, from its first stage
            return
        ins = self.inspection
        if ins is not None and snap.step != ins.step and (old is None or old.step != snap.step):
            self.inspection = None  # the network moved on (a run, a Step, a reset): this update is no more
            self.check_label.setText("")
            if self.shown and self.isVisible() and not self.context.training:
                self.start()
            else:
                self._refresh()

    def _check_text(self, done: Inspection, snap: Snapshot, made: bool) -> None:
        if not made:
            self.check_label.setText(f"Update {count(done.step + 1)} was not made: "
                                     f"{snap.diverged or 'the network moved on'}")
        elif self.last_check:
            n = sum(w.size for w in snap.weights)
            self.check_label.setText(f"Update {count(done.step + 1)} made: all {count(n)} new weights are exactly "
                                     "the ones shown here, bit for bit.")
        else:
            self.check_label.setText(f"Update {count(done.step + 1)} made, but its weights differ from those shown "
                                     "(please report this).")

    def _on_data_changed(self) -> None:
        self.inspection, self.finishing, self.awaiting = None, None, False
        self.stage_list_ = []
        self.check_label.setText("")
        with blocked(self.stages_widget):
            self.stages_widget.clear()
        self._refresh()

    # -- showing ------------------------------------------------------------------------------------------------------
    def set_shown(self, shown: bool) -> None:
        """Whether the panel is on screen (its dock's tab in front). Hidden, it works nothing out at each click, and
        the drawing marks no stage; shown again, it catches up."""
        self.shown = shown
        self._refresh()

    def _refresh(self) -> None:
        ins, training = self.inspection, self.context.training
        self.start_button.setEnabled(not training and not self.awaiting and self.finishing is None)
        self.start_button.setText("Look inside" if ins is None else "Start again")
        walking = ins is not None and not training and self.finishing is None
        self.previous_button.setEnabled(walking and self.stage_index > 0)
        self.next_button.setEnabled(walking)
        self.sample_spin.setEnabled(ins is not None)
        if ins is not None:
            last = self.stage_index == len(self.stage_list_) - 1
            self.next_button.setText("Make the update ▶" if last else "Next ▶")
            with blocked(self.stages_widget):
                self.stages_widget.setCurrentRow(self.stage_index)
        if training:
            self.headline.setText("Training is running")
            self.stage.show_view(None, "Pause training to look inside an update.")
        elif ins is None:
            self.headline.setText("Working out the next update…" if self.awaiting else "Inside one update")
            self.stage.show_view(None, "" if self.awaiting else IDLE)
        if ins is None or training or not self.shown:
            self.chain_box.hide()
            self.highlightChanged.emit(None)
            return
        focus = self._focus()
        stage = self.current_stage
        v = view(ins, stage, focus)
        self.headline.setText(f"Update {count(ins.step + 1)} · stage {self.stage_index + 1} of "
                              f"{len(self.stage_list_)}: {v.title}")
        self.stage.show_view(v)
        self._show_chain(focus)
        units = {c: focus.unit(c) for c in v.columns}
        self.highlightChanged.emit((v.edge_layer, units))

    def _focus(self):
        return focus_for(self.inspection, self._selection(), self.sample_spin.value() - 1)

    def _selection(self) -> tuple[int, int] | None:
        sel, ins = self.context.selection, self.inspection
        if sel is None or ins is None or sel[0] >= len(ins.old) or sel[1] >= ins.old[sel[0]].size:
            return None
        return sel

    def _show_chain(self, focus) -> None:
        ins, sel = self.inspection, self._selection()
        self.chain = self.check = None
        if self.contributions is not None:
            self._chain_layout.removeWidget(self.contributions)
            self.contributions.deleteLater()
            self.contributions = None
        self.chain_box.show()
        if sel is None:
            self.chain_text.setText("Click an edge (or a bias) in the network to see its weight's gradient "
                                    "taken apart by the chain rule, and checked by nudging the weight.")
            return
        if ins.layers[-1].delta is None:
            self.chain_text.setText(f"This update stops before the backward pass: {ins.stopped}.")
            return
        self.chain = chain_rule(ins, *sel, sample=focus.sample)
        self.check = finite_difference(ins, *sel)
        self.chain_text.setText("\n".join(chain_lines(ins, self.chain, self.check)))
        if ins.n_rows > 1:
            self.contributions = table_widget(contributions_table(ins, self.chain), "contributionsTable")
            self._chain_layout.addWidget(self.contributions)

    # -- copying and export -------------------------------------------------------------------------------------------
    def _current_tables(self):
        tables = list(self.stage.view.tables) if self.stage.view is not None else []
        if self.chain is not None and self.inspection is not None and self.inspection.n_rows > 1:
            tables.append(contributions_table(self.inspection, self.chain))
        return tables

    def stage_text(self) -> str:
        v = self.stage.view
        lines = list(v.lines) if v is not None else [self.stage.text.text()]
        if self.chain is not None:
            lines += ["", *chain_lines(self.inspection, self.chain, self.check)]
        return as_text(self.headline.text(), lines, self._current_tables())

    def stage_csv(self) -> str:
        return as_csv(self._current_tables())

    def export_menu(self):
        menu = super().export_menu()
        first = menu.actions()[0] if menu.actions() else None
        for text, name, fn in (("Copy stage as text", "copyStageTextAction", self.stage_text),
                               ("Copy stage as CSV", "copyStageCsvAction", self.stage_csv)):
            action = menu.addAction(text)
            action.setObjectName(name)
            action.triggered.connect(lambda _=False, f=fn: QGuiApplication.clipboard().setText(f()))
            if first is not None:
                menu.insertAction(first, action)
        if first is not None:
            menu.insertSeparator(first)
        return menu

    def csv_table(self) -> tuple[list[str], list[list]]:
        """The stage's tables one under the other: each table's caption in the first column, its header as a row."""
        rows = []
        for table in self._current_tables():
            rows += [[table.caption, *table.header]] + [[table.caption, *row] for row in table.rows]
        return ["table", "values"], rows

