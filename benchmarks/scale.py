"""Scale mode: placeholder until the store tables land."""

from __future__ import annotations

import argparse
from typing import Any


def add_parser(commands: Any) -> None:
    """Register the `scale` command."""
    parser: argparse.ArgumentParser = commands.add_parser("scale", help="100,000 vs 1,000")
    parser.set_defaults(handler=lambda args: 2)
