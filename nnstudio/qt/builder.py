"""The visual network builder: a column of cards, input -> hidden layers -> output, that edits the Experiment.

Every change becomes a new Experiment handed to ``StudioController.edit`` as one undoable step. The panel never keeps
its own copy of the network: it redraws from ``experimentChanged`` (also after a refused edit, so the widgets always
show what is really in force) and from ``datasetChanged`` (the input and output sizes come from the data).
"""

from __future__ import annotations

import dataclasses

import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QCheckBox, QDoubleSpinBox, QFrame,
                               QGridLayout, QHBoxLayout, QLabel, QPushButton, QToolButton, QVBoxLayout, QWidget)

from nnstudio.core import activations, losses
from nnstudio.core.network import LayerSpec
from nnstudio.qt.widgets import blocked, fill_combo, int_spin, make_combo, muted, scroll_column, setup, small_label

HIDDEN_ACTIVATIONS = [name for name in activations.ACTIVATIONS if name != "softmax"]
OUTPUT_ACTIVATIONS = {  # what suits each task's output layer (the Trainer has the last word)
    "binary": ["sigmoid", "tanh", "identity"],
    "multiclass": ["softmax"],
    "regression": ["identity", "tanh", "sigmoid", "relu", "leaky_relu"],
}
ACTIVATION_HINTS = {"step": "step (illustration only)"}
MAX_FEATURE_NAMES = 6


def activation_label(name: str) -> str:
    return ACTIVATION_HINTS.get(name, name)


def activation_tip(name: str) -> str:
    act = activations.ACTIVATIONS.get(name)
    if act is None or act.trainable:
        return act.formula if act else name
    return f"{act.formula}. Its slope is zero, so gradient descent cannot train through it: for looking only."


def loss_label(loss) -> str:
    return loss.title.split(":")[0]  # the formula goes in the tooltip: the box is narrow


def loss_tip(loss) -> str:
    tip = f"{loss.formula}   (gradient: {loss.gradient_formula})"
    return tip + (f". Needs a {loss.fuses_with} output layer." if loss.fuses_with else "")


def layer_shapes(n_inputs: int, layers: list[LayerSpec]) -> list[tuple[tuple[int, int], int]]:
    """((n_in, n_out), bias size or 0) for each layer: the parameters it will have."""
    sizes = [n_inputs, *(s.units for s in layers)]
    return [((sizes[i], s.units), s.units if s.bias else 0) for i, s in enumerate(layers)]


def summary_text(n_inputs: int, layers: list[LayerSpec]) -> str:
    """A one-line description, e.g. "3 → 4 tanh → 1 sigmoid · 21 parameters"."""
    parts = [str(n_inputs)] + [f"{s.units} {s.activation}" for s in layers]
    n_params = sum(a * b + nb for (a, b), nb in layer_shapes(n_inputs, layers))
    return f"{' → '.join(parts)} · {n_params:,} parameter{'s' if n_params != 1 else ''}"


def card(title: str) -> tuple[QFrame, QVBoxLayout, QHBoxLayout]:
    """A framed card with a bold title row; returns the frame, its body layout and the title row (for buttons)."""
    frame = QFrame()
    frame.setFrameShape(QFrame.Shape.StyledPanel)
    body = QVBoxLayout(frame)
    body.setContentsMargins(8, 6, 8, 8)
    body.setSpacing(4)
    head = QHBoxLayout()
    head.setSpacing(2)
    label = QLabel(f"<b>{title}</b>")
    label.setObjectName("cardTitle")
    head.addWidget(label, 1)
    body.addLayout(head)
    return frame, body, head


def card_grid(body: QVBoxLayout, *rows: list) -> QGridLayout:
    """A grid under the card's title; each row lists widgets, texts (become labels) or (widget, column span)."""
    grid = QGridLayout()
    grid.setContentsMargins(0, 0, 0, 0)
    grid.setHorizontalSpacing(6)
    grid.setVerticalSpacing(4)
    grid.setColumnStretch(1, 1)
    for r, row in enumerate(rows):
        c = 0
        for item in row:
            widget, span = item if isinstance(item, tuple) else (item, 1)
            grid.addWidget(QLabel(widget) if isinstance(widget, str) else widget, r, c, 1, span)
            c += span
    body.addLayout(grid)
    return grid


