"""The MNIST presets: T3's network and algorithm as the tutorial describes it, and our quick recipe. Whole runs are
measured by bench/mnist_presets.py (T3 reaches about 95% in its 20 epochs, mnist-fast 98% in its 5); here one epoch
of each checks that they learn (a correctness check, not a timing)."""

import numpy as np
import pytest

from nnstudio import data
from nnstudio.training import Trainer, presets


@pytest.fixture(scope="module")
def mnist():
    return data.load("mnist")


def test_the_tutorial_preset_is_t3s_network_and_algorithm():
    t3 = presets.get("mnist-tutorial")
    assert [(s.units, s.activation, s.bias) for s in t3.layers] == [(30, "tanh", True), (10, "softmax", True)]
    assert t3.init == "uniform" and t3.loss == "softmax_cross_entropy"
    assert t3.optimizer == "momentum" and t3.momentum > 0 and t3.l2 > 0
    assert t3.lr_schedule == "compound" and t3.lr_decay > 0  # lr /= 1 + decay * epoch at each epoch's start
    assert 1 < t3.batch_size < 60000 and t3.shuffle


def test_one_epoch_of_mnist_fast_gets_90_percent_of_the_test_digits(mnist):
    t = Trainer(presets.get("mnist-fast"), mnist)
    assert t.X_train.dtype == np.float32 and t.X_train.shape == (60000, 784)
    t.run(max_epochs=1)
    loss, accuracy = t.evaluate(t.X_test, t.Y_test)
    assert accuracy >= 0.90 and np.isfinite(loss)


def test_one_epoch_of_the_tutorial_preset_learns(mnist):
    t = Trainer(presets.get("mnist-tutorial"), mnist)
    before = t.evaluate(t.X_test, t.Y_test)[1]
    t.run(max_epochs=1)
    after = t.evaluate(t.X_test, t.Y_test)[1]
    assert before < 0.3 and after >= 0.85
