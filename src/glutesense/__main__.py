"""``python -m glutesense``: the same command-line interface as the ``glutesense`` script."""

from __future__ import annotations

__all__: list[str] = []

if __name__ == "__main__":
    from .cli import main

    main()
