"""The shipped MNIST: exactly the original 70,000 digits, kept as bytes, a stratified subset from a seed, and an
experiment on it trains."""

import numpy as np
import pytest

from nnstudio import data
from nnstudio.core.network import LayerSpec
from nnstudio.data import DataError
from nnstudio.data.idx import ImageSet
from nnstudio.data.mnist import TEST_COUNTS, TRAIN_COUNTS, check_mnist
from nnstudio.paths import resource_path
from nnstudio.training.experiment import Experiment
from nnstudio.training.trainer import Trainer


def test_the_shipped_files_are_the_original_mnist(mnist_sets):
    train, test = mnist_sets  # read_mnist checked them: this states what it checked
    assert train.images.shape == (60_000, 28, 28) and test.images.shape == (10_000, 28, 28)
    assert train.images.dtype == test.images.dtype == np.uint8
    assert tuple(np.bincount(train.labels)) == TRAIN_COUNTS == (5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265,
                                                                5851, 5949)
    assert tuple(np.bincount(test.labels)) == TEST_COUNTS == (980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009)
    assert list(train.labels[:5]) == [5, 0, 4, 1, 9] and list(test.labels[:3]) == [7, 2, 1]  # the well-known firsts
    assert train.images.max() == 255 and train.images.min() == 0
    for name in ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz",
                 "t10k-labels-idx1-ubyte.gz"):
        assert resource_path("mnist", name).read_bytes()[:2] == b"\x1f\x8b"
    assert "CC BY-SA 3.0" in resource_path("DATA_LICENSE").read_text() and "Corinna Cortes" in \
        resource_path("DATA_LICENSE").read_text()


def test_a_substituted_file_is_refused(mnist_sets):
    train, _ = mnist_sets
    labels = train.labels.copy()
    labels[0] = (labels[0] + 1) % 10
    assert labels[0] == 6  # a 5 relabelled
    with pytest.raises(DataError, match=r"^MNIST's training files hold 5923 6742 5958 6131 5842 5420 5919 6265 5851 "
                                        r"5949 images of the digits 0\.\.9; MNIST holds 5923 6742 5958 6131 5842 "
                                        r"5421 5918 "):
        check_mnist("training", ImageSet(train.images, labels), TRAIN_COUNTS)
    with pytest.raises(DataError, match=r"shape \(59999, 28, 28\); MNIST's are uint8 of shape \(60000, 28, 28\)"):
        check_mnist("training", ImageSet(train.images[1:], labels[1:]), TRAIN_COUNTS)


def test_the_dataset_keeps_the_pixels_as_bytes_without_a_copy(mnist_from_memory):
    train, test = mnist_from_memory
    ds = data.load("mnist")
    assert ds.task == "multiclass" and ds.class_names == tuple("0123456789") and ds.image_shape == (28, 28)
    assert ds.X.shape == (60_000, 784) and ds.X.dtype == np.uint8 and np.shares_memory(ds.X, train.images)
    assert ds.X_test.shape == (10_000, 784) and np.shares_memory(ds.X_test, test.images)
    assert ds.y.dtype == np.int64 and list(ds.y[:5]) == [5, 0, 4, 1, 9]
    assert ds.preprocessing.shift == (0.0,) * 784 and ds.preprocessing.scale == (255.0,) * 784
    assert "pixel / 255" in ds.preprocessing.description
    assert ds.feature_names[0] == "r1c1" and ds.feature_names[-1] == "r28c28" and ds.n_outputs == 10
    assert "CC BY-SA 3.0" in ds.source and "Yann LeCun" in ds.source


def test_the_subset_is_stratified_and_reproducible(mnist_from_memory):
    ds = data.load("mnist", subset=1000, subset_seed=3)
    counts = np.bincount(ds.y, minlength=10)
    assert counts.sum() == 1000 == ds.n_samples
    share = np.array(TRAIN_COUNTS) / 60_000 * 1000
    assert np.all(np.abs(counts - share) < 1)  # each digit keeps its share, to the image
    assert ds.X_test.shape == (10_000, 784)  # the test images are always whole
    again = data.load("mnist", subset=1000, subset_seed=3)
    np.testing.assert_array_equal(ds.X, again.X)
    other = data.load("mnist", subset=1000, subset_seed=4)
    assert np.bincount(other.y, minlength=10).tolist() == counts.tolist() and not np.array_equal(ds.X, other.X)
    assert ds.params["subset"] == 1000 and ds.params["subset_seed"] == 3
    assert data.load("mnist", subset=10_000).n_samples == 10_000


@pytest.mark.parametrize("subset", [60_001, -1, 1.5, "1000", True])
def test_a_bad_subset_is_refused(mnist_from_memory, subset):
    with pytest.raises(DataError, match=r"^mnist: subset must be a whole number of training images from 1 to "
                                        r"60,000, or 0 for all of them"):
        data.load("mnist", subset=subset)


@pytest.mark.parametrize("seed", [-1, 0.5, None])
def test_a_bad_subset_seed_is_refused(mnist_from_memory, seed):
    with pytest.raises(DataError, match=r"^mnist: subset_seed must be a whole number >= 0"):
        data.load("mnist", subset=10, subset_seed=seed)


def test_an_experiment_on_mnist_trains_through_the_trainer(mnist_from_memory):
    exp = Experiment(dataset="mnist", dataset_params={"subset": 1000}, dtype="float32",
                     layers=[LayerSpec(30, "tanh"), LayerSpec(10, "softmax")], init="uniform",
                     loss="softmax_cross_entropy", optimizer="momentum", learning_rate=0.05, momentum=0.9,
                     batch_size=50, epochs=2)
    trainer = Trainer(exp)
    assert trainer.X_train.dtype == np.float32 and trainer.X_train.shape == (1000, 784)
    assert trainer.X_test.shape == (10_000, 784) and float(trainer.X_train.max()) == 1.0
    np.testing.assert_array_equal(trainer.X_train, trainer.dataset.X / np.float32(255))
    before, _ = trainer.evaluate(trainer.X_test, trainer.Y_test)
    trainer.run()
    after, accuracy = trainer.evaluate(trainer.X_test, trainer.Y_test)
    assert trainer.step_count == 40 and after < before and accuracy > 0.5
