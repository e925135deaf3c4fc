"""Compare…: train the current experiment at two or more values of one setting, all from the same start, and keep
each run for comparison (the curves overlay them; the loss surface draws each path when the networks are alike).

The runs are trained on another thread with progress and Cancel in the status bar; the current run is left alone.
"""

from __future__ import annotations

from PySide6.QtWidgets import (QComboBox, QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QSpinBox,
                               QVBoxLayout)

from nnstudio.numbers import count, duration
from nnstudio.training import runs
from nnstudio.training.experiment import ExperimentError
from nnstudio.training.runs import parse_values  # noqa: F401 (the dialog's reading of the values, also for tests)
from nnstudio.qt.widgets import setup

# what each setting's values look like in the text field, and how to read them
EXAMPLES = {
    "learning_rate": "0.003, 0.001",
    "optimizer": "sgd, momentum, adam",
    "batch_size": "1, 4, 0 (0: the whole table)",
    "momentum": "0, 0.5, 0.9",
    "l2": "0, 0.001, 0.01",
    "hidden_layers": "none; 4; 4-4 (sizes of the hidden layers, runs apart by ';')",
    "seed": "1, 2, 3",
}


LONG_S = 60.0  # an estimate beyond this is shown as a warning: the window waits for the runs


class CompareDialog(QDialog):
    def __init__(self, parent, experiment, updates: int, n_train: int = 0, samples_per_second: float = 0.0):
        """``n_train`` (training rows) and ``samples_per_second`` (the speed of the run on show, 0 when it has not
        trained yet) give the time the runs will take, roughly: each run's samples per update (its batch) at that
        speed; the network and the other settings of a run change its speed too."""
        super().__init__(parent)
        self._n_train = int(n_train)
        self._per_sample = 1.0 / samples_per_second if samples_per_second > 0 and n_train > 0 else 0.0
        self.setObjectName("compareDialog")
        self.setWindowTitle("Compare runs")
        self.experiment = experiment
        layout = QVBoxLayout(self)
        intro = QLabel("Train this network once for each value of one setting, all from the same starting weights, "
                       "and keep every run to compare on the curves and the loss surface.")
        intro.setWordWrap(True)
        layout.addWidget(intro)
        form = QFormLayout()
        self.setting_combo = setup(QComboBox(), "compareSettingCombo", "Setting to compare",
                                   "The setting that differs between the runs")
        for key, words in runs.SETTINGS.items():
            self.setting_combo.addItem(words, key)
        self.setting_combo.currentIndexChanged.connect(self._on_setting)
        form.addRow("Setting", self.setting_combo)
        self.values_edit = setup(QLineEdit(), "compareValuesEdit", "Values", "One run for each value")
        form.addRow("Values", self.values_edit)
        self.updates_spin = setup(QSpinBox(), "compareUpdatesSpin", "Updates per run",
                                  "How many updates each run trains")
        self.updates_spin.setRange(1, 10_000_000)
        self.updates_spin.setValue(max(int(updates), 1))
        form.addRow("Updates per run", self.updates_spin)
        layout.addLayout(form)
        self.estimate = QLabel()
        self.estimate.setObjectName("compareEstimateLabel")
        self.estimate.setWordWrap(True)
        layout.addWidget(self.estimate)
        self.values_edit.textChanged.connect(self._update_estimate)
        self.updates_spin.valueChanged.connect(self._update_estimate)
        self.problem = QLabel()
        self.problem.setObjectName("compareProblemLabel")
        self.problem.setStyleSheet("color: #b00020;")
        self.problem.setWordWrap(True)
        layout.addWidget(self.problem)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Compare")
        setup(buttons.button(QDialogButtonBox.StandardButton.Ok), "compareOkButton", "Compare",
              "Train the runs and keep them")
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.chosen: tuple[str, list, int] | None = None
        self._on_setting()
        self.resize(460, self.sizeHint().height())

    def _on_setting(self, *_) -> None:
        setting = self.setting_combo.currentData()
        self.values_edit.setPlaceholderText(EXAMPLES[setting])
        current = getattr(self.experiment, setting, None)
        if setting == "learning_rate" and current:
            self.values_edit.setText(f"{current:g}, {current / 3:.3g}")
        else:
            self.values_edit.clear()
        self.problem.clear()
        self._update_estimate()

    def _update_estimate(self, *_) -> None:
        """How long the runs will take at the current run's speed (nothing before it has trained)."""
        if not hasattr(self, "estimate"):
            return
        setting = self.setting_combo.currentData()
        try:
            values = parse_values(setting, self.values_edit.text())
        except ValueError:
            values = []
        n = len(values)
        if self._per_sample <= 0 or n < 1:
            self.estimate.clear()
            return
        updates, rows = self.updates_spin.value(), self._n_train
        batches = values if setting == "batch_size" else [self.experiment.batch_size] * n  # (0: the whole table)
        samples = sum(min(int(b) or rows, rows) if int(b) >= 0 else rows for b in batches)
        seconds = updates * samples * self._per_sample
        runs_text = f"{count(n)} run{'s' if n != 1 else ''} of {count(updates)} update{'s' if updates != 1 else ''}"
        when = duration(seconds) if seconds < 1 else f"about {duration(seconds)}"
        text = f"{runs_text}: {when} at the speed of the run on show."
        if seconds > LONG_S:
            text += " The window waits for them (Cancel in the status bar stops them); fewer updates are quicker."
        self.estimate.setText(text)
        self.estimate.setStyleSheet("color: #8a4b00;" if seconds > LONG_S else "color: #555;")

    def set_choice(self, setting: str, values_text: str, updates: int) -> None:
        self.setting_combo.setCurrentIndex(self.setting_combo.findData(setting))
        self.values_edit.setText(values_text)
        self.updates_spin.setValue(updates)

    def _accept(self) -> None:
        setting = self.setting_combo.currentData()
        try:
            values = parse_values(setting, self.values_edit.text())
            if len(values) < 2:
                raise ValueError("type at least two values, apart by commas")
            for v in values:
                runs.variant(self.experiment, setting, v)
        except (ValueError, ExperimentError) as e:
            self.problem.setText(str(e))
            return
        self.chosen = (setting, values, self.updates_spin.value())
        self.accept()
