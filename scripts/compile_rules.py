"""Regenerate rules/catalog.json from rules/*/*.yaml (tests/test_registry.py checks it is current).

The YAML files stay the source of truth; the JSON copy only spares every command importing PyYAML and parsing
them (lraudit falls back to the YAML for any file whose text differs from the compiled copy).
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from lraudit.registry import COMPILED_NAME, compile_rules  # noqa: E402

if __name__ == "__main__":
    (ROOT / "rules" / COMPILED_NAME).write_text(compile_rules(ROOT / "rules"), encoding="utf-8")
