"""Subcommands of ``glashatai`` beyond run/check/db: one module per feature, each with
``register(subparsers)``."""
