"""``python -m snas`` runs the command-line interface."""

from snas.cli import main

raise SystemExit(main())
