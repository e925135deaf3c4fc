"""CSV loading: good files come back as complete Datasets; every kind of bad file is refused with a precise message."""

import numpy as np
import pytest

from nnstudio.data import DATASETS, DataError, load, load_csv, preview_csv


def write(tmp_path, text, name="data.csv", encoding="utf-8"):
    p = tmp_path / name
    p.write_bytes(text.encode(encoding) if isinstance(text, str) else text)
    return p


def error(path, **kwargs) -> str:
    with pytest.raises(DataError) as info:
        load_csv(path, **kwargs)
    return str(info.value)


# -- good files -------------------------------------------------------------------------------------------------------
def test_numeric_target_is_classification(tmp_path):
    p = write(tmp_path, "a,b,label\n1,2,0\n3,4,1\n5,6,1\n7,8.5,0\n")
    ds = load_csv(p)
    assert ds.task == "binary"
    assert ds.class_names == ("0", "1")
    assert ds.feature_names == ("a", "b")
    np.testing.assert_array_equal(ds.X, [[1, 2], [3, 4], [5, 6], [7, 8.5]])
    assert ds.X.dtype == np.float64
    np.testing.assert_array_equal(ds.y, [0, 1, 1, 0])
    assert ds.y.dtype == np.int64
    assert ds.name == "csv:data.csv"
    assert ds.title == "data.csv"
    assert ds.source == str(p)
    assert ds.description == "4 rows from data.csv"
    assert ds.params == {"path": str(p), "target": "label", "task": "auto", "test_fraction": 0.0, "seed": 0}
    assert ds.preprocessing.is_identity
    assert not ds.has_test


def test_numeric_classes_sorted_numerically_without_trailing_zero(tmp_path):
    p = write(tmp_path, "x,y\n1,10\n2,2\n3,2.0\n4,-1\n5,10\n")
    ds = load_csv(p)
    assert ds.task == "multiclass"
    assert ds.class_names == ("-1", "2", "10")
    np.testing.assert_array_equal(ds.y, [2, 1, 1, 0, 2])
    assert ds.n_outputs == 3


def test_string_class_names(tmp_path):
    p = write(tmp_path, "weight,height,sex\n133,65,female\n160,72,male\n152,70,male\n120,60,female\n")
    ds = load_csv(p)
    assert ds.task == "binary"
    assert ds.class_names == ("female", "male")  # class index 1 is the second name
    np.testing.assert_array_equal(ds.y, [0, 1, 1, 0])
    assert ds.output_names == ("P(male)",)
    assert ds.describe_target(0) == "female"


def test_string_classes_multiclass(tmp_path):
    p = write(tmp_path, "x,kind\n1,setosa\n2,virginica\n3,versicolor\n4,setosa\n")
    ds = load_csv(p)
    assert ds.task == "multiclass"
    assert ds.class_names == ("setosa", "versicolor", "virginica")
    np.testing.assert_array_equal(ds.y, [0, 2, 1, 0])


def test_regression_for_fractional_target(tmp_path):
    p = write(tmp_path, "bmi,progression\n17.5,233\n6.0,91.5\n11.1,111\n")
    ds = load_csv(p)
    assert ds.task == "regression"
    assert ds.target_names == ("progression",)
    assert ds.class_names == ()
    assert ds.y.shape == (3, 1)
    assert ds.y.dtype == np.float64
    np.testing.assert_array_equal(ds.y[:, 0], [233, 91.5, 111])


def test_regression_for_many_whole_number_values(tmp_path):
    rows = "".join(f"{i},{i * 3}\n" for i in range(11))
    ds = load_csv(write(tmp_path, "x,y\n" + rows))
    assert ds.task == "regression"
    ten = "".join(f"{i},{i * 3}\n" for i in range(10))
    assert load_csv(write(tmp_path, "x,y\n" + ten, name="ten.csv")).task == "multiclass"


def test_explicit_tasks(tmp_path):
    p = write(tmp_path, "x,y\n1,0\n2,1\n3,0\n4,1\n")
    assert load_csv(p, task="regression").task == "regression"
    np.testing.assert_array_equal(load_csv(p, task="regression").y[:, 0], [0, 1, 0, 1])
    assert load_csv(p, task="binary").task == "binary"
    assert load_csv(p, task="classification").task == "binary"
    assert load_csv(p, task="multiclass").task == "multiclass"
    assert load_csv(p, task="multiclass").params["task"] == "multiclass"
    fractional = write(tmp_path, "x,y\n1,0.5\n2,1.5\n3,0.5\n", name="f.csv")
    ds = load_csv(fractional, task="classification")
    assert ds.class_names == ("0.5", "1.5")
    many = write(tmp_path, "x,y\n" + "".join(f"{i},{i}\n" for i in range(20)), name="many.csv")
    assert load_csv(many, task="classification").n_classes == 20


