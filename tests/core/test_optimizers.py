"""Optimizers, learning-rate schedules and weight penalties, each against formulas written out here."""

import math

import numpy as np
import pytest

from nnstudio.core import optimizers
from nnstudio.core.gradcheck import numeric_gradient, relative_error
from nnstudio.core.optimizers import OPTIMIZERS, SCHEDULES, add_penalty_gradients, learning_rate, penalty


def _params():
    return [np.array([[1.0, -2.0], [0.5, 0.0]]), np.array([0.3])]


def _grads():
    return [np.array([[0.5, 0.25], [-1.0, 2.0]]), np.array([-0.4])]


def _grads2():
    return [np.array([[-0.1, 0.3], [0.2, -0.5]]), np.array([0.7])]


def test_registry_and_make():
    assert set(OPTIMIZERS) == {"sgd", "momentum", "nesterov", "adam"}
    opt = optimizers.make("momentum", momentum=0.5)
    assert isinstance(opt, optimizers.Momentum) and opt.momentum == 0.5
    with pytest.raises(KeyError):
        optimizers.make("rmsprop")


def test_sgd_one_step():
    p, g = _params(), _grads()
    optimizers.make("sgd").step(p, g, 0.1)
    np.testing.assert_allclose(p[0], [[1.0 - 0.05, -2.0 - 0.025], [0.5 + 0.1, 0.0 - 0.2]], rtol=1e-15)
    np.testing.assert_allclose(p[1], [0.3 + 0.04], rtol=1e-15)


def test_momentum_two_steps():
    lr, mu = 0.1, 0.9
    p0, g1, g2 = _params(), _grads(), _grads2()
    p = [x.copy() for x in p0]
    opt = optimizers.make("momentum", momentum=mu)
    opt.step(p, g1, lr)
    v1 = [-lr * g for g in g1]  # v starts at zero
    for x, x0, v in zip(p, p0, v1):
        np.testing.assert_allclose(x, x0 + v, rtol=1e-14)
    opt.step(p, g2, lr)
    v2 = [mu * v - lr * g for v, g in zip(v1, g2)]
    for x, x0, a, b in zip(p, p0, v1, v2):
        np.testing.assert_allclose(x, x0 + a + b, rtol=1e-14, atol=1e-15)
    # the velocity is kept in the optimizer's state
    for (v,), expected in zip(opt.state, v2):
        np.testing.assert_allclose(v, expected, rtol=1e-14)


def test_nesterov_two_steps():
    lr, mu = 0.05, 0.8
    p0, g1, g2 = _params(), _grads(), _grads2()
    p = [x.copy() for x in p0]
    opt = optimizers.make("nesterov", momentum=mu)
    opt.step(p, g1, lr)
    v1 = [-lr * g for g in g1]
    p1 = [x0 + mu * v - lr * g for x0, v, g in zip(p0, v1, g1)]
    for x, e in zip(p, p1):
        np.testing.assert_allclose(x, e, rtol=1e-14, atol=1e-15)
    opt.step(p, g2, lr)
    v2 = [mu * v - lr * g for v, g in zip(v1, g2)]
    # the classic form: p ← p − μ v_prev + (1 + μ) v_new
    p2 = [x - mu * a + (1 + mu) * b for x, a, b in zip(p1, v1, v2)]
    for x, e in zip(p, p2):
        np.testing.assert_allclose(x, e, rtol=1e-13, atol=1e-15)


def test_nesterov_differs_from_momentum():
    p_m, p_n = _params(), _params()
    optimizers.make("momentum").step(p_m, _grads(), 0.1)
    optimizers.make("nesterov").step(p_n, _grads(), 0.1)
    assert not np.allclose(p_m[0], p_n[0])


def _adam_reference(p0, grad_seq, lr, b1=0.9, b2=0.999, eps=1e-8):
    p = [x.copy() for x in p0]
    m = [np.zeros_like(x) for x in p0]
    s = [np.zeros_like(x) for x in p0]
    for t, grads in enumerate(grad_seq, start=1):
        for i, g in enumerate(grads):
            m[i] = b1 * m[i] + (1 - b1) * g
            s[i] = b2 * s[i] + (1 - b2) * g * g
            m_hat = m[i] / (1 - b1 ** t)
            s_hat = s[i] / (1 - b2 ** t)
            p[i] = p[i] - lr * m_hat / (np.sqrt(s_hat) + eps)
    return p, m, s


def test_adam_first_step_is_lr_times_sign():
    # at t = 1, m̂ = g and ŝ = g², so the step is lr · g / (|g| + ε) ≈ lr · sign(g)
    p = _params()
    optimizers.make("adam").step(p, _grads(), 0.01)
    for x, x0, g in zip(p, _params(), _grads()):
        np.testing.assert_allclose(x, x0 - 0.01 * g / (np.abs(g) + 1e-8), rtol=1e-12)


