"""``python -m nnscratch`` runs the command-line tool."""

from nnscratch.cli import run

run()
