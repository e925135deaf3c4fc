"""What a network's settings become when the learner switches it to another dataset.

The output layer always follows the data (one neuron per output, an activation its task can use). On a switch to a
*different* dataset the studio also proposes a loss that fits the task, a batch size that suits the table's size and
a learning rate that suits both, and says what it changed; the learner's own choices are kept where they already fit
(new parameters for the same dataset change nothing but the output layer). A tutorial's settings, such as summed
squared error at learning rate 1 on four rows, are right for that tutorial and wrong for a 200-point spiral.
"""

from __future__ import annotations

from nnstudio.core import losses
from nnstudio.core.network import LayerSpec
from nnstudio.data.dataset import Dataset
from nnstudio.numbers import fmt
from nnstudio.training.experiment import Experiment

FULL_BATCH_ROWS = 64  # tables up to this many rows train on the whole table at once
MINIBATCH = 32  # bigger ones in minibatches of this many rows, shuffled each epoch
# a learning rate that suits each optimizer with a loss averaged over the batch
LEARNING_RATES = {"sgd": 0.1, "momentum": 0.05, "nesterov": 0.05, "adam": 0.01}
TASK_LOSS = {"binary": "binary_cross_entropy", "multiclass": "softmax_cross_entropy", "regression": "mse"}
WHY_LOSS = {"binary": "fits two classes", "multiclass": "fits several classes",
            "regression": "fits numbers, whatever the table's size"}
MANY_INPUTS = 64  # beyond this many features, weights drawn at size ~1 are far too big
# 2-D sets no straight line separates
CURVED = {"xor", "circles", "spiral"}


def output_layer(exp: Experiment, ds: Dataset) -> tuple[LayerSpec, str]:
    """The output layer for ``ds`` (units, and an activation its task can use; the current one when it fits) and the
    loss kept from ``exp`` when it fits the task (else the task's usual one)."""
    out = exp.layers[-1]
    if ds.task == "multiclass":
        activation, loss = "softmax", "softmax_cross_entropy"
    elif ds.task == "binary":
        activation = "sigmoid"
        loss = exp.loss if exp.loss in ("squared_error", "mse", "binary_cross_entropy") else "binary_cross_entropy"
    else:
        activation = out.activation if out.activation in ("identity", "tanh", "sigmoid", "relu",
                                                          "leaky_relu") else "identity"
        loss = exp.loss if exp.loss in ("squared_error", "mse") else "mse"
    return LayerSpec(ds.n_outputs, activation, out.bias, 0.0), loss


def adapt_to_dataset(exp: Experiment, ds: Dataset, new_dataset: bool = True) -> tuple[Experiment, list[str]]:
    """``exp`` made to fit ``ds``, and what was changed, as short phrases for the learner ("loss: binary
    cross-entropy (it fits two classes)"). With ``new_dataset`` False (other parameters of the same dataset) only the
    output layer follows; the phrases then name only what had to change."""
    changes: list[str] = []
    out, loss = output_layer(exp, ds)
    old_out = exp.layers[-1]
    if (out.units, out.activation) != (old_out.units, old_out.activation):
        changes.append(f"output layer: {out.units} {out.activation} neuron{'s' if out.units != 1 else ''}")
    if new_dataset and not out.bias:  # a tutorial may leave it out (T1 has a constant input instead); data rarely do
        out = LayerSpec(out.units, out.activation, True, out.dropout)
        changes.append("output bias: on")
    batch, shuffle, lr = exp.batch_size, exp.shuffle, exp.learning_rate
    if new_dataset:
        loss = TASK_LOSS[ds.task]
        n = ds.n_samples
        if n <= FULL_BATCH_ROWS:
            batch = 0 if exp.batch_size >= n or exp.batch_size == 0 else exp.batch_size
        elif exp.batch_size in (0, 1) or exp.batch_size >= n:
            batch, shuffle = MINIBATCH, True
        if loss != exp.loss or batch != exp.batch_size:
            lr = LEARNING_RATES.get(exp.optimizer, 0.1)
    if loss != exp.loss:
        changes.append(f"loss: {losses.get(loss).title.split(':')[0].lower()}"
                       + (f" ({WHY_LOSS[ds.task]})" if new_dataset else ""))
    if batch != exp.batch_size:
        changes.append("batch: the whole table" if batch == 0 else f"batch: {batch} rows, shuffled each epoch")
    if lr != exp.learning_rate:
        changes.append(f"learning rate: {fmt(lr)}")
    init = exp.init
    if new_dataset and ds.n_features > MANY_INPUTS and init in ("uniform", "normal"):
        # weights of size ~1 on hundreds of inputs add up to sums in the tens: saturated units, huge first losses
        init = "he" if any(s.activation in ("relu", "leaky_relu") for s in exp.layers[:-1]) else "xavier"
        changes.append(f"initial weights: {init} (scaled to {ds.n_features} inputs)")
    dtype = exp.dtype
    if new_dataset and ds.image_shape is not None and dtype != "float32":
        dtype = "float32"  # pixels need no double precision, and single precision trains several times faster
        changes.append("precision: float32 (plenty for pixels, and faster)")
    new = exp.replace(layers=[*exp.layers[:-1], out], loss=loss, batch_size=batch, shuffle=shuffle,
                      learning_rate=lr, initial_weights=None, dtype=dtype, init=init)
    return new, changes


def hint_for(exp: Experiment, ds: Dataset) -> str:
    """Advice that is not a change: a network with no hidden layer on a set no straight line separates."""
    base = ds.name.split(":")[0]
    if len(exp.layers) == 1 and base in CURVED:
        return ("Tip: with no hidden layer the boundary is a straight line, and none separates these classes: add a "
                "hidden layer to let it bend.")
    return ""
