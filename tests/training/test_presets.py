"""Each tutorial preset reproduces its tutorial's numbers. Where a tutorial prints figures, they are checked to the
printed digits; where it does not, the Trainer is compared with an independent plain-numpy loop of the same
algorithm written out here."""

import numpy as np
import pytest

from nnstudio.data import load
from nnstudio.data.builtin import closed_form_line
from nnstudio.training import PRESETS, Trainer, presets


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def test_every_preset_has_title_and_description():
    assert set(PRESETS) >= {"trask-neuron", "gender-network", "perceptron-50k", "diabetes-regression"}
    for name, p in PRESETS.items():
        assert p.name == name and p.title and p.description


def test_trask_neuron_starting_weights_and_published_result():
    t = Trainer(presets.get("trask-neuron"))
    np.testing.assert_allclose(t.network.parameters()[0].ravel(), [-0.16595599, 0.44064899, -0.99977125], atol=1e-8)
    assert t.run() == "finished"
    assert t.step_count == 1000
    np.testing.assert_allclose(t.network.parameters()[0].ravel(), [7.26283009, -0.21614618, -3.41703015], atol=1e-8)
    np.testing.assert_allclose(t.last_outputs.ravel(), [0.03178421, 0.97414645, 0.97906682, 0.02576499], atol=1e-8)
    assert t.predict([1, 0, 0])[0, 0] > 0.99


def test_perceptron_50k_matches_the_plain_loop(trained_lesson):
    t = trained_lesson("perceptron-50k")
    # the tutorial's algorithm, written out independently
    X = np.array([[0, 0, 1], [1, 1, 1], [1, 0, 1], [0, 1, 1]], float)
    y = np.array([[0, 1, 1, 0]], float).T
    rs = np.random.RandomState(1)
    w = rs.uniform(-1, 1, (3, 1))
    errors_at = {}
    for i in range(50_000):
        out = _sigmoid(X @ w)
        if i in (0, 1, 999, 49_999):
            errors_at[i] = (y - out).ravel()
        w += X.T @ ((y - out) * out * (1 - out))
    np.testing.assert_allclose(t.network.parameters()[0], w, rtol=0, atol=1e-9)
    assert t.predict([1, 0, 0])[0, 0] > 0.9999
    # the per-sample error history (y - out) is the tutorial's plot
    snap = t.snapshot()
    for i, expected in errors_at.items():
        row = np.flatnonzero(snap.error_x == i)
        if row.size:  # thinned history keeps the first row and evenly spaced others
            np.testing.assert_allclose(snap.error_values[row[0]], expected, atol=1e-9)
    assert snap.error_x[0] == 0
    assert 2048 <= len(snap.error_x) <= 4096


def test_gender_network_classifies_the_two_classic_queries():
    t = Trainer(presets.get("gender-network"))
    t.run()
    assert t.step_count == 4000  # 1000 epochs of 4 people, one at a time
    emily, frank = t.predict([[128, 63], [155, 68]])[:, 0]
    assert emily > 0.9 and frank < 0.1
    assert t.evaluate(t.X_train, t.Y_train)[1] == 1.0


def test_gender_network_is_per_sample_sgd_in_data_order():
    """The Trainer's first epoch equals four hand-written per-sample updates with MSE on one sample."""
    t = Trainer(presets.get("gender-network"))
    W1, b1, W2, b2 = (p.copy() for p in t.network.parameters())
    X = np.array([[133, 65], [160, 72], [152, 70], [120, 60]], float) - [135, 66]
    y = np.array([1, 0, 0, 1], float)
    for x, target in zip(X, y):
        h = _sigmoid(x @ W1 + b1)
        o = _sigmoid(h @ W2 + b2)
        d_o = 2 * (o - target) * o * (1 - o)  # d(y - o)^2 / dz_out
        d_h = (d_o @ W2.T) * h * (1 - h)
        W2 -= 0.1 * np.outer(h, d_o)
        b2 -= 0.1 * d_o
        W1 -= 0.1 * np.outer(x, d_h)
        b1 -= 0.1 * d_h
    t.step_epoch()
    for got, want in zip(t.network.parameters(), (W1, b1, W2, b2)):
        np.testing.assert_allclose(got, want, atol=1e-12)


def test_diabetes_regression_matches_the_plain_loop_and_lands_near_least_squares():
    t = Trainer(presets.get("diabetes-regression"))
    assert [float(p.ravel()[0]) for p in t.network.parameters()] == [5.0, 10.0]
    t.run()
    ds = load("diabetes-bmi")
    x, target = ds.X[:, 0], ds.y[:, 0]
    m, b = 5.0, 10.0
    for _ in range(10_000):
        err = m * x + b - target
        m, b = m - 0.001 * 2 * np.mean(err * x), b - 0.001 * 2 * np.mean(err)
    got_m, got_b = (float(p.ravel()[0]) for p in t.network.parameters())
    assert got_m == pytest.approx(m, abs=1e-9) and got_b == pytest.approx(b, abs=1e-9)
    m_ls, b_ls = closed_form_line(ds)
    assert m_ls == pytest.approx(np.polyfit(x, target, 1)[0], rel=1e-12)
    assert abs(got_m - m_ls) < 0.05 and abs(got_b - b_ls) < 0.5
    mse = lambda mm, bb: np.mean((target - mm * x - bb) ** 2)  # noqa: E731
    assert mse(got_m, got_b) - mse(m_ls, b_ls) < 0.05


def test_diabetes_with_learning_rate_one_diverges_and_keeps_finite_weights():
    t = Trainer(presets.get("diabetes-regression").replace(learning_rate=1.0))
    assert t.run() == "diverged"
    assert "smaller learning rate" in t.diverged
    assert all(np.isfinite(p).all() for p in t.network.parameters())
    assert t.step_count < 10_000
