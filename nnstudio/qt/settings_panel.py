"""Training settings: how the weights start and how they move. Each control edits one Experiment field through
``StudioController.edit`` (one undoable step) and shows the current experiment again after every change, accepted or
refused. Settings of the optimisation keep the weights; settings of the starting point draw them again.
"""

from __future__ import annotations

from PySide6.QtWidgets import QCheckBox, QDoubleSpinBox, QFormLayout, QHBoxLayout, QLabel, QWidget

from nnstudio.core import init, optimizers
from nnstudio.training.experiment import MAX_PATIENCE
from nnstudio.qt.widgets import blocked, fill_combo, int_spin, make_combo, muted, scroll_column, setup

OPTIMIZER_FORMULAS = {
    "sgd": "w ← w − η∇L: a step down the gradient",
    "momentum": "v ← μv − η∇L; w ← w + v: steps build up speed along steady directions",
    "nesterov": "v ← μv − η∇L; w ← w + μv − η∇L: momentum that looks one step ahead",
    "adam": ("m ← β₁m + (1 − β₁)g; s ← β₂s + (1 − β₂)g²; w ← w − η·m̂ / (√ŝ + ε): a step per weight, scaled by "
             "its recent gradients"),
}
SCHEDULE_LABELS = {  # name: (label, tooltip)
    "constant": ("constant", "η stays at the value set above"),
    "inverse": ("η₀ / (1 + d·epoch)", "η = η₀ / (1 + d·e) in epoch e: shrinks slowly"),
    "compound": ("compound decay", "η is divided by (1 + d·e) again at the start of each epoch e: shrinks fast"),
}
BIAS_INIT_LABELS = {
    "zeros": ("zeros", "Every bias starts at 0."),
    "same": ("drawn like the weights", "Each bias is drawn like a weight (the tutorials' 'bias unit')."),
}
DTYPE_LABELS = {
    "float64": ("float64 (double)", "64-bit numbers: about 16 significant digits"),
    "float32": ("float32 (single)", "32-bit numbers: about 7 significant digits, faster on large networks"),
}
PREPROCESSING_LABELS = {
    "dataset": ("as the dataset suggests", "Use the scaling that comes with the dataset."),
    "none": ("raw values", "Feed the numbers exactly as they are in the table."),
    "standardize": ("standardised", "x' = (x − mean) / std per feature, measured on the training rows"),
}
EARLY_STOPPING_TIP = ("Stop training when the test loss has not got better for this many epochs in a row: the "
                      "network has started to learn its training rows by heart. Off: train every epoch.")
NO_TEST_TIP = "This dataset has no test rows, so there is no test loss to watch: early stopping does nothing."
NOTE = ("Weights kept when you change: learning rate, optimizer and its settings, batch size, shuffle, L1/L2, "
        "schedule, epochs, early stopping. Weights start again when you change: initialiser, bias start, seed, precision, input "
        "scaling, data, layers.")


class Number(QDoubleSpinBox):
    """A spin box that shows 0.1 rather than 0.100000 (trailing zeros dropped), and edits on commit only."""

    def __init__(self, lo: float, hi: float, decimals: int, step: float | None = None):
        super().__init__()
        self.setDecimals(decimals)
        self.setRange(lo, hi)
        self.setKeyboardTracking(False)
        if step is None:
            self.setStepType(QDoubleSpinBox.StepType.AdaptiveDecimalStepType)
        else:
            self.setSingleStep(step)

    def textFromValue(self, value: float) -> str:  # noqa: N802 - Qt override
        text = self.locale().toString(float(value), "f", self.decimals())
        point = self.locale().decimalPoint()
        return text.rstrip("0").rstrip(point) if point in text else text