def test_adam_three_steps_against_the_textbook_formula():
    lr = 0.01
    seq = [_grads(), _grads2(), _grads()]
    p = _params()
    opt = optimizers.make("adam", beta1=0.8, beta2=0.99, eps=1e-6)
    for grads in seq:
        opt.step(p, grads, lr)
    expected, m, s = _adam_reference(_params(), seq, lr, 0.8, 0.99, 1e-6)
    assert opt.t == 3
    for x, e in zip(p, expected):
        np.testing.assert_allclose(x, e, rtol=1e-12)
    for (mm, ss), em, es in zip(opt.state, m, s):
        np.testing.assert_allclose(mm, em, rtol=1e-12)
        np.testing.assert_allclose(ss, es, rtol=1e-12)


@pytest.mark.parametrize("name", ["momentum", "nesterov", "adam"])
def test_state_persists_and_reset_clears_it(name):
    opt = optimizers.make(name)
    p = _params()
    opt.step(p, _grads(), 0.1)
    assert opt.t == 1
    assert len(opt.state) == 2
    assert any(np.any(slot != 0) for slots in opt.state for slot in slots)
    # a second step from the same point with the same gradient moves differently, because of the state
    q, fresh = _params(), optimizers.make(name)
    before = [x.copy() for x in p]
    opt.step(p, _grads2(), 0.1)
    fresh.step(q, _grads2(), 0.1)
    step_with_state = p[0] - before[0]
    step_fresh = q[0] - _params()[0]
    assert not np.allclose(step_with_state, step_fresh)
    assert opt.t == 2

    opt.reset()
    assert opt.state == [] and opt.t == 0
    r = _params()
    opt.step(r, _grads2(), 0.1)
    for x, y in zip(r, q):
        np.testing.assert_array_equal(x, y)  # behaves as new again


def test_sgd_keeps_no_state():
    opt = optimizers.make("sgd")
    opt.step(_params(), _grads(), 0.1)
    assert opt.state == []


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_float32_params_stay_float32(name):
    p = [x.astype(np.float32) for x in _params()]
    ids = [id(x) for x in p]
    opt = optimizers.make(name)
    for _ in range(3):
        opt.step(p, [g.astype(np.float32) for g in _grads()], 0.1)
    assert [id(x) for x in p] == ids  # updated in place
    for x in p:
        assert x.dtype == np.float32
    for slots in opt.state:
        for s in slots:
            assert s.dtype == np.float32


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_steps_update_in_place(name):
    p = _params()
    view = p[0]
    optimizers.make(name).step(p, _grads(), 0.1)
    assert p[0] is view
    assert not np.array_equal(view, _params()[0])


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_state_dict_round_trip_gives_identical_steps(name):
    opt = optimizers.make(name, momentum=0.7, beta1=0.85, beta2=0.995)
    p = _params()
    opt.step(p, _grads(), 0.05)
    opt.step(p, _grads2(), 0.05)
    saved = opt.state_dict()
    q = [x.copy() for x in p]

    restored = optimizers.make(name, momentum=0.7, beta1=0.85, beta2=0.995)
    restored.load_state_dict(saved, q)
    assert restored.t == opt.t == 2
    for _ in range(2):
        opt.step(p, _grads(), 0.05)
        restored.step(q, _grads(), 0.05)
    for x, y in zip(p, q):
        np.testing.assert_array_equal(x, y)


def test_load_state_dict_restores_float32_and_shapes():
    opt = optimizers.make("adam")
    p = [x.astype(np.float32) for x in _params()]
    opt.step(p, [g.astype(np.float32) for g in _grads()], 0.1)
    d = opt.state_dict()
    other = optimizers.make("adam")
    other.load_state_dict(d, p)
    for slots_a, slots_b, x in zip(opt.state, other.state, p):
        for a, b in zip(slots_a, slots_b):
            assert b.dtype == np.float32 and b.shape == x.shape
            np.testing.assert_array_equal(a, b)


def test_load_state_dict_for_other_params_is_refused_and_changes_nothing():
    # a state that does not fit is a damaged file: refused with the field named, not silently dropped
    opt = optimizers.make("momentum")
    opt.step(_params(), _grads(), 0.1)
    other = optimizers.make("momentum")
    other.step(_params(), _grads(), 0.1)
    before = [[s.copy() for s in slots] for slots in other.state]
    with pytest.raises(ValueError, match="optimizer.state"):
        other.load_state_dict(opt.state_dict(), [np.zeros(3)])  # one array instead of two
    assert other.t == 1 and all(np.array_equal(a, b) for a, b in zip(before[0], other.state[0]))


@pytest.mark.parametrize("name, change, message", [
    ("momentum", lambda d: d["state"][0][0][0].__setitem__(0, float("nan")), "NaN or infinite"),
    ("momentum", lambda d: d["state"][0].append(d["state"][0][0]), "keeps 1 array"),
    ("adam", lambda d: d["state"][1].__setitem__(1, [-1.0]), "cannot be negative"),
    ("adam", lambda d: d["state"][1].__setitem__(0, [[1.0]]), "does not fit"),
    ("adam", lambda d: d.__setitem__("t", -3), "optimizer.t"),
    ("adam", lambda d: d.__setitem__("t", True), "optimizer.t"),
    ("sgd", lambda d: d.__setitem__("state", [[[0.0]]]), "keeps 0 array"),
])
def test_load_state_dict_refuses_damaged_states(name, change, message):
    opt = optimizers.make(name)
    p = _params()
    opt.step(p, _grads(), 0.1)
    d = opt.state_dict()
    change(d)
    with pytest.raises(ValueError, match=message):
        optimizers.make(name).load_state_dict(d, p)


