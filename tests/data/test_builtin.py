"""The typed-in tutorial tables and the dataset registry."""

import numpy as np
import pytest

import nnstudio.data
from nnstudio.data import DATASETS, DataError, load
from nnstudio.data.builtin import closed_form_line, diabetes_bmi, gender, toy


def test_toy():
    ds = toy()
    assert ds.task == "binary"
    assert ds.X.shape == (4, 3)
    np.testing.assert_array_equal(ds.X, [[0, 0, 1], [1, 1, 1], [1, 0, 1], [0, 1, 1]])
    np.testing.assert_array_equal(ds.y, [0, 1, 1, 0])
    np.testing.assert_array_equal(ds.y, ds.X[:, 0])  # the target copies the first input
    assert ds.class_names == ("0", "1")
    assert ds.n_outputs == 1
    np.testing.assert_array_equal(ds.encode_targets(ds.y), [[0], [1], [1], [0]])
    assert ds.preprocessing.is_identity
    assert not ds.has_test
    assert ds.queries[0].values == (1.0, 0.0, 0.0)


def test_gender():
    ds = gender()
    assert ds.X.shape == (4, 2)
    np.testing.assert_array_equal(ds.X[0], [133, 65])
    np.testing.assert_array_equal(ds.y, [1, 0, 0, 1])
    assert ds.class_names == ("male", "female")
    assert ds.describe_target(0) == "female"
    assert ds.output_names == ("P(female)",)
    np.testing.assert_array_equal(ds.preprocessing.apply(np.array([[133.0, 65.0]])), [[-2.0, -1.0]])
    np.testing.assert_array_equal(ds.preprocessing.apply(ds.X), [[-2, -1], [25, 6], [17, 4], [-15, -6]])
    assert ds.params["names"] == ["Alice", "Bob", "Charlie", "Diana"]
    assert [q.values for q in ds.queries] == [(128.0, 63.0), (155.0, 68.0)]


def test_diabetes_bmi():
    ds = diabetes_bmi()
    assert ds.task == "regression"
    assert ds.X.shape == (20, 1)
    assert ds.y.shape == (20, 1)
    assert ds.n_samples == 20
    assert ds.X[0, 0] == 17.786338762689528
    assert ds.y[0, 0] == 233
    assert ds.target_names == ("progression",)
    assert ds.n_outputs == 1
    assert ds.describe_target(0) == "233"


def test_closed_form_line_matches_least_squares():
    ds = diabetes_bmi()
    m, b = closed_form_line(ds)
    m_ref, b_ref = np.polyfit(ds.X[:, 0], ds.y[:, 0], 1)
    assert m == pytest.approx(m_ref)
    assert b == pytest.approx(b_ref)
    assert m > 0  # progression rises with BMI


@pytest.mark.parametrize("name,factory", [("toy", toy), ("gender", gender), ("diabetes-bmi", diabetes_bmi)])
def test_registered(name, factory):
    assert name in DATASETS
    assert DATASETS[name].listed
    ds = load(name)
    np.testing.assert_array_equal(ds.X, factory().X)
    assert ds.name == name


def test_unknown_name_lists_known_ones():
    with pytest.raises(KeyError) as info:
        nnstudio.data.load("nope")
    message = str(info.value)
    assert "nope" in message
    assert "toy" in message and "gender" in message and "spiral" in message


def test_unknown_parameter():
    with pytest.raises(DataError) as info:
        load("toy", size=3)
    assert "size" in str(info.value) and "toy" in str(info.value)


@pytest.mark.parametrize("name", ["toy", "gender", "diabetes-bmi", "xor", "circles", "spiral", "gaussians"])
def test_small_sources_load_with_defaults(name):
    source = DATASETS[name]
    assert source.load().task == source.task


def test_a_cell_edit_too_large_to_learn_from_is_refused_with_where_and_why():
    import pytest

    from nnstudio import data
    from nnstudio.data.dataset import DataError

    toy = data.load("toy")
    with pytest.raises(DataError, match=r"row 1, column 2: -1e\+308 is too large"):
        toy.with_edits([(0, 1, -1e308)])
    assert toy.with_edits([(0, 1, -1e15)]).X[0, 1] == -1e15


def test_an_image_set_says_its_picture_size_and_it_must_fit_the_features():
    import numpy as np
    import pytest

    from nnstudio.data.dataset import DataError, Dataset

    X, y = np.zeros((3, 12)), np.array([0, 1, 0])
    ds = Dataset(name="img", title="img", task="binary", X=X, y=y, feature_names=tuple(f"p{i}" for i in range(12)),
                 class_names=("a", "b"), image_shape=(3, 4))
    assert ds.image_shape == (3, 4)
    with pytest.raises(DataError, match="5x4 pixels need 20 features"):
        Dataset(name="img", title="img", task="binary", X=X, y=y, feature_names=ds.feature_names,
                class_names=("a", "b"), image_shape=(5, 4))
