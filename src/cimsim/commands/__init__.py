"""CLI subcommands that live in their own modules (registered in :mod:`cimsim.cli`)."""