class TrainingSettingsPanel(QWidget):
    """The Experiment's hyper-parameters in a form; see the module docstring."""

    def __init__(self, controller, parent: QWidget | None = None):
        super().__init__(parent)
        self.controller = controller
        self.setObjectName("trainingSettingsPanel")
        column = scroll_column(self, "settings")
        column.setContentsMargins(8, 6, 8, 6)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.DontWrapRows)
        form.setHorizontalSpacing(8)
        form.setVerticalSpacing(3)
        column.addLayout(form)

        # -- how the weights move (kept on change) --
        form.addRow(self._heading("Training", "weights kept"))
        self.optimizerCombo = make_combo("optimizerCombo", "Optimizer", "How each update moves the weights.")
        form.addRow("Optimizer", self.optimizerCombo)
        self.learningRateSpin = setup(Number(1e-6, 100.0, 6), "learningRateSpin", "Learning rate",
                                      "η, the step size: w ← w − η∇L. Too large and the loss jumps about or "
                                      "blows up; too small and learning crawls.")
        form.addRow("Learning rate η", self.learningRateSpin)
        self.momentumSpin = setup(Number(0.0, 0.9999, 4, 0.01), "momentumSpin", "Momentum",
                                  "μ, how much of the last step carries over: v ← μv − η∇L; w ← w + v "
                                  "(momentum and Nesterov only).")
        form.addRow("Momentum μ", self.momentumSpin)
        self.beta1Spin = setup(Number(0.0, 0.9999, 4, 0.01), "beta1Spin", "Adam beta 1",
                               "β₁, memory of the average gradient: m ← β₁m + (1 − β₁)g (Adam only).")
        self.beta2Spin = setup(Number(0.0, 0.9999, 4, 0.001), "beta2Spin", "Adam beta 2",
                               "β₂, memory of the average squared gradient: s ← β₂s + (1 − β₂)g² (Adam only).")
        form.addRow("Adam β₁, β₂", self._pair(self.beta1Spin, self.beta2Spin))
        self.batchSizeSpin = setup(int_spin(0, 1_000_000), "batchSizeSpin", "Batch size",
                                   "Rows per update: full batch uses every row (one update per epoch); 1 updates "
                                   "after each row (stochastic); in between, minibatches.")
        self.batchSizeSpin.setSpecialValueText("full batch")
        self.shuffleCheck = setup(QCheckBox("Shuffle"), "shuffleCheck", "Shuffle rows",
                                  "Visit the rows in a new random order every epoch (off: table order).")
        form.addRow("Batch size", self._pair(self.batchSizeSpin, self.shuffleCheck))
        self.scheduleCombo = make_combo("scheduleCombo", "Learning-rate schedule",
                                         "How the learning rate changes from epoch to epoch.")
        form.addRow("Schedule", self.scheduleCombo)
        self.decaySpin = setup(Number(0.0, 100.0, 6, 0.01), "decaySpin", "Learning-rate decay",
                               "d in the schedule: η = η₀ / (1 + d·epoch) for the inverse schedule (unused when "
                               "constant).")
        form.addRow("Decay d", self.decaySpin)
        self.l1Spin = setup(Number(0.0, 10.0, 6, 0.001), "l1Spin", "L1 penalty",
                            "λ₁: adds λ₁Σ|w| to the loss, pushing weights to exactly zero (biases exempt).")
        self.l2Spin = setup(Number(0.0, 10.0, 6, 0.001), "l2Spin", "L2 penalty",
                            "λ₂: adds ½λ₂Σw² to the loss, shrinking every weight a little each step (biases "
                            "exempt).")
        form.addRow("L1 λ₁, L2 λ₂", self._pair(self.l1Spin, self.l2Spin))
        self.epochsSpin = setup(int_spin(0, 10_000_000), "epochsSpin", "Epochs",
                                "Training stops after this many passes over the training rows.")
        self.epochsSpin.setGroupSeparatorShown(True)
        form.addRow("Epochs", self.epochsSpin)
        self.earlyStoppingSpin = setup(int_spin(0, MAX_PATIENCE), "earlyStoppingSpin", "Early stopping patience",
                                       EARLY_STOPPING_TIP)
        self.earlyStoppingSpin.setSpecialValueText("off")
        self.earlyStoppingSpin.setSuffix(" epochs")
        form.addRow("Early stopping (patience)", self.earlyStoppingSpin)

        # -- where the weights start (reset on change) --
        form.addRow(self._heading("Starting point", "weights start again"))
        self.initCombo = make_combo("initCombo", "Weight initialiser", "How the starting weights are drawn.")
        form.addRow("Initialiser", self.initCombo)
        self.biasInitCombo = make_combo("biasInitCombo", "Bias start", "How the biases start.")
        form.addRow("Bias start", self.biasInitCombo)
        self.seedSpin = setup(int_spin(0, 2**31 - 1), "seedSpin", "Random seed",
                              "The seed of the random draws: the same seed gives the same starting weights "
                              "(and shuffle order) every time.")
        form.addRow("Seed", self.seedSpin)
        self.dtypeCombo = make_combo("dtypeCombo", "Precision", "The number type of weights and data.")
        form.addRow("Precision", self.dtypeCombo)
        self.preprocessingCombo = make_combo("preprocessingCombo", "Input scaling",
                                              "How the features are scaled before they reach the network.")
        form.addRow("Input scaling", self.preprocessingCombo)

        self.noteLabel = QLabel(NOTE)
        self.noteLabel.setObjectName("settingsNote")
        self.noteLabel.setWordWrap(True)
        self.noteLabel.setStyleSheet(muted() + " font-size: small;")
        column.addSpacing(4)
        column.addWidget(self.noteLabel)
        column.addStretch(1)

        self._connect()
        controller.experimentChanged.connect(self.refresh)
        controller.datasetChanged.connect(self.refresh)
        self.refresh()

    # -- building ------------------------------------------------------------------------------------------------------
    @staticmethod
    def _heading(title: str, note: str) -> QLabel:
        label = QLabel(f"<b>{title}</b> <span style='{muted()}'>({note})</span>")
        label.setContentsMargins(0, 4, 0, 0)
        label.setWordWrap(True)
        return label

    @staticmethod
    def _pair(a: QWidget, b: QWidget) -> QWidget:
        box = QWidget()
        row = QHBoxLayout(box)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(6)
        row.addWidget(a, 1)
        row.addWidget(b, 1)
        return box

    def _connect(self) -> None:
        def combo(widget, field, label):
            widget.currentIndexChanged.connect(lambda _i: self._set(field, widget.currentData(),
                                                                    f"{label}: {widget.currentText()}"))

        combo(self.optimizerCombo, "optimizer", "Optimizer")
        combo(self.scheduleCombo, "lr_schedule", "Schedule")
        combo(self.initCombo, "init", "Initialiser")
        combo(self.biasInitCombo, "bias_init", "Bias start")
        combo(self.dtypeCombo, "dtype", "Precision")
        combo(self.preprocessingCombo, "preprocessing", "Input scaling")
        for spin, field, label in ((self.learningRateSpin, "learning_rate", "Learning rate"),
                                   (self.momentumSpin, "momentum", "Momentum"), (self.beta1Spin, "beta1", "Beta1"),
                                   (self.beta2Spin, "beta2", "Beta2"), (self.decaySpin, "lr_decay", "Decay"),
                                   (self.l1Spin, "l1", "L1"), (self.l2Spin, "l2", "L2")):
            spin.valueChanged.connect(lambda v, f=field, t=label, s=spin: self._set(f, float(v),
                                                                                    f"{t} {s.textFromValue(v)}"))
        self.batchSizeSpin.valueChanged.connect(
            lambda v: self._set("batch_size", int(v), "Full batch" if v == 0 else f"Batch size {v}"))
        self.epochsSpin.valueChanged.connect(lambda v: self._set("epochs", int(v), f"Epochs {v:,}"))
        self.earlyStoppingSpin.valueChanged.connect(
            lambda v: self._set("early_stopping", int(v), "Early stopping off" if v == 0
                                else f"Early stopping after {v:,} epoch{'' if v == 1 else 's'} without progress"))
        self.seedSpin.valueChanged.connect(lambda v: self._set("seed", int(v), f"Seed {v}"))
        self.shuffleCheck.toggled.connect(lambda on: self._set("shuffle", bool(on), "Shuffle on" if on
                                                               else "Shuffle off"))

    # -- showing and editing ---------------------------------------------------------------------------------------------
    def _controls(self) -> list[QWidget]:
        return [self.optimizerCombo, self.learningRateSpin, self.momentumSpin, self.beta1Spin, self.beta2Spin,
                self.batchSizeSpin, self.shuffleCheck, self.scheduleCombo, self.decaySpin, self.l1Spin, self.l2Spin,
                self.epochsSpin, self.earlyStoppingSpin, self.initCombo, self.biasInitCombo, self.seedSpin, self.dtypeCombo,
                self.preprocessingCombo]

    def refresh(self, *_args) -> None:
        """Show ``controller.experiment`` (signals blocked, so showing never edits)."""
        exp = self.controller.experiment
        self.setEnabled(exp is not None)
        if exp is None:
            return
        with blocked(*self._controls()):
            fill_combo(self.optimizerCombo, [(n, c.title, OPTIMIZER_FORMULAS.get(n, c.title))
                                             for n, c in optimizers.OPTIMIZERS.items()], exp.optimizer)
            fill_combo(self.scheduleCombo, [(n, *SCHEDULE_LABELS.get(n, (n, n))) for n in optimizers.SCHEDULES],
                       exp.lr_schedule)
            fill_combo(self.initCombo, [(n, i.title, i.formula) for n, i in init.INITIALIZERS.items()], exp.init)
            fill_combo(self.biasInitCombo, [(n, *BIAS_INIT_LABELS.get(n, (n, n))) for n in init.BIAS_INITS],
                       exp.bias_init)
            fill_combo(self.dtypeCombo, [(n, *DTYPE_LABELS[n]) for n in DTYPE_LABELS], exp.dtype)
            fill_combo(self.preprocessingCombo, [(n, *PREPROCESSING_LABELS[n]) for n in PREPROCESSING_LABELS],
                       exp.preprocessing)
            self.learningRateSpin.setValue(exp.learning_rate)
            self.momentumSpin.setValue(exp.momentum)
            self.beta1Spin.setValue(exp.beta1)
            self.beta2Spin.setValue(exp.beta2)
            self.batchSizeSpin.setValue(exp.batch_size)
            self.shuffleCheck.setChecked(exp.shuffle)
            self.decaySpin.setValue(exp.lr_decay)
            self.l1Spin.setValue(exp.l1)
            self.l2Spin.setValue(exp.l2)
            self.epochsSpin.setValue(exp.epochs)
            self.earlyStoppingSpin.setValue(exp.early_stopping)
            self.seedSpin.setValue(min(exp.seed, self.seedSpin.maximum()))
        self.momentumSpin.setEnabled(exp.optimizer in ("momentum", "nesterov"))
        self.beta1Spin.setEnabled(exp.optimizer == "adam")
        self.beta2Spin.setEnabled(exp.optimizer == "adam")
        self.decaySpin.setEnabled(exp.lr_schedule != "constant")
        no_test = self.controller.dataset is not None and not self.controller.dataset.has_test
        self.earlyStoppingSpin.setEnabled(not no_test)
        self.earlyStoppingSpin.setToolTip(NO_TEST_TIP if no_test else EARLY_STOPPING_TIP)

    def _set(self, field: str, value, text: str) -> None:
        exp = self.controller.experiment
        if exp is None or getattr(exp, field) == value:
            return
        self.controller.edit(exp.replace(**{field: value}), text)


if __name__ == "__main__":
    import sys

    from nnstudio.qt.app import try_alone

    sys.exit(try_alone(TrainingSettingsPanel, "NN Studio: training settings", (340, 560)))