def test_target_by_name_and_by_index(tmp_path):
    p = write(tmp_path, "a,label,b\n1,yes,2\n3,no,4\n5,yes,6\n")
    for target in ("label", 1, " label "):
        ds = load_csv(p, target=target)
        assert ds.feature_names == ("a", "b")
        np.testing.assert_array_equal(ds.X, [[1, 2], [3, 4], [5, 6]])
        assert ds.class_names == ("no", "yes")
        np.testing.assert_array_equal(ds.y, [1, 0, 1])
        assert ds.params["target"] == "label"


def test_target_index_zero_needs_numeric_features(tmp_path):
    p = write(tmp_path, "a,label,b\n1,yes,2\n3,no,4\n")
    msg = error(p, target=0)
    assert 'data.csv, line 2, column 2 ("label"): "yes" is not a number' in msg


def test_utf8_bom(tmp_path):
    p = write(tmp_path, "\ufeffheight,weight,class\n1,2,a\n3,4,b\n")
    ds = load_csv(p)
    assert ds.feature_names == ("height", "weight")
    assert preview_csv(p)[0] == ["height", "weight", "class"]


def test_semicolon_and_tab_delimiters(tmp_path):
    p = write(tmp_path, "a;b;y\n1.5;2;x\n3;4;z\n")
    ds = load_csv(p)
    np.testing.assert_array_equal(ds.X, [[1.5, 2], [3, 4]])
    assert ds.class_names == ("x", "z")
    t = write(tmp_path, "a\tb\ty\n1\t2\t0\n3\t4\t1\n", name="t.tsv")
    np.testing.assert_array_equal(load_csv(t).X, [[1, 2], [3, 4]])


def test_comma_wins_when_the_header_has_one(tmp_path):
    p = write(tmp_path, "a,b;c,y\n1,2,0\n3,4,1\n")
    assert load_csv(p).feature_names == ("a", "b;c")


def test_whitespace_crlf_and_quotes(tmp_path):
    p = write(tmp_path, ' a , "b" ,  y \r\n 1 , "2", cat \r\n3,4,dog\r\n')
    ds = load_csv(p)
    assert ds.feature_names == ("a", "b")
    np.testing.assert_array_equal(ds.X, [[1, 2], [3, 4]])
    assert ds.class_names == ("cat", "dog")
    assert ds.params["target"] == "y"


def test_blank_lines_skipped(tmp_path):
    p = write(tmp_path, "\n\na,y\n\n1,0\n   \n2,1\n\n\n3,1\n\n")
    ds = load_csv(p)
    np.testing.assert_array_equal(ds.X[:, 0], [1, 2, 3])
    np.testing.assert_array_equal(ds.y, [0, 1, 1])


def test_blank_lines_still_count_for_line_numbers(tmp_path):
    p = write(tmp_path, "\na,y\n\n1,0\n\n\nzz,1\n")
    assert 'data.csv, line 7, column 1 ("a"): "zz" is not a number' in error(p)


def test_test_fraction_split(tmp_path):
    rows = "".join(f"{i},{i % 2}\n" for i in range(20))
    p = write(tmp_path, "x,y\n" + rows)
    ds = load_csv(p, test_fraction=0.25, seed=3)
    assert ds.has_test
    assert len(ds.X) == 15 and len(ds.X_test) == 5
    assert len(ds.y) == 15 and len(ds.y_test) == 5
    all_x = np.sort(np.concatenate([ds.X[:, 0], ds.X_test[:, 0]]))
    np.testing.assert_array_equal(all_x, np.arange(20))
    # labels travel with their rows
    np.testing.assert_array_equal(ds.y, ds.X[:, 0].astype(int) % 2)
    np.testing.assert_array_equal(ds.y_test, ds.X_test[:, 0].astype(int) % 2)
    assert ds.description == "20 rows from data.csv"
    assert ds.params["test_fraction"] == 0.25 and ds.params["seed"] == 3
    again = load_csv(p, test_fraction=0.25, seed=3)
    np.testing.assert_array_equal(ds.X_test, again.X_test)
    other = load_csv(p, test_fraction=0.25, seed=4)
    assert not np.array_equal(ds.X_test, other.X_test)


