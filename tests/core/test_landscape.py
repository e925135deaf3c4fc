import numpy as np
import pytest

from nnstudio.core import landscape
from nnstudio.core.losses import get as get_loss
from nnstudio.core.network import LayerSpec, Network


def _regression():
    x = np.array([[17.786338762689528], [6.038187157388812], [11.103903904628568], [5.930405950000734],
                  [18.864150836570328], [2.5891885209702528]])
    y = np.array([[233.0], [91.0], [111.0], [152.0], [310.0], [48.0]])
    net = Network.build(1, [LayerSpec(1, "identity", True)])
    net.set_weights([np.array([[5.0]]), np.array([10.0])])
    return net, x, y


def test_two_weight_slice_of_linear_regression_has_its_minimum_at_least_squares():
    net, x, y = _regression()
    mse = get_loss("mse")
    m_ls, b_ls = np.polyfit(x[:, 0], y[:, 0], 1)
    centre = np.array([m_ls, b_ls])
    alphas = np.linspace(-3, 3, 61)
    betas = np.linspace(-30, 30, 61)
    Z = landscape.surface(landscape.clone(net), mse, x, y, centre, landscape.axis_direction(2, 0),
                          landscape.axis_direction(2, 1), alphas, betas)
    j, i = np.unravel_index(np.argmin(Z), Z.shape)
    assert (alphas[i], betas[j]) == (0.0, 0.0)
    # the surface is the exact loss: compare one grid point with a direct computation
    m, b = m_ls + alphas[10], b_ls + betas[50]
    assert Z[50, 10] == pytest.approx(np.mean((y[:, 0] - m * x[:, 0] - b) ** 2), rel=1e-12)


def test_clone_leaves_the_original_alone_and_line_is_a_parabola():
    net, x, y = _regression()
    before = net.get_weights()
    copy = landscape.clone(net)
    centre = landscape.flatten(net.parameters())
    values = landscape.line(copy, get_loss("mse"), x, y, centre, landscape.axis_direction(2, 0),
                            np.linspace(-2, 2, 9))
    assert all(np.array_equal(a, b) for a, b in zip(before, net.get_weights()))
    second = np.diff(values, 2)
    assert np.allclose(second, second[0])  # constant second difference: a parabola


def test_projection_recovers_points_in_the_plane_and_pca_finds_the_path_plane():
    rng = np.random.default_rng(0)
    d1, d2 = rng.standard_normal(10), rng.standard_normal(10)
    centre = rng.standard_normal(10)
    coords = rng.standard_normal((30, 2))
    path = centre + coords[:, :1] * d1 + coords[:, 1:] * d2
    np.testing.assert_allclose(landscape.project(path, centre, d1, d2), coords, atol=1e-10)
    p1, p2, var = landscape.pca_directions(path, centre)
    back = landscape.project(path, centre, p1, p2)
    np.testing.assert_allclose(centre + back[:, :1] * p1 + back[:, 1:] * p2, path, atol=1e-9)
    assert var.sum() == pytest.approx(1.0)
    with pytest.raises(ValueError, match="too short"):
        landscape.pca_directions(centre[None, :], centre)


def test_random_direction_is_filter_normalised():
    net = Network.build(4, [LayerSpec(5, "tanh"), LayerSpec(2, "softmax")])
    net.initialize("normal", 3, "same")
    d = landscape.random_direction(net, np.random.default_rng(1))
    parts = landscape.unflatten(d, net.parameters())
    for p, part in zip(net.parameters(), parts):
        if p.ndim == 2:
            np.testing.assert_allclose(np.linalg.norm(part, axis=0), np.linalg.norm(p, axis=0), rtol=1e-9)
        else:
            assert not part.any()


def test_surface_progress_can_cancel():
    net, x, y = _regression()
    calls = []
    Z = landscape.surface(landscape.clone(net), get_loss("mse"), x, y, np.zeros(2),
                          landscape.axis_direction(2, 0), landscape.axis_direction(2, 1), np.arange(5.0),
                          np.arange(4.0), progress=lambda f: calls.append(f) or len(calls) < 2)
    assert np.isfinite(Z[:2]).all() and np.isnan(Z[2:]).all()


def test_pca_and_projection_agree_with_the_plain_decompositions():
    rng = np.random.default_rng(3)
    centre = rng.standard_normal(50)
    path = centre + np.cumsum(rng.standard_normal((12, 50)) * np.linspace(3, 0.1, 50), axis=0)
    p1, p2, var = landscape.pca_directions(path, centre)
    _, s, vt = np.linalg.svd(path - centre, full_matrices=False)
    for mine, theirs in ((p1, vt[0]), (p2, vt[1])):  # the same directions, up to their sign
        np.testing.assert_allclose(mine * np.sign(mine @ theirs), theirs, atol=1e-9)
    np.testing.assert_allclose(var, (s ** 2 / np.sum(s ** 2))[:2], rtol=1e-9)
    assert (path[0] - centre) @ p1 <= 0 and (path[0] - centre) @ p2 <= 0  # from the start towards the centre
    d1, d2 = rng.standard_normal(50), rng.standard_normal(50)  # not orthogonal
    want = np.linalg.lstsq(np.stack([d1, d2], axis=1), (path - centre).T, rcond=None)[0].T
    np.testing.assert_allclose(landscape.project(path, centre, d1, d2), want, atol=1e-10)
    # parallel directions (a cut along one weight): the minimum-norm answer, as lstsq gives it
    want = np.linalg.lstsq(np.stack([d1, d1], axis=1), (path - centre).T, rcond=None)[0].T
    np.testing.assert_allclose(landscape.project(path, centre, d1, d1), want, atol=1e-10)


def test_a_long_path_of_few_weights_agrees_with_the_plain_decomposition_too():
    rng = np.random.default_rng(4)  # a small network's path: thousands of points of a few weights
    path = np.cumsum(rng.standard_normal((3000, 5)) * [3.0, 1.0, 0.5, 0.2, 0.1], axis=0)
    centre = path[-1]
    p1, p2, var = landscape.pca_directions(path, centre)
    _, s, vt = np.linalg.svd(path - centre, full_matrices=False)
    for mine, theirs in ((p1, vt[0]), (p2, vt[1])):
        np.testing.assert_allclose(mine * np.sign(mine @ theirs), theirs, atol=1e-8)
    np.testing.assert_allclose(var, (s ** 2 / np.sum(s ** 2))[:2], rtol=1e-9)


def test_a_straight_path_has_no_second_direction():
    centre = np.zeros(6)
    path = np.outer(np.arange(1.0, 5.0), np.arange(6.0))
    d1, d2, var = landscape.pca_directions(path, centre)
    assert not d2.any() and var[1] == pytest.approx(0.0, abs=1e-12)
    np.testing.assert_allclose(np.abs(d1), np.arange(6.0) / np.linalg.norm(np.arange(6.0)))


def test_a_big_networks_path_is_read_a_block_at_a_time():
    """A path of 40 float32 weight vectors of 200,000 weights (32 MB): the directions and the projection never hold
    a float64 copy of it (64 MB), let alone the copies a decomposition of the whole makes."""
    import tracemalloc

    rng = np.random.default_rng(0)
    path = rng.standard_normal((40, 200_000), dtype=np.float32)
    centre = path[-1].astype(np.float64)
    tracemalloc.start()
    try:
        d1, d2, _ = landscape.pca_directions(path, centre)
        landscape.project(path, centre, d1, d2)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 16 * 2**20, f"{peak / 2**20:.0f} MB"
