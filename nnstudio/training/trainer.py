"""The Trainer turns an Experiment into a network and trains it, one parameter update at a time.

One update (``step``) is:
    1. take the next batch of the epoch's order (the whole table for batch size 0, one row for batch size 1);
    2. forward it (dropout on), compute the loss; a non-finite loss stops here (the weights stay as they were);
    3. backpropagate, add the L1/L2 penalty gradients, and let the optimizer move the parameters with the learning
       rate of the current epoch; weights that are not finite afterwards stop here (set back, see ``_diverge``);
    4. record the history; at the end of an epoch, judge the weights on the training and test rows (all of a table
       up to 10,000 rows, a fixed sample of 5,000 of a bigger one: ``judging``), and note the epoch with the lowest
       test loss (``best``: a run with early stopping ends when it lies ``Experiment.early_stopping`` epochs back).

``run`` is nothing but ``step`` in a loop, so N single steps and one run of N updates give the same weights bit for
bit. Another thread never touches the Trainer: it reads the immutable ``Snapshot`` objects the Trainer publishes.

The maths is the core's, done as the core does it (tests/training/test_trainer_exactness.py replays runs with a plain
loop over the core); what keeps an update at the speed of a hand-written numpy loop is how arrays are held: batches
gathered into arrays kept from batch to batch, the weights in three arrays taking turns (in use, the backup a rollback
returns to, the spare the next update is written into), so that keeping the backup copies nothing and one check of
the new weights finds a bad gradient too, and the records made of views (``bench/epoch_throughput.py`` measures it).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Callable, NamedTuple

import numpy as np

from nnstudio import data, packed
from nnstudio.core import activations, losses, optimizers
from nnstudio.core.network import LayerSpec, Network
from nnstudio.data.dataset import DataError, Dataset, Preprocessing
from nnstudio.training.early_stopping import BestEpoch
from nnstudio.training.experiment import Experiment, ExperimentError
from nnstudio.training.history import History, Series
from nnstudio.training.judging import JudgedTable, classes_and_counts

MAX_TRACKED_WEIGHTS = 512  # networks with more parameters track an evenly spaced sample of them...
SAMPLED_WEIGHTS = 48  # ...of this many, plus the full path at a few points (History.path)
MAX_ERROR_COLUMNS = 64  # per-sample errors are recorded for datasets with at most this many (rows x outputs)
MAX_OUTPUT_ROWS = 1000  # snapshots carry the last outputs for datasets up to this size
MAX_Z_ROWS = 256  # snapshots carry the pre-activations of at most this many rows of the last batch
EVAL_BLOCK = 1024  # rows per forward pass when judging a table (see Trainer._judge_forward)


@dataclass(frozen=True)
class Snapshot:
    """An immutable picture of a Trainer at one moment; every array is a read-only copy."""

    step: int  # parameter updates done
    epoch: int  # epochs completed
    position: int  # rows of the current epoch already used
    n_train: int
    loss: float  # data loss of the last update's batch, before that update (nan before the first)
    learning_rate: float
    metric_name: str  # "accuracy" or "R²"
    parameter_names: tuple[str, ...]
    weights: tuple[np.ndarray, ...]
    gradients: tuple[np.ndarray, ...]
    layers: tuple[LayerSpec, ...]
    tracked: np.ndarray  # flat parameter indices whose trajectories are recorded
    update_x: np.ndarray
    update_loss: np.ndarray
    weight_x: np.ndarray
    weight_values: np.ndarray
    error_x: np.ndarray
    error_values: np.ndarray
    epoch_x: np.ndarray
    epoch_values: np.ndarray  # columns: history.EPOCH_COLUMNS
    last_outputs: np.ndarray | None  # each training row's output from its latest training forward pass
    layer_z: tuple[np.ndarray, ...]  # pre-activations of each dense layer for (part of) the last batch
    diverged: str | None
    samples_per_second: float
    elapsed: float
    preprocessing: Preprocessing | None = None  # raw features -> network inputs, for predictions
    dtype: str = "float64"
    path_x: np.ndarray | None = None  # updates at which the full weight vector was recorded
    path_values: np.ndarray | None = None  # (len(path_x), n_parameters): the training path in weight space
    # classification: counts of (true class, predicted class) over every training (test) row the network trains on,
    # from the evaluation at the end of epoch ``confusion_epoch`` (-1: none yet)
    confusion_epoch: int = -1
    train_confusion: np.ndarray | None = None
    test_confusion: np.ndarray | None = None
    # a parameter followed at every update since it was chosen (Trainer.follow), for networks too big to record all
    followed_index: int | None = None
    followed_x: np.ndarray | None = None
    followed_values: np.ndarray | None = None
    # the epoch with the lowest test loss so far and that loss (None / nan: no test rows, or none finite yet)
    best_epoch: int | None = None
    best_test_loss: float = math.nan
    # the timeline (Trainer.start_timeline): the furthest update it reaches (-1: none kept), the spacing of its
    # checkpoints, and the update the run would go on from if it stands before its end (see Timeline.branch)
    timeline_end: int = -1
    timeline_stride: int = 0
    timeline_steps: tuple[int, ...] = ()
    initial_weights: tuple[np.ndarray, ...] = ()  # the weights the run started from (parameters() order)

    def predict(self, X_raw) -> np.ndarray:
        """Outputs of the snapshot's weights for rows of raw feature values (dropout off). Lets another thread
        predict without touching the Trainer."""
        return self.forward_layers(X_raw)[-1][1]

    def forward_layers(self, X_raw) -> list[tuple[np.ndarray, np.ndarray]]:
        """(z, a) of every dense layer for rows of raw feature values, with the snapshot's weights."""
        return self.forward_inputs(self.network_inputs(X_raw))

    def network_inputs(self, X_raw) -> np.ndarray:
        """Rows of raw feature values as the network sees them: preprocessed, in the network's dtype. Depends only
        on ``preprocessing`` and ``dtype``, so a view that predicts the same rows again and again can keep it."""
        X = np.atleast_2d(np.asarray(X_raw))
        if X.dtype.kind not in "biuf":  # numbers stay as they are (pixels: uint8, never a float64 copy of them all)
            X = X.astype(np.float64)
        n_in = self.weights[0].shape[0]
        if X.shape[1] != n_in:
            raise ValueError(f"expected {n_in} value(s), got {X.shape[1]}")
        with np.errstate(over="ignore", invalid="ignore"):  # a huge typed value may not fit float32: inf, shown as such
            return (self.preprocessing.apply(X, np.dtype(self.dtype)) if self.preprocessing
                    else np.asarray(X, dtype=np.float64))

    def forward_inputs(self, a: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
        """(z, a) of every dense layer for rows already made network inputs by ``network_inputs``. Weights of a run
        that diverged, or inputs typed far outside the data, may give inf or NaN: views are made to show those, so
        numpy's overflow warnings are not raised here."""
        out, i = [], 0
        with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
            for spec in self.layers:
                z = a @ self.weights[i]
                i += 1
                if spec.bias:
                    z = z + self.weights[i]
                    i += 1
                a = activations.get(spec.activation).forward(z)
                out.append((z, a))
        return out

    def layer_weights(self) -> list[tuple[np.ndarray, np.ndarray | None]]:
        """(W, b or None) of every dense layer, from the flat ``weights`` tuple."""
        out, i = [], 0
        for spec in self.layers:
            W = self.weights[i]
            i += 1
            b = None
            if spec.bias:
                b = self.weights[i]
                i += 1
            out.append((W, b))
        return out

    def current_flat_weights(self) -> np.ndarray:
        return np.concatenate([w.ravel() for w in self.weights]).astype(np.float64)

    def training_path(self) -> tuple[np.ndarray, np.ndarray]:
        """(updates, full weight vectors) of the path so far, ending at the current weights."""
        if self.path_x is not None and len(self.path_x):
            xs, vals = self.path_x, np.asarray(self.path_values, dtype=np.float64)
        elif len(self.tracked) == sum(w.size for w in self.weights) and len(self.weight_x):
            xs, vals = self.weight_x, self.weight_values
        else:
            xs, vals = np.zeros(0, np.int64), np.zeros((0, sum(w.size for w in self.weights)))
        return np.r_[xs, self.step], np.vstack([vals, self.current_flat_weights()[None, :]])

    @property
    def train_metric(self) -> float:
        return float(self.epoch_values[-1, 1]) if len(self.epoch_x) else math.nan

    @property
    def test_metric(self) -> float:
        return float(self.epoch_values[-1, 3]) if len(self.epoch_x) else math.nan


class StepResult(NamedTuple):
    """What one update did (a tuple: made at every update, at a third of a frozen dataclass's cost)."""

    loss: float
    diverged: str | None = None
    epoch_finished: bool = False


@dataclass(frozen=True)
class PreparedData:
    """The arrays a network sees: preprocessed inputs and encoded targets, in the experiment's dtype."""

    train_rows: np.ndarray  # indices into the dataset's training table (excluded rows left out)
    preprocessing: Preprocessing
    X_train: np.ndarray
    Y_train: np.ndarray
    X_test: np.ndarray | None
    Y_test: np.ndarray | None


def prepare_arrays(ds: Dataset, exp: Experiment) -> PreparedData:
    """What the Trainer trains on, for anyone who needs the same arrays (loss surfaces, exports)."""
    dtype = np.dtype(exp.dtype)
    keep = np.ones(ds.n_samples, dtype=bool)
    keep[list(exp.excluded_rows)] = False
    rows = np.flatnonzero(keep)
    X_raw = ds.X if len(rows) == ds.n_samples else ds.X[rows]  # no copy of a big image set when every row is used
    if exp.preprocessing == "dataset":
        prep = ds.preprocessing
    elif exp.preprocessing == "none":
        prep = Preprocessing.identity(ds.n_features)
    else:
        prep = Preprocessing.standardize(X_raw)
    X_test = Y_test = None
    if ds.has_test:
        X_test = np.ascontiguousarray(prep.apply(ds.X_test, dtype))
        Y_test = ds.encode_targets(ds.y_test, dtype)
    return PreparedData(rows, prep, np.ascontiguousarray(prep.apply(X_raw, dtype)),
                        ds.encode_targets(ds.y[rows], dtype), X_test, Y_test)


def _one_hot_classes(Y: np.ndarray) -> np.ndarray | None:
    """Each row's class when every row of ``Y`` is one-hot (a single 1, the rest 0), else None."""
    if Y.ndim != 2 or Y.shape[1] < 2 or len(Y) == 0:
        return None
    classes = np.argmax(Y, axis=1)
    ones = Y[np.arange(len(Y)), classes]
    if not (np.all(ones == 1) and np.count_nonzero(Y) == len(Y)):
        return None
    return classes


def _row_items(a: np.ndarray) -> np.ndarray:
    """A C-contiguous 2-D array seen as one item per row (bytes), so that scattering its rows is one copy per row:
    putting 60,000 outputs of 10 float32 in their rows took 1.4 ms hot, 4 ms at an epoch's end, as rows; 0.45 ms
    as items. Any other array is returned as it is."""
    if a.ndim != 2 or not a.flags.c_contiguous or a.shape[1] == 0:
        return a
    return a.view(np.dtype((np.void, a.shape[1] * a.itemsize))).reshape(len(a))


def _frozen(a: np.ndarray) -> np.ndarray:
    a = np.array(a, copy=True)
    a.flags.writeable = False
    return a


class Trainer:
    def __init__(self, experiment: Experiment, dataset: Dataset | None = None):
        experiment.validate()
        self.experiment = experiment
        try:
            self.dataset = dataset if dataset is not None else data.load(experiment.dataset,
                                                                         **experiment.dataset_params)
        except KeyError as e:
            raise ExperimentError(str(e.args[0]) if e.args else str(e)) from None
        except DataError as e:
            raise ExperimentError(f"dataset {experiment.dataset!r}: {e}") from None
        self.source_dataset = self.dataset  # as loaded, before the learner's cell edits
        try:
            self.dataset = self.dataset.with_edits(experiment.cell_edits)
        except DataError as e:
            raise ExperimentError(str(e)) from None
        self._check_against_data()
        self.dtype = np.dtype(experiment.dtype)
        self.loss_fn = losses.get(experiment.loss)
        self._prepare_data()
        self._dropout_rng = np.random.default_rng([experiment.seed, 1])
        self.network = Network.build(self.dataset.n_features, list(experiment.layers), self.dtype,
                                     self._dropout_rng)
        self.network.initialize(experiment.init, experiment.seed, experiment.bias_init)
        if experiment.initial_weights is not None:
            try:
                self.network.set_weights([np.asarray(w, dtype=self.dtype) for w in experiment.initial_weights])
            except ValueError as e:
                raise ExperimentError(f"initial weights do not fit the network: {e}") from None
        self.initial_weights = self.network.get_weights()
        self.metric_name = "R²" if self.dataset.task == "regression" else "accuracy"
        n_params = self.network.n_parameters
        if n_params <= MAX_TRACKED_WEIGHTS:
            self.tracked = np.arange(n_params)
        else:
            self.tracked = np.unique(np.linspace(0, n_params - 1, SAMPLED_WEIGHTS).astype(np.int64))
        # Three arrays take turns holding every weight: the network's (in use), the weights before the last update
        # (the backup a rollback returns to) and a spare that the next update is written into (see _step)
        flat = self.network.flat_parameters
        self._buffers = (flat, np.empty_like(flat), np.empty_like(flat))
        self._backup: np.ndarray | None = None  # every weight at the start of update _backup_step
        self._params, self._grads = self.network.parameters(), self.network.gradients()
        self._dense = self.network.dense_layers
        self._finite = np.empty(n_params, dtype=bool)  # the answer of np.isfinite, kept to spare an allocation
        self._tracks_all = len(self.tracked) == n_params
        self._has_dropout = any(spec.dropout > 0 for spec in experiment.layers)
        self._batch_X = self._batch_Y = None  # a shuffled batch's rows, gathered (see _next_batch)
        self._in_order, self._pending = None, None  # outputs in the order of the epoch (see last_outputs)
        self._lr_key, self._lr = None, math.nan  # the learning rate of the current epoch (current_learning_rate)
        self.followed_index: int | None = None  # see follow()
        self.timeline = None  # checkpoints to go back to (see start_timeline)
        self.apply_settings(experiment)
        self.reset()

    # -- set-up -------------------------------------------------------------------------------------------------------
    def _check_against_data(self) -> None:
        exp, ds = self.experiment, self.dataset
        problems = []
        out = exp.layers[-1]
        if out.units != ds.n_outputs:
            problems.append(f"the output layer has {out.units} neuron(s) but {ds.title} needs {ds.n_outputs} "
                            f"({', '.join(ds.output_names)})")
        loss = losses.get(exp.loss)
        if ds.task not in loss.tasks:
            problems.append(f"{loss.title} does not fit a {ds.task} task")
        if loss.fuses_with and out.activation != loss.fuses_with:
            problems.append(f"{loss.title} needs a {loss.fuses_with} output layer (it takes logs of probabilities)")
        if ds.task == "multiclass" and out.activation == "softmax" and out.units < 2:
            problems.append("softmax needs at least 2 outputs")
        untrainable = [s.activation for s in exp.layers if not activations.get(s.activation).trainable]
        if untrainable:
            problems.append(f"the {untrainable[0]} function cannot be trained by gradient descent: its slope is 0 "
                            f"everywhere, so no error signal gets through (use it to look at, or pick sigmoid)")
        problems += exp.size_problems(ds.n_features, max(ds.n_samples, 0 if ds.X_test is None else len(ds.X_test)))
        bad_rows = [i for i in exp.excluded_rows if not 0 <= i < ds.n_samples]
        if bad_rows:
            problems.append(f"excluded row {bad_rows[0]} does not exist (the table has {ds.n_samples} rows)")
        elif len(set(exp.excluded_rows)) >= ds.n_samples:
            problems.append("every training row is excluded: nothing is left to learn from")
        if problems:
            raise ExperimentError(problems)

    def _prepare_data(self) -> None:
        prepared = prepare_arrays(self.dataset, self.experiment)
        self.train_rows, self.preprocessing = prepared.train_rows, prepared.preprocessing
        self.X_train, self.Y_train = prepared.X_train, prepared.Y_train
        self.X_test, self.Y_test = prepared.X_test, prepared.Y_test
        task = self.dataset.task
        # each training row's class, when its target is one-hot and the loss can take classes instead (softmax
        # cross-entropy): a batch's loss and gradient then come from these (the same numbers, less work: see
        # losses.SoftmaxCrossEntropy.per_sample), and its one-hot rows are not gathered
        self._classes = _one_hot_classes(self.Y_train) if self.loss_fn.takes_classes else None
        self._batch_X = self._batch_Y = None  # (gathered rows of the old tables)
        self._judged = (JudgedTable.of(self.X_train, self.Y_train, task),
                        JudgedTable.of(self.X_test, self.Y_test, task) if self.X_test is not None else None)

    @property
    def n_train(self) -> int:
        return len(self.X_train)

    @property
    def judged(self) -> tuple[JudgedTable, JudgedTable | None]:
        """The training and test rows an epoch's end judges (``training.judging``)."""
        return self._judged

    def apply_settings(self, experiment: Experiment) -> None:
        """Take new optimisation settings (learning rate, optimizer and its settings, batch size, penalties, epoch
        limit) without touching the weights. A change to data, layers or initialisation needs a new Trainer."""
        experiment.validate()
        if experiment.architecture_key() != self.experiment.architecture_key():
            raise ExperimentError("this change alters the network or its data: build a new Trainer (weights reset)")
        old = self.experiment
        self.experiment = experiment
        if getattr(self, "optimizer", None) is None or experiment.optimizer != old.optimizer:
            self.optimizer = optimizers.make(experiment.optimizer)
        self.optimizer.momentum = experiment.momentum
        self._flat_step = self.optimizer.slots == 0  # see _step
        self.optimizer.beta1, self.optimizer.beta2 = experiment.beta1, experiment.beta2
        bs = experiment.batch_size
        self.batch_size = self.n_train if bs == 0 or bs >= self.n_train else bs
        if self.timeline is not None:  # updates from here on are repeated with these settings: see Timeline
            self.timeline.record(self, pin=True)

    def reset(self) -> None:
        """Back to the identical starting weights, with a fresh optimizer, shuffle order and history."""
        self.network.set_weights(self.initial_weights)
        self.optimizer.reset()
        self._shuffle_rng = np.random.default_rng(self.experiment.seed)
        self._dropout_rng.bit_generator.state = np.random.default_rng([self.experiment.seed, 1]).bit_generator.state
        for layer in self.network.gradients():
            layer[...] = 0
        self.step_count = 0
        self.epoch = 0
        self.position = 0
        self._order = None
        self.last_loss = math.nan
        self.diverged: str | None = None
        self.best = BestEpoch()  # the epoch with the lowest test loss so far (early stopping watches it)
        self._backup_step: int | None = None  # the update whose starting weights _backup holds
        self._backup = None
        self._backup_place = None  # (position, epoch, order, order RNG state, dropout RNG state, last loss) before it
        self._order_rng_state = None
        self._order_drawn_at = -1  # the update that drew the current epoch's order
        self._dropout_state_before = None
        self.elapsed = 0.0
        self.samples_per_second = 0.0
        n_out = self.network.n_outputs
        n_err = self.n_train * n_out if self.n_train * n_out <= MAX_ERROR_COLUMNS else 0
        self.history = History(len(self.tracked), n_err, n_path=self._n_path())
        self.last_outputs = np.full((self.n_train, n_out), np.nan, dtype=self.dtype)
        self._last_z: tuple[np.ndarray, ...] = ()
        self.confusion: tuple[int, np.ndarray, np.ndarray | None] | None = None  # see Snapshot.train_confusion
        self.follow(self.followed_index, restart=True)
        with np.errstate(over="ignore", invalid="ignore"):  # as in step(): see _evaluate
            self._record_epoch()
        if self.timeline is not None:
            self.timeline.clear()
            self.timeline.record(self)

    def start_timeline(self, budget: int | None = None) -> None:
        """Keep checkpoints from now on, to go back to any update from here (``training.timeline``)."""
        from nnstudio.training.timeline import DEFAULT_BUDGET, Timeline

        self.timeline = Timeline(DEFAULT_BUDGET if budget is None else budget)
        # where it starts is always kept: a session opened at update 25 had no checkpoint until update 32, and the
        # slider's way back led nowhere
        self.timeline.record(self, pin=True)

    def follow(self, index: int | None, restart: bool = False) -> None:
        """Record the parameter at this flat index (as in ``_flat_params``) at every update from now on: the weight a
        learner picked in a network with more parameters than are recorded. None stops; choosing the same index
        again keeps its record."""
        if index is not None and not 0 <= index < self.network.n_parameters:
            raise ValueError(f"no parameter {index}: the network has {self.network.n_parameters}")
        if index == self.followed_index and not restart:
            return
        self.followed_index = index
        self._followed: Series | None = Series(1) if index is not None else None

    # -- the maths of one update ---------------------------------------------------------------------------------------
    def current_learning_rate(self) -> float:
        e = self.experiment
        key = (e.lr_schedule, e.learning_rate, e.lr_decay, self.epoch)
        if self._lr_key != key:  # worked out once an epoch, not at every update (the compound schedule loops)
            self._lr_key, self._lr = key, optimizers.learning_rate(*key)
        return self._lr

    def _next_batch(self) -> tuple[np.ndarray, np.ndarray, slice | np.ndarray | None]:
        """(inputs, targets, rows) of the next batch; rows is None for "the whole table in order", a slice for
        consecutive rows (both without a copy), or the shuffled row numbers, whose rows are gathered into arrays kept
        for it from one batch to the next. The targets are each row's class (integers) when the Trainer has them
        (``_classes``), else the rows of ``Y_train``."""
        if self.position == 0:
            self.last_outputs  # noqa: B018 (the outputs kept in the old order go to their rows first)
            if self.experiment.shuffle:
                # to draw this order again after a rollback (see _rewind_to_backup)
                self._order_rng_state, self._order_drawn_at = self._shuffle_rng.bit_generator.state, self.step_count
                self._order = self._shuffle_rng.permutation(self.n_train)
            else:
                self._order = None
        classes = self._classes
        Y = self.Y_train if classes is None else classes
        if self.batch_size == self.n_train and self._order is None:
            return self.X_train, Y, None
        stop = min(self.position + self.batch_size, self.n_train)
        if self._order is None:
            rows = slice(self.position, stop)
            return self.X_train[rows], Y[rows], rows
        rows = self._order[self.position:stop]
        n = len(rows)
        if self._batch_X is None or len(self._batch_X) < n:
            self._batch_X = np.empty((n, self.X_train.shape[1]), self.dtype)
            self._batch_Y = np.empty((n, *Y.shape[1:]), Y.dtype)
        Xb, Yb = self._batch_X[:n], self._batch_Y[:n]
        # rows are a permutation's, so in range: "clip" only spares numpy a check that copies
        np.take(self.X_train, rows, axis=0, out=Xb, mode="clip")
        np.take(Y, rows, axis=0, out=Yb, mode="clip")
        return Xb, Yb, rows

    # Each row's latest output. A shuffled batch's rows lie all over the table, and writing them there at every update
    # cost 2% of a 784-128-10 update (cache misses): its outputs are kept in the order of the epoch instead and put
    # in their rows at once when the order is about to change or someone reads ``last_outputs``.
    @property
    def last_outputs(self) -> np.ndarray:
        """Each training row's output from its latest training forward pass (NaN before it had one)."""
        if self._pending is not None:
            start, stop = self._pending
            self._pending = None
            rows = self._order[start:stop]
            into, what = _row_items(self._outputs), _row_items(self._in_order[start:stop])
            if into.ndim == what.ndim == 1 and into.dtype == what.dtype:
                into[rows] = what
            else:
                self._outputs[rows] = self._in_order[start:stop]
        return self._outputs

    @last_outputs.setter
    def last_outputs(self, outputs: np.ndarray) -> None:
        self._outputs, self._pending = outputs, None

    def _record_outputs(self, rows, y_hat: np.ndarray) -> None:
        if rows is None:
            self._outputs[...] = y_hat
        elif isinstance(rows, slice):
            self._outputs[rows] = y_hat
        else:  # rows of the shuffled order, from self.position on
            if self._in_order is None:
                self._in_order = np.empty_like(self._outputs)
            stop = self.position + len(rows)
            self._in_order[self.position:stop] = y_hat
            self._pending = (self._pending[0] if self._pending else self.position, stop)

    def _all_finite(self, flat: np.ndarray) -> bool:
        """Whether every value of ``flat`` is finite. A sum of squares holding an infinity or a NaN is not finite,
        so a finite one answers in one BLAS pass that writes nothing (half the time of ``np.isfinite(...).all()``);
        only when it is not (a value not finite, or finite values so large that their squares overflow) does the
        exact check decide."""
        if math.isfinite(np.dot(flat, flat)):
            return True
        return bool(np.isfinite(flat, out=self._finite).all())

    def _spare(self, flat: np.ndarray) -> np.ndarray:
        """The one of the three weight arrays that is neither in use (``flat``) nor the backup."""
        a, b, c = self._buffers
        backup = self._backup
        if a is not flat and a is not backup:
            return a
        return b if b is not flat and b is not backup else c

    def step(self) -> StepResult:
        """One parameter update on the next batch. Overflow and NaN are the Trainer's to report (a loss, gradient or
        weight that is not finite stops the run and says so), not numpy's warnings: one errstate for the update."""
        with np.errstate(over="ignore", invalid="ignore"):
            return self._step()

    def _step(self) -> StepResult:
        self.diverged = None
        # dropout draws masks in the forward pass; a rollback puts the stream back where this update found it
        self._dropout_state_before = self._dropout_rng.bit_generator.state if self._has_dropout else None
        Xb, Yb, rows = self._next_batch()
        net, loss_fn, exp = self.network, self.loss_fn, self.experiment
        lr = self.current_learning_rate()
        y_hat = net.forward(Xb, training=True)
        loss = loss_fn.value(y_hat, Yb)
        x = self.step_count
        if not math.isfinite(loss):
            return self._diverge(f"the loss became {loss} at update {x + 1}", loss, rollback=True)
        dense = self._dense
        net.backward(loss_fn, y_hat, Yb)
        if exp.l1 or exp.l2:
            optimizers.add_penalty_gradients([d.W for d in dense], [d.dW for d in dense], exp.l1, exp.l2)
        # A gradient that is not finite makes the new weights so, and the check of those below finds it; only with no
        # weights to go back to (the first update after a reset, a rollback or a load) is it looked for first, so
        # that the optimizer's state stays as it was.
        if self._backup_step is None and not self._all_finite(net.flat_gradients):
            return self._diverge(f"the gradient became infinite at update {x + 1}", loss, rollback=True)
        # where this update starts, so that a rollback to its weights also puts the counters back there
        place = (self.position, self.epoch, self._order,
                 self._order_rng_state if self.position == 0 and self._order is not None else None,
                 self._dropout_state_before, self.last_loss)
        # the new weights go to a spare array: those the update started from stay in use until they are checked
        flat = net.flat_parameters
        new = self._spare(flat)
        if self._flat_step:  # an optimizer without state per parameter moves every weight in one call
            self.optimizer.step([flat], [net.flat_gradients], lr, out=[new])
        else:
            self.optimizer.step(self._params, self._grads, lr, out=net.parameter_views(new))
        if not self._all_finite(new):
            if not self._all_finite(net.flat_gradients):  # only with weights to go back to: see above
                return self._diverge(f"the gradient became infinite at update {x + 1}", loss, rollback=True)
            self._record_outputs(rows, y_hat)
            self._backup, self._backup_step, self._backup_place = flat, x, place  # back to where it started
            return self._diverge(f"the weights overflowed at update {x + 1}", loss, rollback=True)
        # record what the learner sees for this update: the loss and the weights it was computed with
        h = self.history
        h.update_loss.append(x, (loss,))
        if h.weights is not None and h.weights.wants(x):
            h.weights.append(x, flat if self._tracks_all else flat[self.tracked])
        if h.path is not None and h.path.wants(x):
            h.path.append(x, flat)
        if self._followed is not None and self._followed.wants(x):
            self._followed.append(x, (flat[self.followed_index],))
        self._record_outputs(rows, y_hat)
        if h.errors is not None and h.errors.wants(x):
            h.errors.append(x, (self.Y_train - self.last_outputs).ravel())
        # the weights it started from become the backup, the new ones are used from now on
        self._backup, self._backup_step, self._backup_place = flat, x, place
        net.use_parameters(new)
        self._params = net.parameter_views(new)
        self._last_z = tuple(d.z for d in dense)
        self.step_count += 1
        self.last_loss = loss
        self.position += len(Xb)
        finished = self.position >= self.n_train
        if finished:
            self.position = 0
            self.epoch += 1
            self._record_epoch()
        timeline = self.timeline
        if timeline is not None:
            if self.step_count > timeline.end:
                timeline.end = self.step_count
            if self.step_count % timeline.stride == 0:
                timeline.record(self)
        return StepResult(loss, None, finished)

    def _diverge(self, what: str, loss: float, rollback: bool) -> StepResult:
        """Stop with a reason. With ``rollback`` the weights go back to those the last backed-up update started
        from, the last ones known to give a finite loss, and so do the counters (update, epoch, place in the epoch),
        the data order and the history: the studio shows the update the weights belong to, and a retry with a
        smaller learning rate goes on from there."""
        kept = "kept as they are"
        if rollback and self._backup_step is not None:
            self.network.use_parameters(self._backup)
            self._params = self.network.parameter_views(self._backup)
            self.optimizer.reset()
            self._rewind_to_backup()
            kept = f"set back to those before update {self._backup_step + 1}, the last with a finite loss"
            self._backup_step, self._backup = None, None
            if self.timeline is not None:  # the undone update's checkpoint (if any) is no more
                self.timeline.drop_after(self.step_count)
        self.diverged = (f"Training diverged: {what}. The weights are {kept}. "
                         f"Try a smaller learning rate (now {self.current_learning_rate():g}).")
        return StepResult(loss, self.diverged)

    def _rewind_to_backup(self) -> None:
        """Counters, data order, random streams and history back to where update ``_backup_step`` started."""
        x = self._backup_step
        position, epoch, order, order_rng_state, dropout_state, last_loss = self._backup_place
        self.last_outputs  # noqa: B018 (outputs kept in the order of the epoch go to their rows while it stands)
        self.step_count, self.position, self._order, self.last_loss = x, position, order, last_loss
        if order_rng_state is not None:  # the update began an epoch: its order is drawn again, the same one
            self._shuffle_rng.bit_generator.state = order_rng_state
        elif self._order_rng_state is not None and self._order_drawn_at > x:
            # the failed update (after x) began the next epoch and drew its order: the stream goes back before that
            self._shuffle_rng.bit_generator.state = self._order_rng_state
        if dropout_state is not None:
            self._dropout_rng.bit_generator.state = dropout_state
        h = self.history
        if epoch != self.epoch:
            self.epoch = epoch
            if self.confusion is not None and self.confusion[0] > epoch:
                self.confusion = None
            if self.best.epoch is not None and self.best.epoch > epoch:
                self.best = BestEpoch.scan(h.epochs.x, h.epochs.values[:, 2], epoch)
        self.cut_history(x, epoch)  # the undone update x and anything after it

    def cut_history(self, step: int, epoch: int) -> None:
        """Forget what the history holds of the updates from ``step`` on and the epochs after ``epoch`` (a rollback,
        a rewind to a checkpoint: training.checkpoint)."""
        h = self.history
        h.epochs.drop_from(epoch + 1)
        for series in (h.update_loss, h.weights, h.errors, h.path, self._followed):
            if series is not None:
                series.drop_from(step)  # rows are recorded at the update that starts from them: x = 0 .. step - 1

    def forget_rollback(self) -> None:
        """No rollback reaches back before this point (a load, a restored checkpoint): the backup and the record of
        the data order's drawing go."""
        self._backup_step, self._backup = None, None
        self._order_rng_state, self._order_drawn_at = None, -1

    def _n_path(self) -> int:
        """Width of the separate full-weight path: none when every weight is tracked anyway."""
        n = self.network.n_parameters
        return 0 if n <= MAX_TRACKED_WEIGHTS else n

    def _flat_params(self) -> np.ndarray:
        return self.network.flat_parameters.copy()

    # -- evaluation ----------------------------------------------------------------------------------------------------
    def metric(self, y_hat: np.ndarray, Y: np.ndarray) -> float:
        """Accuracy (share of rows classified right; binary at the 0.5 threshold) or R² for regression."""
        return classes_and_counts(y_hat, Y, self.dataset.task)[0]

    def evaluate(self, X: np.ndarray, Y: np.ndarray) -> tuple[float, float]:
        """(data loss, metric) of the current weights on a whole table, dropout off."""
        with np.errstate(over="ignore", invalid="ignore"):
            return self._evaluate(X, Y)[:2]

    def _evaluate(self, X: np.ndarray, Y: np.ndarray, true: np.ndarray | None = None
                  ) -> tuple[float, float, np.ndarray | None]:
        """(data loss, metric, confusion counts or None for regression) on a whole table, dropout off; ``true``: the
        rows' classes, when known. Called under step()'s errstate (overflow is the Trainer's to report)."""
        y_hat = self._judge_forward(X)
        return (self.loss_fn.value(y_hat, Y), *classes_and_counts(y_hat, Y, self.dataset.task, true))

    def _judge_forward(self, X: np.ndarray) -> np.ndarray:
        """The network's outputs for the rows of ``X``, dropout off: a table of more than ``EVAL_BLOCK`` rows goes
        through in blocks of about that many, so that each layer's outputs stay in the processor's cache on their
        way to the next layer (5,000 judged rows of 784-128-10: 4-8% faster than in one pass, on a busy machine)."""
        n = len(X)
        if n <= EVAL_BLOCK:
            return self.network.forward(X, training=False)
        k = -(-n // EVAL_BLOCK)
        out = np.empty((n, self.network.n_outputs), self.dtype)
        for i in range(k):
            start, stop = n * i // k, n * (i + 1) // k
            out[start:stop] = self.network.forward(X[start:stop], training=False)
        return out

    def _record_epoch(self) -> None:
        """The epoch's figures, on the rows ``judging`` picks (every row of a table up to 10,000 rows). An epoch the
        history has no room for (a run of thousands of epochs, see ``Series``) is judged only when early stopping
        needs its test loss."""
        series = self.history.epochs
        train, test = self._judged
        if not series.wants(self.epoch):
            if test is not None and self.experiment.early_stopping:
                self.best.note(self.epoch, self._evaluate(test.X, test.Y)[0])
            return
        train_loss, train_metric, train_m = self._evaluate(train.X, train.Y, train.true)
        test_loss, test_metric, test_m = (self._evaluate(test.X, test.Y, test.true) if test is not None
                                          else (math.nan, math.nan, None))
        series.append(self.epoch, (train_loss, train_metric, test_loss, test_metric, self.current_learning_rate()))
        self.best.note(self.epoch, test_loss)
        if train_m is not None:
            self.confusion = (self.epoch, train_m, test_m)

    def early_stop_due(self) -> bool:
        """Whether the test loss has not improved for ``Experiment.early_stopping`` epochs (never without test rows or
        with early stopping off). Asked at the end of an epoch (``StepResult.epoch_finished``)."""
        return self.best.due(self.epoch, self.experiment.early_stopping)

    def predict(self, X_raw) -> np.ndarray:
        """Outputs for rows of raw feature values (as a person types them); the dataset's preprocessing is applied."""
        X_raw = np.atleast_2d(np.asarray(X_raw, dtype=np.float64))
        if X_raw.shape[1] != self.dataset.n_features:
            raise ValueError(f"expected {self.dataset.n_features} value(s) "
                             f"({', '.join(self.dataset.feature_names)}), got {X_raw.shape[1]}")
        with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):  # inf/NaN out, not warnings
            return self.network.predict(self.preprocessing.apply(X_raw, self.dtype))

    # -- running -------------------------------------------------------------------------------------------------------
    def step_epoch(self) -> StepResult:
        """Updates until the current epoch ends (a whole epoch when at its start)."""
        while True:
            result = self.step()
            if result.diverged or result.epoch_finished:
                return result

    def run(self, max_epochs: int | None = None, should_stop: Callable[[], bool] | None = None,
            on_progress: Callable[[Snapshot | None], None] | None = None, progress_interval: float = 0.05,
            max_updates: int | None = None, snapshots: bool = True) -> str:
        """Step until ``max_epochs`` epochs are complete (default: the experiment's limit), ``max_updates`` more
        updates are done, ``should_stop()`` says so, training diverges, or (with early stopping on) an epoch ends
        with the test loss not improved for the patience set. ``on_progress`` gets a snapshot at most every
        ``progress_interval`` seconds and once at the end (None instead, with ``snapshots`` False: for a caller that
        reads the Trainer itself, such as the child process of training.child_run). Returns "finished", "stopped",
        "diverged" or "early-stopped"."""
        limit = max_epochs  # None: the experiment's, looked up at every update (settings taken in should_stop may
        #   change it: the studio's worker takes new settings between the updates of a run)
        end_step = math.inf if max_updates is None else self.step_count + max_updates
        start_time = time.perf_counter()
        last_report = start_time
        start_samples = self.step_count
        reason = None
        while reason is None:
            # the updates between two reports hold step()'s errstate once, not once each (``on_progress`` runs
            # outside it, ``should_stop`` inside)
            with np.errstate(over="ignore", invalid="ignore"):
                while True:
                    if (self.epoch >= (self.experiment.epochs if limit is None else limit)
                            or self.step_count >= end_step):
                        reason = "finished"
                        break
                    if should_stop is not None and should_stop():
                        reason = "stopped"
                        break
                    result = self._step()
                    if result.diverged:
                        reason = "diverged"
                        break
                    if result.epoch_finished and self.early_stop_due():
                        reason = "early-stopped"
                        break
                    if on_progress is not None:
                        now = time.perf_counter()
                        if now - last_report >= progress_interval:
                            break
            if reason is None:
                self._update_speed(start_time, now, start_samples)
                on_progress(self.snapshot() if snapshots else None)
                last_report = now
        now = time.perf_counter()
        self._update_speed(start_time, now, start_samples)
        self.elapsed += now - start_time
        if on_progress is not None:
            on_progress(self.snapshot() if snapshots else None)
        return reason

    def _update_speed(self, start: float, now: float, start_steps: int) -> None:
        if now > start and self.step_count > start_steps:
            self.samples_per_second = (self.step_count - start_steps) * self.batch_size / (now - start)

    # -- persistence --------------------------------------------------------------------------------------------------
    def state_dict(self) -> dict:
        """Everything needed to continue exactly where training stands (weights, optimizer, shuffle and dropout
        random states, counters, history)."""
        return {
            "step": self.step_count, "epoch": self.epoch, "position": self.position,
            "order": None if self._order is None else packed.to_json(self._order),
            "weights": [packed.to_json(p) for p in self.network.parameters()],
            "initial_weights": [packed.to_json(p) for p in self.initial_weights],
            "optimizer": self.optimizer.state_dict(),
            "shuffle_rng": self._shuffle_rng.bit_generator.state,
            "dropout_rng": self._dropout_rng.bit_generator.state,
            "last_loss": self.last_loss, "last_outputs": packed.to_json(self.last_outputs),
            "elapsed": self.elapsed, "history": self.history.to_dict(),
        }

    def load_state_dict(self, d: dict) -> None:
        """Restore a ``state_dict``. Everything is checked first (``saved_state.read_state``): a state that does not
        fit this network and data, or holds NaN weights, claims sizes it does not hold, or positions out of range,
        raises ``FieldError`` (a ValueError naming the field) and changes nothing."""
        from nnstudio.training.saved_state import read_state

        s = read_state(self, d)
        self.initial_weights = s.initial_weights
        self.network.set_weights(s.weights)
        self.optimizer.t, self.optimizer.state = s.optimizer_t, s.optimizer_state
        self._shuffle_rng.bit_generator.state = s.shuffle_rng
        self._dropout_rng.bit_generator.state = s.dropout_rng
        self.step_count, self.epoch, self.position = s.step, s.epoch, s.position
        self._order = s.order
        self.last_loss = s.last_loss
        self.last_outputs = s.last_outputs
        self.elapsed = s.elapsed
        self.history = s.history
        self.best = BestEpoch.scan(s.history.epochs.x, s.history.epochs.values[:, 2], s.epoch)
        self.confusion = None  # counted again at the next epoch's end
        self.follow(self.followed_index, restart=True)  # a followed weight's record starts over with the history
        self.diverged = None
        self.forget_rollback()
        if self.timeline is not None:  # no going back before the load either
            self.timeline.clear()
            self.timeline.record(self, pin=True)

    # -- publishing ----------------------------------------------------------------------------------------------------
    def snapshot(self) -> Snapshot:
        h = self.history
        ux, uv = h.update_loss.frozen()
        wx, wv = h.weights.frozen() if h.weights is not None else (_frozen(np.zeros(0, np.int64)),
                                                                   _frozen(np.zeros((0, 0))))
        ex, ev = h.errors.frozen() if h.errors is not None else (_frozen(np.zeros(0, np.int64)),
                                                                 _frozen(np.zeros((0, 0))))
        epx, epv = h.epochs.frozen()
        return Snapshot(
            step=self.step_count, epoch=self.epoch, position=self.position, n_train=self.n_train,
            loss=self.last_loss, learning_rate=self.current_learning_rate(), metric_name=self.metric_name,
            parameter_names=tuple(self.network.parameter_names()),
            weights=tuple(_frozen(p) for p in self.network.parameters()),
            gradients=tuple(_frozen(g) for g in self.network.gradients()),
            layers=tuple(self.network.specs()), tracked=_frozen(self.tracked),
            update_x=ux, update_loss=uv[:, 0], weight_x=wx, weight_values=wv, error_x=ex, error_values=ev,
            epoch_x=epx, epoch_values=epv,
            last_outputs=_frozen(self.last_outputs) if self.n_train <= MAX_OUTPUT_ROWS else None,
            layer_z=tuple(_frozen(z[:MAX_Z_ROWS]) for z in self._last_z),
            diverged=self.diverged, samples_per_second=self.samples_per_second, elapsed=self.elapsed,
            preprocessing=self.preprocessing, dtype=self.dtype.name,
            path_x=h.path.frozen()[0] if h.path is not None else None,
            path_values=h.path.frozen()[1] if h.path is not None else None,
            followed_index=self.followed_index,
            followed_x=self._followed.frozen()[0] if self._followed is not None else None,
            followed_values=self._followed.frozen()[1][:, 0] if self._followed is not None else None,
            confusion_epoch=self.confusion[0] if self.confusion else -1,
            train_confusion=self.confusion[1] if self.confusion else None,
            test_confusion=self.confusion[2] if self.confusion else None,
            best_epoch=self.best.epoch, best_test_loss=self.best.loss if self.best.epoch is not None else math.nan,
            timeline_end=max(self.timeline.end, self.step_count) if self.timeline is not None else -1,
            timeline_stride=self.timeline.stride if self.timeline is not None else 0,
            timeline_steps=tuple(self.timeline.steps) if self.timeline is not None else (),
            initial_weights=self._initial_frozen(),
        )

    def _initial_frozen(self) -> tuple[np.ndarray, ...]:
        """Read-only copies of ``initial_weights``, made once for each list of them."""
        kept = getattr(self, "_initial_kept", None)
        if kept is None or kept[0] is not self.initial_weights:
            kept = (self.initial_weights, tuple(_frozen(w) for w in self.initial_weights))
            self._initial_kept = kept
        return kept[1]