def test_registered_source(tmp_path):
    source = DATASETS["csv"]
    assert not source.listed
    assert source.task == "auto"
    assert source.defaults == {"path": "", "target": None, "task": "auto", "test_fraction": 0.0, "seed": 0}
    p = write(tmp_path, "a,b,y\n1,2,0\n3,4,1\n5,6,1\n7,8,0\n")
    ds = load("csv", path=str(p), target="y", test_fraction=0.5)
    assert len(ds.X) == 2 and len(ds.X_test) == 2
    with pytest.raises(DataError, match="no CSV file"):
        load("csv")


def test_path_objects_and_strings(tmp_path):
    p = write(tmp_path, "a,y\n1,0\n2,1\n")
    np.testing.assert_array_equal(load_csv(str(p)).X, load_csv(p).X)


# -- preview ----------------------------------------------------------------------------------------------------------
def test_preview(tmp_path):
    rows = "".join(f"{i};{i * 2};abc\n\n" for i in range(30))
    p = write(tmp_path, " a ; b ;c\n" + rows)
    header, shown = preview_csv(p)
    assert header == ["a", "b", "c"]
    assert len(shown) == 20
    assert shown[0] == ["0", "0", "abc"]
    assert shown[19] == ["19", "38", "abc"]
    assert preview_csv(p, max_rows=3)[1] == [["0", "0", "abc"], ["1", "2", "abc"], ["2", "4", "abc"]]


def test_preview_shows_ragged_rows_as_they_are(tmp_path):
    p = write(tmp_path, "a,b\n1\n1,2,3\n")
    assert preview_csv(p) == (["a", "b"], [["1"], ["1", "2", "3"]])


def test_preview_header_only(tmp_path):
    assert preview_csv(write(tmp_path, "a,b\n")) == (["a", "b"], [])


@pytest.mark.parametrize("content", [b"", b"\n\n  \n", b"\xef\xbb\xbf", b'""\n'])
def test_preview_empty(tmp_path, content):
    with pytest.raises(DataError, match="data.csv.*empty"):
        preview_csv(write(tmp_path, content))


def test_preview_unreadable(tmp_path):
    with pytest.raises(DataError, match="missing.csv"):
        preview_csv(tmp_path / "missing.csv")
    with pytest.raises(DataError, match="directory"):
        preview_csv(tmp_path)
    with pytest.raises(DataError, match="data.csv, line 2.*UTF-8"):
        preview_csv(write(tmp_path, b"a,b\n\xff,1\n"))


# -- bad files --------------------------------------------------------------------------------------------------------
def test_missing_file(tmp_path):
    msg = error(tmp_path / "nope.csv")
    assert "nope.csv" in msg and "no such file" in msg


def test_no_path():
    assert "no CSV file" in error("")


def test_directory(tmp_path):
    d = tmp_path / "folder.csv"
    d.mkdir()
    msg = error(d)
    assert "folder.csv" in msg and "directory" in msg


@pytest.mark.parametrize("content", [b"", b"\n\n   \n\n", b"\xef\xbb\xbf", b'""\n'])
def test_empty_file(tmp_path, content):
    msg = error(write(tmp_path, content))
    assert "data.csv" in msg and "empty" in msg


def test_header_only(tmp_path):
    msg = error(write(tmp_path, "\na,b,y\n\n"))
    assert "data.csv" in msg and "line 2" in msg and "no data rows" in msg


def test_one_data_row(tmp_path):
    msg = error(write(tmp_path, "a,y\n\n1,0\n"))
    assert "data.csv" in msg and "only 1 data row" in msg and "line 3" in msg


def test_ragged_rows(tmp_path):
    msg = error(write(tmp_path, "a,b,y\n1,2,0\n3,4,1,9\n"))
    assert msg == "data.csv, line 3: expected 3 cells (one per header column), found 4"
    msg = error(write(tmp_path, "a,b,y\n1,2,0\n\n3,4\n"))
    assert msg == "data.csv, line 4: expected 3 cells (one per header column), found 2"


