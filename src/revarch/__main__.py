"""Allow ``python -m revarch``."""

from revarch.cli.main import run

run()
