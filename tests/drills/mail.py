"""E-mail backends for the drills' disk and mail-server faults."""

from __future__ import annotations

from django.core.mail.backends.filebased import EmailBackend


class DiskFullBackend(EmailBackend):
    """Django's file backend, its file on a full disk: /dev/full, where every write fails
    with the kernel's own ENOSPC ("No space left on device").

    Why /dev/full rather than a tiny tmpfs filled up: mounting needs root and a mount left
    behind by a crashed test outlives it; /dev/full needs no privilege, leaves nothing behind,
    and the error is the real one a full disk gives, raised by the real write path (open,
    write, flush) of the real backend, not a stand-in that raises OSError itself."""

    def _get_filename(self) -> str:
        return "/dev/full"