def test_non_numeric_feature(tmp_path):
    p = write(tmp_path, "name,weight,height,y\n1,2,3,0\n1,2,3,1\n4,5,6,1\n4,5,6,1\n2,3,4,0\n5,6,abc,1\n")
    assert error(p) == 'data.csv, line 7, column 3 ("height"): "abc" is not a number'


@pytest.mark.parametrize("value", ["nan", "NaN", "inf", "-inf", "Infinity"])
def test_nan_and_inf_features(tmp_path, value):
    msg = error(write(tmp_path, f"a,b,y\n1,2,0\n3,{value},1\n"))
    assert f'data.csv, line 3, column 2 ("b"): "{value}" is not a finite number' in msg


@pytest.mark.parametrize("value", ["nan", "inf"])
def test_nan_and_inf_targets(tmp_path, value):
    msg = error(write(tmp_path, f"a,b,y\n1,2,0\n3,4,{value}\n5,6,1\n"))
    assert f'data.csv, line 3, column 3 ("y"): "{value}" is not a finite number' in msg
    msg = error(write(tmp_path, f"a,b,y\n1,2,0\n3,4,{value}\n5,6,1\n"), task="regression")
    assert f'data.csv, line 3, column 3 ("y"): "{value}"' in msg


def test_empty_feature_cell(tmp_path):
    msg = error(write(tmp_path, "a,b,y\n1,2,0\n3, ,1\n"))
    assert msg.startswith('data.csv, line 3, column 2 ("b"): empty cell')


def test_empty_target_cell(tmp_path):
    msg = error(write(tmp_path, "a,b,y\n1,2,0\n3,4,\n"))
    assert msg.startswith('data.csv, line 3, column 3 ("y"): empty')


def test_missing_target_column(tmp_path):
    p = write(tmp_path, "a,b,label\n1,2,0\n3,4,1\n")
    msg = error(p, target="class")
    assert "data.csv" in msg and '"class"' in msg
    assert '"a", "b", "label"' in msg
    msg = error(p, target=3)
    assert "data.csv" in msg and "3" in msg and '"a", "b", "label"' in msg
    assert '"a", "b", "label"' in error(p, target=-1)
    assert "target" in error(p, target=1.5)


def test_single_class(tmp_path):
    msg = error(write(tmp_path, "a,b,y\n1,2,yes\n3,4,yes\n5,6,yes\n"))
    assert "data.csv" in msg and "only one class" in msg and '"yes"' in msg and 'column 3 ("y")' in msg
    msg = error(write(tmp_path, "a,y\n1,1\n2,1\n", name="ones.csv"))
    assert "ones.csv" in msg and "only one class" in msg and '"1"' in msg


def test_binary_needs_two_classes(tmp_path):
    msg = error(write(tmp_path, "a,y\n1,a\n2,b\n3,c\n"), task="binary")
    assert "data.csv" in msg and "binary" in msg and "3" in msg and '"c"' in msg


def test_regression_needs_numbers(tmp_path):
    msg = error(write(tmp_path, "a,y\n1,2.5\n2,3\n3,big\n"), task="regression")
    assert msg.startswith('data.csv, line 4, column 2 ("y"): "big" is not a number')


def test_no_feature_columns(tmp_path):
    msg = error(write(tmp_path, "y\n0\n1\n"))
    assert "data.csv" in msg and "no feature columns" in msg and '"y"' in msg


def test_empty_column_name(tmp_path):
    msg = error(write(tmp_path, "a, ,y\n1,2,0\n3,4,1\n"))
    assert msg.startswith("data.csv, line 1, column 2: empty column name")


def test_duplicate_column_name(tmp_path):
    msg = error(write(tmp_path, "\nx,y,x,t\n1,2,3,0\n4,5,6,1\n"))
    assert msg.startswith('data.csv, line 2, column 3: column name "x" is used twice')
    assert "column 1" in msg


def test_not_utf8(tmp_path):
    p = write(tmp_path, "a,y\n1,0\n2,caf\xe9\n".encode("latin-1"))
    msg = error(p)
    assert "data.csv" in msg and "line 3" in msg and "UTF-8" in msg and "e9" in msg


def test_unknown_task(tmp_path):
    msg = error(write(tmp_path, "a,y\n1,0\n2,1\n"), task="clustering")
    assert "data.csv" in msg and "clustering" in msg


