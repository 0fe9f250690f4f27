"""`python -m govhub` runs the command-line interface."""

from govhub.cli.main import main

main()
