"""``python -m cimsim``: the same command line as the ``cimsim`` script."""

from .cli import main

if __name__ == "__main__":
    main(prog_name="cimsim")