@pytest.mark.parametrize("value", [1.0, -0.5, "0.2", float("nan")])
def test_bad_test_fraction(tmp_path, value):
    msg = error(write(tmp_path, "a,y\n1,0\n2,1\n"), test_fraction=value)
    assert "data.csv" in msg and "test_fraction" in msg and repr(value) in msg


def test_test_fraction_leaving_no_training_rows(tmp_path):
    msg = error(write(tmp_path, "a,y\n1,0\n2,1\n"), test_fraction=0.9)
    assert "data.csv" in msg and "training" in msg


def test_bad_seed(tmp_path):
    msg = error(write(tmp_path, "a,y\n1,0\n2,1\n"), seed=-3)
    assert "seed" in msg and "-3" in msg


def test_malformed_quotes(tmp_path):
    # an unterminated quote swallows the rest of the file into one cell, which then cannot be a number
    msg = error(write(tmp_path, 'a,y\n1,0\n"2,1\n3,0\n'))
    assert "data.csv" in msg and "line 3" in msg


# -- big files: chunks, progress, cancel -----------------------------------------------------------------------------
def outcome(path, **kwargs):
    """What loading gives, comparable between two ways of reading: the dataset's contents or the message."""
    try:
        ds = load_csv(path, **kwargs)
    except DataError as e:
        return ("error", str(e))
    return ("ok", ds.task, ds.X.tolist(), ds.y.tolist(), ds.class_names, ds.target_names, ds.feature_names,
            None if ds.X_test is None else ds.X_test.tolist(), None if ds.y_test is None else ds.y_test.tolist())


CELLS = ["1", "2.5", " 3 ", "-4e2", "0", "1_000", "nan", "inf", "abc", "", " ", "1e999", '"5"', '"1,5"', '"a\nb"',
         "\u0663", "0x1", "\t2"]
LABELS = ["a", "b", " a ", "0", "1", "2.0", "3.5", "nan", "inf", "", '"a"', '"b,c"', "-0.0", "0.0"]


def random_csv(rng) -> str:
    """A small CSV file with a good chance of every kind of trouble: blank lines, ragged rows, quotes (also
    spanning lines), bad numbers, NaN, empty cells, other delimiters and line ends, a byte-order mark."""
    delimiter = rng.choice([",", ",", ";", "\t"])
    n_cols = rng.choice([2, 2, 3, 4])
    numeric = rng.random() < 0.7
    cells = ["1", "2.5", "-3", "4e1", "0.125"] if numeric else CELLS
    labels = rng.choice([["x", "y", "z"], ["0", "1", "2"], ["1.5", "2.25", "3", "7"], LABELS])
    lines = [rng.choice(["", "  "]) for _ in range(rng.randint(0, 2))]
    lines.append(delimiter.join(f"c{i}" for i in range(n_cols)))
    for _ in range(rng.randint(0, 14)):
        r = rng.random()
        if r < 0.05:
            lines.append(rng.choice(["", "  ", delimiter]))
        elif r < 0.08:
            lines.append(delimiter.join(rng.choice(cells) for _ in range(n_cols + rng.choice([-1, 1]))))
        else:
            lines.append(delimiter.join([rng.choice(cells) for _ in range(n_cols - 1)] + [rng.choice(labels)]))
    newline = rng.choice(["\n", "\r\n", "\r"])
    text = newline.join(lines) + (newline if rng.random() < 0.7 else "")
    return ("\ufeff" if rng.random() < 0.1 else "") + text


def test_chunked_reading_gives_what_reading_row_by_row_gives(tmp_path, monkeypatch):
    """The fast path (whole chunks split and converted at once) against the row-by-row checks the loader falls back
    on, for chunks of every size: the same data, or the same message, for every one of 400 troublesome files."""
    import random

    from nnstudio.data import csv_table

    rng = random.Random(8)
    path = tmp_path / "f.csv"
    kinds = set()
    for _ in range(400):
        path.write_text(random_csv(rng), encoding="utf-8", newline="")
        options = {}
        if rng.random() < 0.3:
            options["task"] = rng.choice(["regression", "binary", "multiclass", "classification"])
        if rng.random() < 0.2:
            options["test_fraction"] = 0.3
        with monkeypatch.context() as m:
            m.setattr(csv_table, "_fast_chunk", lambda *args: None)  # every chunk checked row by row
            m.setattr(csv_table, "CHUNK_CHARS", 1 << 20)
            expected = outcome(path, **options)
        kinds.add(expected[0])
        for chunk, rows in ((1 << 18, 5000), (7, 1), (40, 2)):
            monkeypatch.setattr(csv_table, "CHUNK_CHARS", chunk)
            monkeypatch.setattr(csv_table, "CHUNK_ROWS", rows)
            assert outcome(path, **options) == expected, (path.read_text(encoding="utf-8"), chunk)
    assert kinds == {"ok", "error"}


