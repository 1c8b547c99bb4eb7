"""Sample warehouses and their semantic models."""

from __future__ import annotations

from pathlib import Path

__all__ = ["TELECOM_MODEL", "TELECOM_DIR"]

TELECOM_DIR = Path(__file__).parent / "telecom"
#: the telecom operator semantic model (YAML)
TELECOM_MODEL = TELECOM_DIR / "model.yaml"
