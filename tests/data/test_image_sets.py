"""Any folder in MNIST's layout is a dataset, with its own image size and class count; a subset keeps each class's
share."""

import numpy as np
import pytest

from nnstudio import data
from nnstudio.core.network import LayerSpec
from nnstudio.data import DataError
from nnstudio.data.idx import write_idx
from nnstudio.data.image_sets import stratified_subset
from nnstudio.training.experiment import Experiment
from nnstudio.training.trainer import Trainer


def make_folder(folder, n_train=120, n_test=30, shape=(12, 10), classes=3, seed=0, test=True, gz=True, dotted=False):
    """A learnable image set: class k has a bright band of rows; written as IDX files."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    end = ".gz" if gz else ""
    parts = [("train", n_train)] + ([("t10k", n_test)] if test else [])
    for part, n in parts:
        labels = (np.arange(n) % classes).astype(np.uint8)
        images = rng.integers(0, 60, (n, *shape)).astype(np.uint8)
        band = shape[0] // classes
        for k in range(classes):
            images[labels == k, k * band:(k + 1) * band, :] += 180
        sep = "." if dotted else "-"
        write_idx(folder / f"{part}-images{sep}idx3-ubyte{end}", images)
        write_idx(folder / f"{part}-labels{sep}idx1-ubyte{end}", labels)
    return folder


def test_a_folder_gives_its_own_image_size_and_class_count(tmp_path):
    folder = make_folder(tmp_path / "shapes")
    ds = data.load("idx", path=str(folder))
    assert ds.name == "idx:shapes" and ds.task == "multiclass" and ds.class_names == ("0", "1", "2")
    assert ds.image_shape == (12, 10) and ds.n_features == 120 and ds.X.dtype == np.uint8
    assert ds.n_samples == 120 and ds.X_test.shape == (30, 120) and ds.n_outputs == 3
    assert ds.preprocessing.scale == (255.0,) * 120
    assert ds.feature_names[:2] == ("r1c1", "r1c2") and ds.feature_names[-1] == "r12c10"
    assert "12 x 10 pixels (height x width)" in ds.description


@pytest.mark.parametrize("gz, dotted, test", [(False, False, True), (True, True, False), (False, True, True)])
def test_raw_gzipped_dotted_names_and_no_test_part(tmp_path, gz, dotted, test):
    folder = make_folder(tmp_path / "set", gz=gz, dotted=dotted, test=test)
    ds = data.load("idx", path=str(folder))
    assert ds.n_samples == 120 and ds.has_test == test


def test_a_folder_trains_through_the_registry_and_the_trainer(tmp_path):
    folder = make_folder(tmp_path / "shapes")
    exp = Experiment(dataset="idx", dataset_params={"path": str(folder), "subset": 60, "subset_seed": 1},
                     layers=[LayerSpec(8, "tanh"), LayerSpec(3, "softmax")], loss="softmax_cross_entropy",
                     optimizer="sgd", learning_rate=0.5, batch_size=20, epochs=15, dtype="float32")
    trainer = Trainer(exp)
    assert trainer.n_train == 60 and trainer.network.n_inputs == 120
    before, _ = trainer.evaluate(trainer.X_test, trainer.Y_test)
    trainer.run()
    after, accuracy = trainer.evaluate(trainer.X_test, trainer.Y_test)
    assert after < before and accuracy > 0.9


def test_two_classes_make_a_binary_set(tmp_path):
    ds = data.load("idx", path=str(make_folder(tmp_path / "two", classes=2)))
    assert ds.task == "binary" and ds.n_outputs == 1


@pytest.mark.parametrize("break_it, message", [
    (lambda f: (f / "train-labels-idx1-ubyte.gz").unlink(),
     r"^.*/set: no train-labels-idx1-ubyte \(or \.gz\) here; an IDX dataset folder holds"),
    (lambda f: (f / "t10k-labels-idx1-ubyte.gz").unlink(),
     r"^.*/set: t10k-images-idx3-ubyte\.gz has no partner: t10k-labels-idx1-ubyte \(or \.gz\) is missing"),
    (lambda f: write_idx(f / "t10k-images-idx3-ubyte.gz", np.zeros((30, 28, 28), np.uint8)),
     r"^idx:set: the test images are 28 x 28 pixels \(height x width\), the training images 12 x 10 pixels"),
    (lambda f: write_idx(f / "train-labels-idx1-ubyte.gz", np.zeros(7, np.uint8)),
     r"^train-images-idx3-ubyte\.gz holds 120 images but train-labels-idx1-ubyte\.gz holds 7 labels"),
    (lambda f: [write_idx(f / "train-labels-idx1-ubyte.gz", np.zeros(120, np.uint8)),
                write_idx(f / "t10k-labels-idx1-ubyte.gz", np.zeros(30, np.uint8))],
     r"^idx:set: every label is 0; classification needs at least two classes"),
    (lambda f: (f / "train-images-idx3-ubyte.gz").write_bytes(b"\x1f\x8b\x08\x00garbage"),
     r"^train-images-idx3-ubyte\.gz: "),
    (lambda f: [(f / name).write_bytes(b"") for name in ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
                                                          "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")],
     r"^train-images-idx3-ubyte\.gz: not an IDX file \(a file starting with nothing"),
    (lambda f: write_idx(f / "train-images-idx3-ubyte.gz", np.zeros((120, 0, 10), np.uint8)),
     r"^train-images-idx3-ubyte\.gz: its images are 0 x 10 pixels: there is nothing to see"),
])
def test_a_bad_folder_is_refused_naming_what_is_wrong(tmp_path, break_it, message):
    folder = make_folder(tmp_path / "set")
    break_it(folder)
    with pytest.raises(DataError, match=message):
        data.load("idx", path=str(folder))


def test_a_missing_folder_or_a_file(tmp_path):
    with pytest.raises(DataError, match=r"nowhere: no such folder"):
        data.load("idx", path=str(tmp_path / "nowhere"))
    (tmp_path / "file").write_text("x")
    with pytest.raises(DataError, match=r"file: not a folder"):
        data.load("idx", path=str(tmp_path / "file"))
    with pytest.raises(DataError, match=r"^no folder given"):
        data.load("idx")


def test_an_npz_file_is_a_dataset(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (40, 8, 8), dtype=np.uint8)
    y = (np.arange(40) % 4).astype(np.uint8)
    np.savez(tmp_path / "mnist.npz", x_train=x[:30], y_train=y[:30], x_test=x[30:], y_test=y[30:])
    ds = data.load("npz", path=str(tmp_path / "mnist.npz"), subset=8)
    assert ds.image_shape == (8, 8) and ds.n_classes == 4 and ds.n_samples == 8 and len(ds.X_test) == 10
    assert np.bincount(ds.y).tolist() == [2, 2, 2, 2]


def test_the_subset_keeps_each_class_share_exactly():
    labels = np.repeat(np.arange(3), [500, 300, 200])
    rows = stratified_subset(labels, 101, seed=5)
    assert len(rows) == 101 == len(np.unique(rows)) and np.all(np.diff(rows) > 0)
    # shares 50.5, 30.3, 20.2: the floors 50 30 20 and the one left over to the largest remainder (class 0)
    assert np.bincount(labels[rows]).tolist() == [51, 30, 20]
    np.testing.assert_array_equal(rows, stratified_subset(labels, 101, seed=5))
    assert not np.array_equal(rows, stratified_subset(labels, 101, seed=6))
    assert len(stratified_subset(labels, 1000, seed=0)) == 1000