def test_a_plain_file_never_takes_the_slow_path(tmp_path, monkeypatch):
    from nnstudio.data import csv_table

    checked = []
    real = csv_table.exact_chunk
    monkeypatch.setattr(csv_table, "exact_chunk", lambda rows, *a: checked.append(1) or real(rows, *a))
    monkeypatch.setattr(csv_table, "CHUNK_CHARS", 1000)
    rows = [f"{i},{i * 0.5},{'ab'[i % 2]}\n" for i in range(3000)]
    ds = load_csv(write(tmp_path, "x,z,k\n" + "".join(rows)))
    assert ds.n_samples == 3000 and ds.class_names == ("a", "b") and not checked
    load_csv(write(tmp_path, "x,z,k\n" + "".join(rows[:1500]) + "\n  \n" + "".join(rows[1500:]), name="b.csv"))
    assert not checked  # blank lines are skipped on the fast path too
    # a bad cell sends its chunk, and only that one, the slow way (which finds it and says where)
    with pytest.raises(DataError, match="line 1502"):
        load_csv(write(tmp_path, "x,z,k\n" + "".join(rows[:1500]) + "1,x,a\n" + "".join(rows[1500:]), name="c.csv"))
    assert len(checked) == 1


def test_errors_deep_in_a_big_file_name_their_line(tmp_path):
    good = [f"{i},{i % 7 * 1.5},{'xyz'[i % 3]}" for i in range(60_000)]  # about 1 MB: several chunks
    for index, bad, expected in ((45_000, "12,oops,y", 'line 45002, column 2 ("z"): "oops" is not a number'),
                                 (30_000, "12,1", "line 30002: expected 3 cells (one per header column), found 2"),
                                 (59_999, "1,2,", 'line 60001, column 3 ("k"): empty target cell')):
        lines = ["x,z,k"] + good[:index] + [bad] + good[index + 1:]
        assert expected in error(write(tmp_path, "\n".join(lines) + "\n"))
    lines = ["x,z,k"] + good[:50_000] + ["1,2,nan"] + good[50_001:]
    assert 'line 50002, column 3 ("k"): "nan" is not a finite number' in error(write(tmp_path, "\n".join(lines)))


def test_quotes_after_the_first_chunk_are_read_as_csv(tmp_path, monkeypatch):
    from nnstudio.data import csv_table

    monkeypatch.setattr(csv_table, "CHUNK_CHARS", 200)
    rows = [f"{i},{i % 2}" for i in range(100)]
    rows[80] = '80,"a\nlabel over two lines"'
    rows[95] = 'zz,"1"'
    msg = error(write(tmp_path, "x,y\n" + "\n".join(rows) + "\n"))
    assert 'line 98, column 1 ("x"): "zz" is not a number' in msg  # the two-line label counts twice


def test_progress_rises_to_one_and_a_cancel_stops_the_load(tmp_path, monkeypatch):
    from nnstudio.data import csv_table
    from nnstudio.progress import Cancelled

    monkeypatch.setattr(csv_table, "CHUNK_CHARS", 2000)
    p = write(tmp_path, "x,y\n" + "".join(f"{i},{i % 2}\n" for i in range(5000)))
    seen = []
    ds = load_csv(p, progress=seen.append)
    assert ds.n_samples == 5000
    assert len(seen) > 10 and seen[0] == 0.0 and seen[-1] == 1.0 and seen == sorted(seen)

    def stop_halfway(fraction):
        if fraction > 0.5:
            raise Cancelled()

    with pytest.raises(Cancelled):
        load_csv(p, progress=stop_halfway)


def test_not_utf8_after_a_byte_order_mark_names_the_right_line_and_offset(tmp_path):
    raw = "\ufeffa,y\n1,0\n2,caf".encode("utf-8") + b"\xe9\n"
    msg = error(write(tmp_path, raw))
    offset = raw.index(b"\xe9")  # counted in the file, the byte-order mark included
    assert "line 3" in msg and "e9" in msg and f"offset {offset}" in msg
