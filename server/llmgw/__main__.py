"""``python -m llmgw`` runs the CLI."""

from llmgw.cli.main import main

main()
