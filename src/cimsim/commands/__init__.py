"""CLI subcommands; cli.py registers them on the main group."""
