"""IDX files: read back what was written (raw and gzipped), and refuse anything damaged or foreign by name."""

import gzip
import zipfile

import numpy as np
import pytest

from nnstudio.data import DataError
from nnstudio.data.idx import idx_bytes, read_idx, read_images, read_labels, read_npz, read_pair, write_idx
from nnstudio.progress import Cancelled


@pytest.fixture
def digits():
    rng = np.random.default_rng(7)
    return rng.integers(0, 256, (50, 12, 10), dtype=np.uint8), rng.integers(0, 3, 50).astype(np.uint8)


@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_round_trip(tmp_path, digits, suffix):
    images, labels = digits
    write_idx(tmp_path / f"img{suffix}", images)
    write_idx(tmp_path / f"lab{suffix}", labels)
    assert (tmp_path / f"img{suffix}").read_bytes()[:2] == (b"\x1f\x8b" if suffix else b"\0\0")
    pair = read_pair(tmp_path / f"img{suffix}", tmp_path / f"lab{suffix}")
    assert pair.images.dtype == np.uint8 and pair.images.shape == (50, 12, 10)
    np.testing.assert_array_equal(pair.images, images)
    np.testing.assert_array_equal(pair.labels, labels)


def test_header_is_mnists(digits):
    images, labels = digits
    assert idx_bytes(images)[:16] == bytes.fromhex("00000803") + (50).to_bytes(4, "big") + (12).to_bytes(4, "big") \
        + (10).to_bytes(4, "big")
    assert idx_bytes(labels)[:8] == bytes.fromhex("00000801") + (50).to_bytes(4, "big")


def test_gzip_is_told_by_its_bytes_not_its_name(tmp_path, digits):
    images, _ = digits
    write_idx(tmp_path / "compressed-but-plain-name", images, compress=True)
    write_idx(tmp_path / "plain-but-named.gz", images, compress=False)
    np.testing.assert_array_equal(read_images(tmp_path / "compressed-but-plain-name"), images)
    np.testing.assert_array_equal(read_images(tmp_path / "plain-but-named.gz"), images)


def test_gzip_output_is_deterministic(tmp_path, digits):
    write_idx(tmp_path / "a.gz", digits[0])
    write_idx(tmp_path / "b.gz", digits[0])
    assert (tmp_path / "a.gz").read_bytes() == (tmp_path / "b.gz").read_bytes()


def test_a_multi_member_gzip_file_reads_whole(tmp_path, digits):
    data = idx_bytes(digits[0])
    (tmp_path / "two.gz").write_bytes(gzip.compress(data[:700]) + gzip.compress(data[700:]))
    np.testing.assert_array_equal(read_images(tmp_path / "two.gz"), digits[0])


@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_a_truncated_file_is_refused_with_the_counts(tmp_path, digits, suffix):
    data = idx_bytes(digits[0])[:16 + 1000]
    name = f"train-images-idx3-ubyte{suffix}"
    (tmp_path / name).write_bytes(gzip.compress(data) if suffix else data)
    with pytest.raises(DataError) as e:
        read_images(tmp_path / name)
    assert str(e.value) == f"{name}: 6,000 bytes of pixels expected, 1,000 found (the file is cut short)"


