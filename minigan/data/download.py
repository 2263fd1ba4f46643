"""Downloading one file safely: from a list of mirrors, with bounded retries and a progress bar, atomically.

*Atomically* means a half-finished download never passes for a finished one. The bytes go to a
temporary file in the destination's folder; the file is checked (the caller's ``verify`` must
read it without error); only then is it renamed to its final name with ``os.replace``. A rename
within one folder is atomic, so the destination is either absent or complete -- even if the
process is killed midway or the connection drops. A failed attempt deletes its temporary file.

Each mirror gets ``ATTEMPTS_PER_MIRROR`` tries, ``RETRY_WAIT_S`` apart, every network operation
giving up after ``TIMEOUT_S`` seconds. An HTTP 4xx answer (404: the mirror does not have the
file) or a host name that does not exist moves on to the next mirror at once. Only the standard
library's ``urllib`` is used.
"""
from __future__ import annotations

import http.client
import os
import socket
import tempfile
import time
import urllib.error
import urllib.request

from tqdm import tqdm

TIMEOUT_S = 15.0
ATTEMPTS_PER_MIRROR = 2
RETRY_WAIT_S = 1.0
_CHUNK_BYTES = 1 << 16


class DownloadError(OSError):
    """No mirror gave a good copy of the file."""


def download(urls, destination: str, verify, progress: bool = True) -> str:
    """Fetch the first good copy among ``urls`` to ``destination``; return the URL that gave it.

    ``verify(path)`` must raise an exception if the file at ``path`` is not good (for IDX files:
    ``read_idx``). Raises ``DownloadError`` with a one-line reason when every try failed.
    """
    tries, last_error = 0, "no mirror given"
    for url in urls:
        for attempt in range(ATTEMPTS_PER_MIRROR):
            tries += 1
            try:
                _fetch_atomically(url, destination, verify, progress)
                return url
            except urllib.error.HTTPError as err:  # the server answered, with an error status
                last_error = f"{url}: HTTP {err.code} {err.reason}"
                if err.code < 500:
                    break  # the mirror does not have the file: asking again will not help
            except (OSError, ValueError, http.client.HTTPException) as err:  # unreachable, cut short, bad file
                last_error = f"{url}: {_reason(err)}"
                if _unknown_host(err):
                    break  # the name does not resolve (offline, or a typo): asking again will not help
            if attempt + 1 < ATTEMPTS_PER_MIRROR:
                time.sleep(RETRY_WAIT_S)
    name = os.path.basename(destination)
    raise DownloadError(f"could not download {name} ({tries} tries; last: {last_error})")


def _fetch_atomically(url: str, destination: str, verify, progress: bool) -> None:
    folder = os.path.dirname(os.path.abspath(destination))
    os.makedirs(folder, exist_ok=True)
    fd, partial = tempfile.mkstemp(dir=folder, prefix=os.path.basename(destination) + ".", suffix=".part")
    try:
        request = urllib.request.Request(url, headers={"User-Agent": "minigan"})
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
            expected = int(response.headers.get("Content-Length") or 0) or None
            received = 0
            with tqdm(total=expected, unit="B", unit_scale=True, desc=os.path.basename(destination),
                      disable=not progress) as bar:
                while chunk := response.read(_CHUNK_BYTES):
                    out.write(chunk)
                    received += len(chunk)
                    bar.update(len(chunk))
        if expected is not None and received != expected:
            raise ValueError(f"the connection closed after {received:,} of {expected:,} bytes")
        verify(partial)
        os.replace(partial, destination)
    finally:
        if os.path.exists(partial):
            os.remove(partial)


def _unknown_host(err: Exception) -> bool:
    """True when DNS answered that the mirror's host name does not exist (``EAI_NONAME``).

    A machine without network access gets this answer at once for every name. It is not a
    passing failure ("temporary failure in name resolution" is ``EAI_AGAIN``, which is retried),
    so waiting to ask again would only make every offline ``load_mnist`` call slower.
    """
    reason = err.reason if isinstance(err, urllib.error.URLError) else err
    return isinstance(reason, socket.gaierror) and reason.errno == socket.EAI_NONAME


def _reason(err: Exception) -> str:
    """The useful part of an error: urllib wraps the socket error we want in ``URLError.reason``."""
    reason = err.reason if isinstance(err, urllib.error.URLError) else err
    return str(reason) or type(reason).__name__