# -- schedules ----------------------------------------------------------------------------------------------------------
def test_schedule_registry():
    assert set(SCHEDULES) == {"constant", "inverse", "compound"}
    with pytest.raises(KeyError):
        learning_rate("exponential", 0.1, 0.1, 1)


@pytest.mark.parametrize("epoch", [0, 1, 5, 100])
def test_constant_schedule(epoch):
    assert learning_rate("constant", 0.3, 0.5, epoch) == 0.3


@pytest.mark.parametrize("epoch", [0, 1, 2, 7])
def test_inverse_schedule(epoch):
    assert math.isclose(learning_rate("inverse", 0.5, 0.1, epoch), 0.5 / (1 + 0.1 * epoch), rel_tol=1e-15)


def test_compound_schedule():
    lr0, d = 0.5, 0.1
    assert learning_rate("compound", lr0, d, 0) == lr0
    assert math.isclose(learning_rate("compound", lr0, d, 1), 0.5 / 1.1, rel_tol=1e-15)
    assert math.isclose(learning_rate("compound", lr0, d, 3), 0.5 / (1.1 * 1.2 * 1.3), rel_tol=1e-14)
    for e in range(1, 10):
        expected = lr0
        for i in range(1, e + 1):
            expected /= 1 + d * i
        assert math.isclose(learning_rate("compound", lr0, d, e), expected, rel_tol=1e-14)
        # each epoch divides the previous rate by (1 + d·e)
        assert math.isclose(learning_rate("compound", lr0, d, e),
                            learning_rate("compound", lr0, d, e - 1) / (1 + d * e), rel_tol=1e-14)


def test_zero_decay_is_constant():
    for schedule in SCHEDULES:
        assert learning_rate(schedule, 0.2, 0.0, 9) == 0.2


# -- penalties ----------------------------------------------------------------------------------------------------------
def test_penalty_values_by_hand():
    w = [np.array([[1.0, -2.0]]), np.array([[3.0]])]
    assert penalty(w, 0.0, 0.0) == 0.0
    assert math.isclose(penalty(w, 0.1, 0.0), 0.1 * 6.0)
    assert math.isclose(penalty(w, 0.0, 0.2), 0.5 * 0.2 * 14.0)
    assert math.isclose(penalty(w, 0.1, 0.2), 0.6 + 1.4)


def test_penalty_gradients_by_hand():
    w = [np.array([[1.0, -2.0, 0.0]])]
    g = [np.array([[10.0, 10.0, 10.0]])]
    add_penalty_gradients(w, g, 0.1, 0.2)
    np.testing.assert_allclose(g[0], [[10.0 + 0.1 + 0.2, 10.0 - 0.1 - 0.4, 10.0]], rtol=1e-15)


@pytest.mark.parametrize("l1,l2", [(0.01, 0.0), (0.0, 0.1), (0.01, 0.1), (0.3, 0.7)])
def test_penalty_gradient_matches_finite_differences(l1, l2):
    rng = np.random.default_rng(5)
    weights = [rng.normal(size=(4, 3)), rng.normal(size=(3, 2))]
    assert min(np.abs(w).min() for w in weights) > 1e-4  # away from the |w| kink
    grads = [np.zeros_like(w) for w in weights]
    add_penalty_gradients(weights, grads, l1, l2)
    for w, g in zip(weights, grads):
        numeric = numeric_gradient(lambda: penalty(weights, l1, l2), w)
        assert relative_error(g, numeric) < 1e-6


def test_penalty_gradients_keep_float32():
    w = [np.array([[1.0, -2.0]], dtype=np.float32)]
    g = [np.zeros((1, 2), dtype=np.float32)]
    add_penalty_gradients(w, g, 0.01, 0.1)
    assert g[0].dtype == np.float32
    np.testing.assert_allclose(g[0], [[0.11, -0.21]], rtol=1e-6)


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_a_step_into_out_leaves_the_parameters_and_equals_the_step_in_place(name):
    in_place, kept = _params(), _params()
    a, b = optimizers.make(name, momentum=0.8), optimizers.make(name, momentum=0.8)
    for grads in (_grads(), _grads2(), _grads()):
        out = [np.full_like(p, np.nan) for p in kept]
        a.step(in_place, grads, 0.1)
        before = [p.copy() for p in kept]
        b.step(kept, grads, 0.1, out=out)
        assert all(np.array_equal(p, q) for p, q in zip(kept, before))  # untouched
        for p, o in zip(in_place, out):
            np.testing.assert_array_equal(p, o)  # bit for bit
        kept = out
