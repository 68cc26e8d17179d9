"""The production deployment steps of README.md run as written."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STATIC = ROOT / "static"


def test_collectstatic_with_production_settings_hashes_every_static_file(tmp_path):
    """The manifest storage follows each file's references (url(), sourceMappingURL) and
    stops at a missing one, e.g. a source map a vendored file names but nobody vendored."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": "x" * 30 + "-production-secret-" + "y" * 30,
        "ALLOWED_HOSTS": "tsunagu.example.jp",
        "STATIC_ROOT": str(tmp_path),
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr

    manifest = json.loads((tmp_path / "staticfiles.json").read_text())["paths"]
    ours = {path.relative_to(STATIC).as_posix() for path in STATIC.rglob("*") if path.is_file()}
    assert {
        "vendor/bootstrap/bootstrap.min.css",
        "vendor/bootstrap/bootstrap.bundle.min.js",
        "vendor/htmx/htmx.min.js",
        "vendor/chartjs/chart.umd.min.js",
        "vendor/chartjs/chart.umd.min.js.map",
    } <= ours
    assert ours <= manifest.keys()
    for name in ours:
        assert (tmp_path / manifest[name]).is_file(), name
    # The hashed script points at the hashed map, so a browser's developer tools find it.
    chart = (tmp_path / manifest["vendor/chartjs/chart.umd.min.js"]).read_text()
    hashed_map = Path(manifest["vendor/chartjs/chart.umd.min.js.map"]).name
    assert chart.rstrip().endswith(f"//# sourceMappingURL={hashed_map}")
