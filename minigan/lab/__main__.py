"""``python -m minigan.lab``: watch and steer a 2-D GAN as it trains, in the browser.

    python -m minigan.lab                  # http://127.0.0.1:8765/ -- open it in a browser
    python -m minigan.lab --port 0 --open  # any free port, and open the browser

It serves this machine only (127.0.0.1) unless ``--host`` says otherwise, opens no browser unless
``--open``, and stops cleanly on Ctrl-C.
"""
from __future__ import annotations

import argparse
import errno
import os
import sys
import webbrowser

from ..cli import DefaultsHelpFormatter, OneLineErrorParser
from .api import LabAPI
from .server import LabServer


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineErrorParser(
        prog="python -m minigan.lab", description="Watch and steer a 2-D GAN as it trains, in the browser.",
        formatter_class=DefaultsHelpFormatter)
    parser.add_argument("--port", type=int, default=8765, help="port to listen on (0 = any free one)")
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on; another than 127.0.0.1 lets other machines in")
    parser.add_argument("--open", action="store_true", help="open the page in the default browser")
    parser.add_argument("--out", default=os.path.join("runs", "lab"), help="where the Export button saves")
    parser.add_argument("--verbose", action="store_true", help="log every request on stderr")
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not 0 <= args.port <= 65535:
        parser.error(f"--port must be from 0 to 65535, not {args.port}")
    try:
        server = LabServer(LabAPI(out=args.out), host=args.host, port=args.port, verbose=args.verbose)
    except OSError as error:
        busy = error.errno == errno.EADDRINUSE
        print(f"error: cannot listen on {args.host}:{args.port}: "
              + ("the port is in use (pick another with --port, or --port 0 for any free one)" if busy
                 else error.strerror or str(error)), file=sys.stderr)
        return 1
    if args.host not in ("127.0.0.1", "localhost"):
        print(f"warning: listening on {args.host}: other machines can reach the lab", file=sys.stderr)
    print(f"minigan lab: {server.url}  (Ctrl-C stops it)", flush=True)
    if args.open:
        webbrowser.open(server.url)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("\nminigan lab: stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
