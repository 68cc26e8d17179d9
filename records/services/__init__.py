"""Writes of the records app, one module per concern; the public names re-exported here."""

from records.services.imports import (
    ImportRefused,
    check_columns,
    import_cancel,
    import_confirm,
    import_files_purge,
    import_read_as,
    import_recheck,
    import_run,
    import_set_mapping,
    import_start,
    import_upload,
    imports_resume_stalled,
)

__all__ = [
    "ImportRefused",
    "check_columns",
    "import_cancel",
    "import_confirm",
    "import_files_purge",
    "import_read_as",
    "import_recheck",
    "import_run",
    "import_set_mapping",
    "import_start",
    "import_upload",
    "imports_resume_stalled",
]