class BuilderPanel(QWidget):
    """Input, hidden layers and output as cards; every control edits ``controller.experiment``."""

    def __init__(self, controller, parent: QWidget | None = None):
        super().__init__(parent)
        self.controller = controller
        self.setObjectName("builderPanel")
        self._hidden: list[dict] = []  # per hidden card: its widgets by role
        self._retired: list[QWidget] = []  # removed cards waiting for deleteLater

        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        self.summaryLabel = small_label(grey=False)
        self.summaryLabel.setObjectName("summaryLabel")
        self.summaryLabel.setContentsMargins(6, 4, 6, 2)
        self.summaryLabel.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        outer.addWidget(self.summaryLabel)

        self._column = scroll_column(self, "builder")
        self._column.setContentsMargins(6, 2, 6, 6)
        self._column.setSpacing(2)

        # input card
        self.inputCard, body, _ = card("Input")
        self.inputTitle = self.inputCard.findChild(QLabel, "cardTitle")
        self.inputNames = small_label()
        self.inputNames.setObjectName("inputNamesLabel")
        body.addWidget(self.inputNames)
        self._column.addWidget(self.inputCard)
        self._hidden_column = QVBoxLayout()  # per hidden layer: a connector and a card
        self._hidden_column.setSpacing(2)
        self._column.addLayout(self._hidden_column)

        self.addLayerButton = setup(QPushButton("+ Add hidden layer"), "addLayerButton", "Add hidden layer",
                                    "Insert a hidden layer just before the output layer (the weights start again).")
        self.addLayerButton.clicked.connect(self._add_layer)
        self._column.addWidget(self.addLayerButton)
        self.outputConnector = self._connector()
        self._column.addWidget(self.outputConnector)
        self._build_output_card()
        self._column.addStretch(1)

        controller.experimentChanged.connect(self.refresh)
        controller.datasetChanged.connect(self.refresh)
        self.refresh()

    # -- building ----------------------------------------------------------------------------------------------------
    def _connector(self) -> QLabel:
        label = QLabel()
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        label.setStyleSheet(muted())
        label.setToolTip("The weights between the two layers: one per (input, neuron) pair, plus one bias per neuron.")
        return label

    def _build_output_card(self) -> None:
        self.outputCard, body, _ = card("Output layer")
        self.outputUnits = small_label(grey=False)
        self.outputUnits.setObjectName("outputUnitsLabel")
        self.outputUnits.setToolTip("The number of output neurons is set by the data: one per class or target.")
        body.addWidget(self.outputUnits)
        self.outputActivationCombo = make_combo("outputActivationCombo", "Output activation",
                                                "The function applied to each output neuron's weighted sum.")
        self.outputBiasCheck = setup(QCheckBox("Bias"), "outputBiasCheck", "Output bias",
                                     "Give each output neuron a bias b: z = x·W + b (off: z = x·W).")
        self.lossCombo = make_combo("lossCombo", "Loss",
                                    "What training makes small: how far the outputs are from the targets.")
        card_grid(body, ["Activation", self.outputActivationCombo, self.outputBiasCheck],
                  ["Loss", (self.lossCombo, 2)])
        self.outputActivationCombo.currentIndexChanged.connect(lambda _i: self._set_output(
            activation=self.outputActivationCombo.currentData()))
        self.outputBiasCheck.toggled.connect(lambda on: self._set_output(bias=on))
        self.lossCombo.currentIndexChanged.connect(lambda _i: self._set_loss(self.lossCombo.currentData()))
        self._column.addWidget(self.outputCard)

    def _build_hidden_card(self, i: int) -> dict:
        """The connector and card of hidden layer ``i`` (0-based; object names count from 1), by role."""
        k = i + 1
        block = QWidget()
        column = QVBoxLayout(block)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        frame, body, head = card(f"Hidden layer {k}")
        w: dict = {"block": block, "connector": self._connector()}
        column.addWidget(w["connector"])
        column.addWidget(frame)
        for role, arrow, step, tip in (("up", Qt.ArrowType.UpArrow, -1, "nearer the input"),
                                       ("down", Qt.ArrowType.DownArrow, 1, "nearer the output")):
            w[role] = button = setup(QToolButton(), f"moveLayer{role.title()}Button_{k}",
                                     f"Move hidden layer {k} {role}", f"Move this layer one place {tip}.")
            button.setArrowType(arrow)
            button.setAutoRaise(True)
            button.clicked.connect(lambda _c=False, d=step: self._move_layer(i, d))
            head.addWidget(button)
        remove = setup(QToolButton(), f"removeLayerButton_{k}", f"Remove hidden layer {k}",
                       "Remove this layer; the layers on either side connect directly.")
        remove.setText("✕")
        remove.setAutoRaise(True)
        remove.clicked.connect(lambda _c=False: self._remove_layer(i))
        head.addWidget(remove)

        units = setup(int_spin(1, 1024), f"hiddenUnitsSpin_{k}", f"Hidden layer {k} neurons",
                      "How many neurons this layer has (each adds one weight per input, plus a bias).")
        act = make_combo(f"hiddenActivationCombo_{k}", f"Hidden layer {k} activation",
                          "The function applied to each neuron's weighted sum.")
        bias = setup(QCheckBox("Bias"), f"hiddenBiasCheck_{k}", f"Hidden layer {k} bias",
                     "Give each neuron a bias b: z = x·W + b (off: z = x·W).")
        dropout = setup(QDoubleSpinBox(), f"hiddenDropoutSpin_{k}", f"Hidden layer {k} dropout",
                        "Dropout p: while training, each output is zeroed with probability p and the others "
                        "scaled by 1/(1 − p); predictions use every neuron.")
        dropout.setRange(0.0, 0.9)
        dropout.setSingleStep(0.05)
        dropout.setDecimals(2)
        dropout.setKeyboardTracking(False)
        dropout.setSpecialValueText("off")
        card_grid(body, ["Neurons", units, "Dropout", dropout], ["Activation", (act, 2), bias])

        units.valueChanged.connect(lambda v: self._set_hidden(i, f"{v} neurons", units=v))
        act.currentIndexChanged.connect(lambda _x: self._set_hidden(i, act.currentData(),
                                                                    activation=act.currentData()))
        bias.toggled.connect(lambda on: self._set_hidden(i, "bias on" if on else "bias off", bias=on))
        dropout.valueChanged.connect(lambda v: self._set_hidden(i, f"dropout {v:g}" if v else "no dropout",
                                                                dropout=round(float(v), 4)))
        w.update(units=units, activation=act, bias=bias, dropout=dropout)
        return w

    def _set_hidden_count(self, n: int) -> None:
        """Add or retire cards at the end so there is one per hidden layer (the others are kept, with focus)."""
        while len(self._hidden) < n:
            w = self._build_hidden_card(len(self._hidden))
            self._hidden_column.addWidget(w["block"])
            self._hidden.append(w)
        self._retired = [b for b in self._retired if shiboken6.isValid(b)]
        while len(self._hidden) > n:
            block = self._hidden.pop()["block"]
            self._hidden_column.removeWidget(block)
            block.hide()
            block.setParent(None)  # out of the panel at once (findChild no longer sees it) ...
            block.deleteLater()  # ... and deleted once back in the event loop: the sender may be inside it
            self._retired.append(block)  # a reference until then

    # -- showing the experiment ----------------------------------------------------------------------------------------
    def refresh(self, *_args) -> None:
        """Show ``controller.experiment`` and ``controller.dataset`` (signals blocked: showing never edits)."""
        exp, ds = self.controller.experiment, self.controller.dataset
        if exp is None or ds is None:
            self.setEnabled(False)
            return
        self.setEnabled(True)
        hidden, out = exp.layers[:-1], exp.layers[-1]
        self._set_hidden_count(len(hidden))
        n_in = ds.n_features
        arch, _, count = summary_text(n_in, exp.layers).rpartition(" · ")
        self.summaryLabel.setText(f"{arch} ·\u00a0{count.replace(' ', chr(0xA0))}")  # the count never splits
        self.summaryLabel.setToolTip("Inputs → each layer's neurons and activation; the count is every weight "
                                     "and bias training will adjust.")
        self.inputTitle.setText(f"<b>Input: {n_in} feature{'s' if n_in != 1 else ''}</b>")
        names = list(ds.feature_names)
        shown = ", ".join(names[:MAX_FEATURE_NAMES])
        if len(names) > MAX_FEATURE_NAMES:
            shown += f", … (+{len(names) - MAX_FEATURE_NAMES} more)"
        self.inputNames.setText(shown)
        self.inputNames.setToolTip("\n".join(names[:60]) + ("\n…" if len(names) > 60 else ""))
        shapes = layer_shapes(n_in, exp.layers)
        for connector, ((a, b), nb), k in zip([*(w["connector"] for w in self._hidden), self.outputConnector], shapes,
                                              range(1, len(shapes) + 1)):
            connector.setText(f"↓  W{k}: {a}×{b}" + (f"  ·  b{k}: {nb}" if nb else "  ·  no bias"))
        for i, (w, spec) in enumerate(zip(self._hidden, hidden)):
            w["up"].setEnabled(i > 0)
            w["down"].setEnabled(i < len(hidden) - 1)
            with blocked(w["units"], w["activation"], w["bias"], w["dropout"]):
                w["units"].setValue(spec.units)
                fill_combo(w["activation"], [(n, activation_label(n), activation_tip(n)) for n in HIDDEN_ACTIVATIONS],
                           spec.activation)
                w["bias"].setChecked(spec.bias)
                w["dropout"].setValue(spec.dropout)
        names_out = ", ".join(ds.output_names[:MAX_FEATURE_NAMES]) + (", …" if len(ds.output_names) > MAX_FEATURE_NAMES
                                                                       else "")
        self.outputUnits.setText(f"{out.units} neuron{'s' if out.units != 1 else ''}: {names_out} "
                                 f"<span style='{muted()}'>({ds.task}, set by the data)</span>")
        with blocked(self.outputActivationCombo, self.outputBiasCheck, self.lossCombo):
            fill_combo(self.outputActivationCombo,
                       [(n, activation_label(n), activation_tip(n)) for n in OUTPUT_ACTIVATIONS.get(ds.task, [])],
                       out.activation)
            self.outputBiasCheck.setChecked(out.bias)
            fill_combo(self.lossCombo, [(name, loss_label(loss), loss_tip(loss)) for name, loss in losses.LOSSES.items()
                                        if ds.task in loss.tasks], exp.loss)

    # -- editing -------------------------------------------------------------------------------------------------------
    def _edit_layers(self, layers: list[LayerSpec], text: str, **changes) -> bool:
        exp = self.controller.experiment
        if exp.initial_weights is not None and self.controller.dataset is not None:
            n_in = self.controller.dataset.n_features
            if layer_shapes(n_in, layers) != layer_shapes(n_in, exp.layers):
                changes["initial_weights"] = None  # fixed starting weights no longer fit the new shapes
        return self.controller.edit(exp.replace(layers=layers, **changes), text)

    def _set_hidden(self, i: int, what: str, **changes) -> None:
        layers = list(self.controller.experiment.layers)
        if i >= len(layers) - 1:
            return
        layers[i] = dataclasses.replace(layers[i], **changes)
        self._edit_layers(layers, f"Hidden layer {i + 1}: {what}")

    def _add_layer(self) -> None:
        layers = list(self.controller.experiment.layers)
        hidden = layers[:-1]
        template = hidden[-1] if hidden else None
        new = LayerSpec(template.units if template else 4, template.activation if template else "tanh", True, 0.0)
        self._edit_layers([*hidden, new, layers[-1]], "Add hidden layer")

    def _remove_layer(self, i: int) -> None:
        layers = list(self.controller.experiment.layers)
        if i < len(layers) - 1:
            del layers[i]
            self._edit_layers(layers, f"Remove hidden layer {i + 1}")

    def _move_layer(self, i: int, step: int) -> None:
        layers = list(self.controller.experiment.layers)
        j = i + step
        if 0 <= i < len(layers) - 1 and 0 <= j < len(layers) - 1:
            layers[i], layers[j] = layers[j], layers[i]
            self._edit_layers(layers, f"Move hidden layer {i + 1} {'up' if step < 0 else 'down'}")

    def _set_output(self, **changes) -> None:
        layers = list(self.controller.experiment.layers)
        layers[-1] = dataclasses.replace(layers[-1], **changes)
        what = changes.get("activation") or ("bias on" if changes.get("bias") else "bias off")
        self._edit_layers(layers, f"Output layer: {what}")

    def _set_loss(self, name: str) -> None:
        exp = self.controller.experiment
        title = loss_label(losses.LOSSES[name]) if name in losses.LOSSES else name
        self.controller.edit(exp.replace(loss=name), f"Loss: {title}")


if __name__ == "__main__":
    import sys

    from nnstudio.qt.app import try_alone

    sys.exit(try_alone(BuilderPanel, "NN Studio: network builder", (340, 620)))
