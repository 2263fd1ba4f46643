"""MNIST and Fashion-MNIST: where to find them, in which order, and saying which one was used.

``load_mnist(split)`` and ``load_fashion_mnist(split)`` return ``(images, labels, source)``:
uint8 images of shape (N, 28, 28), int64 labels of shape (N,), and a one-line description of
where they came from, which is also printed (to stderr) unless ``progress=False``. They look:

1. in the ``data_dir`` argument and its subfolder named after the dataset (``mnist``,
   ``fashion-mnist``); without the argument, in ``$MINIGAN_DATA/<dataset>`` only (the variable
   serves every dataset, so its top folder cannot hold one dataset's files). The two files of a
   split have their standard names (``train-images-idx3-ubyte.gz``, ``train-labels-idx1-ubyte.gz``,
   ``t10k-images-idx3-ubyte.gz``, ``t10k-labels-idx1-ubyte.gz``), gzipped or not. A ``data_dir``
   without them, or a ``$MINIGAN_DATA`` that is not a folder, is an error, not a silent fallback:
   the user asked for *that* data;
2. in the cache, ``~/.cache/minigan/<dataset>`` (``$XDG_CACHE_HOME/minigan/<dataset>`` if set);
3. Fashion-MNIST only: in the folder Debian's package ``dataset-fashion-mnist`` installs,
   ``/usr/share/datasets/fashion-mnist`` -- the full dataset, so it comes before a download;
4. on the public mirrors (``download=True``), downloading into the cache (see ``download.py``);
5. MNIST only, when all else failed: the 5,000 real digits shipped inside minigan,
   split 4,500 train / 500 test (see ``offline_digits.py``). Training then always works offline.

The mirrors are ``MNIST_MIRRORS`` / ``FASHION_MNIST_MIRRORS`` below, replaced by the
``mirrors`` argument or by the ``MINIGAN_MIRRORS`` environment variable (base URLs separated by
commas or spaces; it applies to both datasets) -- that is how the tests use a fake local mirror.
When nothing works, ``DataUnavailableError`` says in one line what was tried and what to do.
"""
from __future__ import annotations

import os
import sys

from .download import DownloadError, download as download_file
from .idx import read_idx, read_images_and_labels
from .offline_digits import TEST_PER_CLASS, read_offline_digits

FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}
MNIST_MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
)
FASHION_MNIST_MIRRORS = ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",)
FASHION_MNIST_SYSTEM_DIRS = ("/usr/share/datasets/fashion-mnist",)


class DataUnavailableError(RuntimeError):
    """The dataset was found nowhere and could not be downloaded."""


def load_mnist(split="train", data_dir=None, download=True, progress=True, mirrors=None):
    """MNIST handwritten digits: ``(images uint8 (N, 28, 28), labels int64 (N,), source)``.

    60,000 train / 10,000 test images. Offline, without a copy on disk, it falls back to the
    5,000 digits shipped with minigan: 4,500 for ``split="train"``, the other 500 for ``split="test"``.
    """
    return _load("mnist", "MNIST", split, data_dir, download, progress,
                 mirrors or _env_mirrors() or MNIST_MIRRORS, system_dirs=(), offline=_offline_digits)


def load_fashion_mnist(split="train", data_dir=None, download=True, progress=True, mirrors=None):
    """Fashion-MNIST clothing images (Zalando), same format and sizes as MNIST; no offline fallback."""
    return _load("fashion-mnist", "Fashion-MNIST", split, data_dir, download, progress,
                 mirrors or _env_mirrors() or FASHION_MNIST_MIRRORS, FASHION_MNIST_SYSTEM_DIRS, offline=None)


def cache_dir(dataset: str) -> str:
    """``~/.cache/minigan/<dataset>``, or under ``$XDG_CACHE_HOME`` when that is set."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "minigan", dataset)


def _load(dataset, title, split, data_dir, download, progress, mirrors, system_dirs, offline):
    if split not in FILES:
        raise ValueError(f"{title}: split must be 'train' or 'test', got {split!r}")
    names = FILES[split]
    cache = cache_dir(dataset)
    named = _user_folders(dataset, data_dir)
    for folder in named:  # step 1: a folder the user named must hold the data -- never a silent fallback
        paths = _find_files(folder, names)
        if paths:
            images, labels = read_images_and_labels(*paths)
            return _found(images, labels, f"{title} {split}: {len(images):,} images from {_short(folder)}", progress)
    if data_dir is not None:
        where = " or ".join(_short(folder) for folder in named)
        raise DataUnavailableError(f"{title} {split}: --data-dir {data_dir} holds no {title} files: expected "
                                   f"{', '.join(names)} (gzipped or not) in {where}")
    shared = os.environ.get("MINIGAN_DATA")
    if shared and not os.path.isdir(shared):
        raise DataUnavailableError(f"{title} {split}: $MINIGAN_DATA is {shared}, which is not a folder")

    folders = [cache, *system_dirs]
    for folder in folders:  # steps 2-3
        paths = _find_files(folder, names)
        if paths:
            images, labels = read_images_and_labels(*paths)
            return _found(images, labels, f"{title} {split}: {len(images):,} images from {_short(folder)}", progress)

    failure = "download=False"
    if download:  # step 4
        try:
            for name in names:
                if not os.path.isfile(os.path.join(cache, name)):
                    download_file([base.rstrip("/") + "/" + name for base in mirrors],
                                  os.path.join(cache, name), verify=read_idx, progress=progress)
            images, labels = read_images_and_labels(*(os.path.join(cache, name) for name in names))
            source = f"{title} {split}: {len(images):,} images downloaded to {_short(cache)}"
            return _found(images, labels, source, progress)
        except DownloadError as err:
            failure = f"download failed: {err}"
            _tell(f"{title}: {failure} (offline?)", progress)

    if offline:  # step 5
        return _found(*offline(split), progress)
    looked = ", ".join(_short(folder) for folder in folders)
    hint = " or install Debian's dataset-fashion-mnist" if dataset == "fashion-mnist" else ""
    raise DataUnavailableError(f"{title} {split}: not in {looked}; {failure}. "
                               f"Put the files in $MINIGAN_DATA, connect to the internet{hint}.")


def _offline_digits(split):
    images, labels = read_offline_digits(split)
    part = f"the last {TEST_PER_CLASS}" if split == "test" else f"all but the last {TEST_PER_CLASS}"
    source = f"MNIST {split}: {len(images):,} offline digits shipped with minigan ({part} of each class)"
    return images, labels, source


def _found(images, labels, source, progress):
    _tell(source, progress)
    return images, labels, source


def _tell(line, progress):
    if progress:
        print(line, file=sys.stderr)


def _user_folders(dataset, data_dir):
    if data_dir is not None:
        return [os.fspath(data_dir), os.path.join(data_dir, dataset)]
    shared = os.environ.get("MINIGAN_DATA")
    return [os.path.join(shared, dataset)] if shared else []


def _find_files(folder, names):
    """The paths of all ``names`` in ``folder`` (each gzipped or not), or None if one is missing."""
    paths = []
    for name in names:
        candidates = [os.path.join(folder, name), os.path.join(folder, name.removesuffix(".gz"))]
        existing = [path for path in candidates if os.path.isfile(path)]
        if not existing:
            return None
        paths.append(existing[0])
    return paths


def _env_mirrors():
    return tuple(os.environ.get("MINIGAN_MIRRORS", "").replace(",", " ").split())


def _short(path):
    """``path`` with the home folder written as ``~``, as a person would type it."""
    home = os.path.expanduser("~")
    return "~" + path[len(home):] if path == home or path.startswith(home + os.sep) else path