def test_a_gzip_stream_cut_short_is_refused(tmp_path, digits):
    whole = gzip.compress(idx_bytes(digits[0]))
    (tmp_path / "cut.gz").write_bytes(whole[:len(whole) // 2])
    with pytest.raises(DataError, match=r"^cut\.gz: 6,000 bytes of pixels expected, [\d,]+ found \(the file is cut "):
        read_images(tmp_path / "cut.gz")


def test_a_header_cut_short(tmp_path):
    (tmp_path / "h").write_bytes(bytes.fromhex("00000803") + (5).to_bytes(4, "big"))
    with pytest.raises(DataError, match=r"^h: the header is cut short \(8 of 16 bytes\)"):
        read_images(tmp_path / "h")


def test_extra_bytes_are_refused(tmp_path, digits):
    (tmp_path / "long").write_bytes(idx_bytes(digits[1]) + b"\0\0\0")
    with pytest.raises(DataError, match=r"^long: 3 bytes more than the 50 bytes of labels its header declares"):
        read_labels(tmp_path / "long")


@pytest.mark.parametrize("content, shown", [
    (b"\x89PNG\r\n\x1a\n....", "a file starting with 89 50 4e 47"),
    (b"label,x1\n", "a file starting with 6c 61 62 65"),
    (b"", "a file starting with nothing"),
    (gzip.compress(b"hello world", mtime=0), "a gzipped file starting with 68 65 6c 6c"),
], ids=["png", "csv", "empty", "gzipped-text"])
def test_a_foreign_file_is_refused(tmp_path, content, shown):
    (tmp_path / "x").write_bytes(content)
    with pytest.raises(DataError) as e:
        read_images(tmp_path / "x")
    assert str(e.value).startswith(f"x: not an IDX file ({shown}")


def test_another_value_type_is_refused(tmp_path):
    floats = bytes.fromhex("00000d01") + (2).to_bytes(4, "big") + np.array([1, 2], ">f4").tobytes()
    (tmp_path / "f").write_bytes(floats)
    with pytest.raises(DataError) as e:
        read_labels(tmp_path / "f")
    assert str(e.value) == ("f: holds 32-bit floats (magic number 0x00000d01, type 0x0d); only unsigned bytes "
                            "(type 0x08) are read")


def test_labels_given_as_images_are_refused_by_magic_number(tmp_path, digits):
    write_idx(tmp_path / "train-labels-idx1-ubyte", digits[1])
    with pytest.raises(DataError) as e:
        read_images(tmp_path / "train-labels-idx1-ubyte")
    assert str(e.value) == ("train-labels-idx1-ubyte: magic number 0x00000801 (1 dimension), but an image file has "
                            "0x00000803 (3 dimensions)")


def test_a_mismatched_pair_is_refused_naming_both_files(tmp_path, digits):
    write_idx(tmp_path / "train-images-idx3-ubyte.gz", digits[0])
    write_idx(tmp_path / "t10k-labels-idx1-ubyte.gz", digits[1][:40])
    with pytest.raises(DataError) as e:
        read_pair(tmp_path / "train-images-idx3-ubyte.gz", tmp_path / "t10k-labels-idx1-ubyte.gz")
    assert str(e.value) == ("train-images-idx3-ubyte.gz holds 50 images but t10k-labels-idx1-ubyte.gz holds 40 "
                            "labels: they are not a pair")


def test_a_damaged_gzip_stream_is_refused(tmp_path, digits):
    data = bytearray(gzip.compress(idx_bytes(digits[0]), mtime=0))
    data[len(data) // 2] ^= 0xFF
    data[len(data) // 2 + 1] ^= 0xFF
    (tmp_path / "bad.gz").write_bytes(bytes(data))
    with pytest.raises(DataError, match=r"^bad\.gz: the gzip data is damaged \(CRC check failed"):
        read_images(tmp_path / "bad.gz")


def test_an_absurd_header_is_refused_before_allocating(tmp_path):
    header = bytes.fromhex("00000803") + b"".join((100_000).to_bytes(4, "big") for _ in range(3))
    (tmp_path / "huge").write_bytes(header)
    with pytest.raises(DataError, match=r"^huge: its header declares 100,000 x 100,000 x 100,000 = "):
        read_images(tmp_path / "huge")


def test_missing_files_and_folders(tmp_path):
    with pytest.raises(DataError, match=r"^nope: no such file"):
        read_idx(tmp_path / "nope")
    with pytest.raises(DataError, match=r"is a folder, not an IDX file"):
        read_idx(tmp_path)


def test_progress_is_reported_and_can_cancel(tmp_path, digits):
    write_idx(tmp_path / "img.gz", digits[0])
    seen = []
    read_images(tmp_path / "img.gz", seen.append)
    assert seen[0] == 0.0 and seen[-1] == 1.0 and seen == sorted(seen)

    def stop(fraction):
        if fraction > 0:
            raise Cancelled()

    with pytest.raises(Cancelled):
        read_images(tmp_path / "img.gz", stop)


# -- Keras's mnist.npz ------------------------------------------------------------------------------------------------
def test_npz_round_trip(tmp_path, digits):
    images, labels = digits
    np.savez(tmp_path / "mnist.npz", x_train=images[:40], y_train=labels[:40], x_test=images[40:],
             y_test=labels[40:])
    train, test = read_npz(tmp_path / "mnist.npz")
    np.testing.assert_array_equal(train.images, images[:40])
    np.testing.assert_array_equal(test.labels, labels[40:])


def test_npz_refuses_pickles_missing_arrays_and_other_files(tmp_path, digits):
    images, labels = digits
    objects = np.array([{"a": 1}] * 40, dtype=object)
    np.savez(tmp_path / "pickled.npz", x_train=images[:40], y_train=objects, x_test=images[40:], y_test=labels[40:])
    with pytest.raises(DataError, match=r"^pickled\.npz: cannot be read as arrays"):
        read_npz(tmp_path / "pickled.npz")
    np.savez(tmp_path / "part.npz", x_train=images, y_train=labels)
    with pytest.raises(DataError, match=r"^part\.npz: no array x_test, y_test \(it holds x_train, y_train;"):
        read_npz(tmp_path / "part.npz")
    np.savez(tmp_path / "odd.npz", x_train=images, y_train=labels[:3], x_test=images, y_test=labels)
    with pytest.raises(DataError, match=r"^odd\.npz: x_train holds 50 images but y_train 3 labels"):
        read_npz(tmp_path / "odd.npz")
    np.savez(tmp_path / "floats.npz", x_train=images / 255, y_train=labels, x_test=images, y_test=labels)
    with pytest.raises(DataError, match=r"^floats\.npz: x_train must hold whole numbers from 0 to 255"):
        read_npz(tmp_path / "floats.npz")
    (tmp_path / "text.npz").write_text("not a zip")
    with pytest.raises(DataError, match=r"^text\.npz: not an \.npz file"):
        read_npz(tmp_path / "text.npz")
    with zipfile.ZipFile(tmp_path / "junk.npz", "w") as z:
        for key in ("x_train", "y_train", "x_test", "y_test"):
            z.writestr(f"{key}.npy", b"garbage")
    with pytest.raises(DataError, match=r"^junk\.npz: x_train is not a numpy array"):
        read_npz(tmp_path / "junk.npz")
    np.save(tmp_path / "cut.npy", images)
    with zipfile.ZipFile(tmp_path / "cut.npz", "w") as z:
        for key in ("x_train", "y_train", "x_test", "y_test"):
            z.writestr(f"{key}.npy", (tmp_path / "cut.npy").read_bytes()[:300])
    with pytest.raises(DataError, match=r"^cut\.npz: cannot be read as arrays"):
        read_npz(tmp_path / "cut.npz")
