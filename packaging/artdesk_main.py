"""The bundle's entry point: the same as the `artdesk` command a pip install makes."""

import sys

from artdesk.cli import main

if __name__ == "__main__":
    sys.exit(main())
