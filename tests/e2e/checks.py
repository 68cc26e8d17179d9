"""What the browser tests check on every page they visit, besides their own assertions:

- **axe-core** (node_modules/axe-core, from npm at build time, never served to users): no
  violation of impact "serious" or "critical". Injected with `page.evaluate`, which the
  DevTools protocol runs outside the page's Content-Security-Policy, so the policy stays on.
- **the Nu HTML Checker** (node_modules/vnu-jar, run with Java): the HTML as the server sent
  it (not the DOM after scripts ran), 0 errors. One Java run checks a whole batch of pages.

`scripts/services.sh` installs Node.js and Java when missing; `make deps` runs `npm ci`."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[2]
AXE_SCRIPT = ROOT / "node_modules" / "axe-core" / "axe.min.js"
VNU_JAR = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
BLOCKING_IMPACTS = ("serious", "critical")

_RUN_AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 5).map(n => n.target.join(" ") + " — " + (n.failureSummary || "")),
  }));
}"""


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """The serious and critical accessibility violations of the page as it is now."""
    assert AXE_SCRIPT.exists(), "axe-core is missing: run `npm ci` (make deps)"
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE_SCRIPT.read_text())
    return [v for v in page.evaluate(_RUN_AXE) if v["impact"] in BLOCKING_IMPACTS]


def vnu_errors(documents: dict[str, str]) -> dict[str, list[str]]:
    """The Nu checker's errors of each document (name -> HTML), by name; names with none
    are left out."""
    assert VNU_JAR.exists(), "vnu-jar is missing: run `npm ci` (make deps)"
    java = shutil.which("java")
    assert java, "Java is missing: run `bash scripts/services.sh`"
    with tempfile.TemporaryDirectory() as folder:
        paths = {}
        for index, (name, html) in enumerate(documents.items()):
            path = Path(folder) / f"page{index:03d}.html"
            path.write_text(html, encoding="utf-8")
            paths[str(path.resolve())] = name
        result = subprocess.run(
            [java, "-jar", str(VNU_JAR), "--format", "json", "--errors-only", "--stdout"]
            + [str(Path(folder) / f"page{i:03d}.html") for i in range(len(documents))],
            capture_output=True,
            text=True,
            timeout=300,
        )
    messages = json.loads(result.stdout or "{}").get("messages", [])
    errors: dict[str, list[str]] = {}
    for message in messages:
        if message.get("type") != "error":
            continue
        url = message.get("url", "")
        # The checker writes file:/tmp/…, not file:///tmp/…: compare the paths.
        name = paths.get(str(Path(urlparse(url).path).resolve()), url or "?")
        where = f"line {message.get('lastLine', '?')}"
        extract = message.get("extract", "").strip().replace("\n", " ")[:120]
        errors.setdefault(name, []).append(f"{where}: {message['message']} [{extract}]")
    return errors
