"""bench/pages.py's results file: a run of some pages keeps the other pages' rows."""

from __future__ import annotations

from pathlib import Path

from bench.pages import Measured, kept_rows, table, write_section


def test_a_run_of_one_page_keeps_the_other_rows_marked(tmp_path: Path) -> None:
    out = tmp_path / "results.md"
    both = [
        Measured("case list: first page", 8, [25.0], [20.0], [1.0]),
        Measured("manager dashboard", 8, [240.0], [100.0], [130.0]),
    ]
    write_section(out, "pages:100", "\n".join(table(both)))
    dashboard = [Measured("manager dashboard", 8, [180.0], [60.0], [120.0])]
    kept = kept_rows(out, "pages:100", dashboard)
    assert len(kept) == 1
    assert kept[0].startswith("| case list: first page (earlier run) | 8 | 25.0 ms")
    write_section(out, "pages:100", "\n".join([*table(dashboard), *kept]))
    text = out.read_text()
    assert "| manager dashboard | 8 | 180.0 ms" in text and "240.0 ms" not in text
    # Kept once more by the next partial run, not marked twice.
    again = kept_rows(out, "pages:100", dashboard)
    assert again == kept
    assert kept_rows(tmp_path / "missing.md", "pages:100", dashboard) == []
