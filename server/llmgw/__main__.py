"""``python -m llmgw`` runs the CLI."""

from llmgw.cli import app

app()
