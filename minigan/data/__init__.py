"""Datasets: MNIST and Fashion-MNIST (found, downloaded, or offline), toy distributions, and a batch loader.

    images, labels, source = minigan.data.load_mnist("train")     # uint8 (N, 28, 28), int64 (N,)
    loader = minigan.data.BatchLoader(images, labels, batch_size=64, seed=0)

One file per job: ``idx.py`` reads the IDX file format, ``download.py`` downloads a file safely,
``offline_digits.py`` reads the MNIST digits shipped for offline use, ``sources.py`` decides where to look,
``loader.py`` makes batches of Tensors, ``toy.py`` has the 1-D and 2-D test distributions, ``translation.py`` makes
image-to-image domains from digits (grey-scale erosion and dilation: thin and thick strokes, unpaired).
"""
from .download import DownloadError  # noqa: F401
from .idx import IDXError, read_idx, read_images_and_labels, write_idx  # noqa: F401
from .loader import BatchLoader  # noqa: F401
from .offline_digits import ChecksumError  # noqa: F401
from .sources import DataUnavailableError, cache_dir, load_fashion_mnist, load_mnist  # noqa: F401
from .toy import (  # noqa: F401
    ModeCoverage, count_covered_modes, gaussian_mixture_1d, grid, grid_centres, mixture, ring, ring_centres, spiral,
    two_moons,
)
from .translation import StrokeDomains, dilate, erode, stroke_domains  # noqa: F401
