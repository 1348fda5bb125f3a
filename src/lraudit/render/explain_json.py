"""``lraudit explain --format json``: the DESIGN.md contract, deterministic."""

from __future__ import annotations

import json
from typing import Any

from ..results import FileResult


def explain_document(results: list[FileResult], errors: list[tuple[str, str]], version: str) -> dict[str, Any]:
    files = []
    for r in sorted(results, key=lambda x: x.path):
        links = r.details.get("config_links")
        unread = (r.details.get("config") or {}).get("unread_bases")  # schedule from an installed package's configs
        if r.skipped or (not r.error and not r.optimizers and not r.schedulers and not links and not unread):
            continue
        entry = {"path": r.path, "error": r.error, "optimizers": r.optimizers, "schedulers": r.schedulers}
        if "config" in r.details:  # a config file (configs/): its family, the files merged, its training loop
            entry["config"] = r.details["config"]
        if links:  # a script that loads config files
            entry["config_links"] = links
        files.append(entry)
    for path, msg in errors:
        files.append({"path": path, "error": msg, "optimizers": [], "schedulers": []})
    files.sort(key=lambda f: f["path"])
    return {"lraudit_version": version, "files": files}


def render_explain_json(results: list[FileResult], errors: list[tuple[str, str]], version: str) -> str:
    return json.dumps(explain_document(results, errors, version), indent=2, allow_nan=False) + "\n"
