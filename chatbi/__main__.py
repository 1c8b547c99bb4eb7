"""``python -m chatbi``: the same command line as the ``chatbi`` script."""

from __future__ import annotations

from .cli import main

raise SystemExit(main())
