"""Files only this user may read: the SQLite store (password hashes, webhook tokens, order
data), its lock and the key file. Created 0600 in 0700 folders; an existing file that others
may read is made private when opened (with a warning naming its old mode), if it is ours."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import structlog

log = structlog.get_logger("handy_alegra.files")


def private_folder(folder: Path) -> None:
    """Create ``folder`` (and its parents) readable by this user only; leave an existing one."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)


def private_file(path: Path) -> None:
    """Create ``path`` empty with mode 0600 unless it exists; tighten it if it does."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        tighten(path)
    else:
        os.close(fd)


def tighten(path: Path) -> None:
    """Mode 0600 for a file of ours that others may read or write (nothing otherwise)."""
    try:
        info = path.stat()
    except FileNotFoundError:
        return
    if not info.st_mode & 0o077 or info.st_uid != os.geteuid():
        return
    try:
        path.chmod(0o600)
    except OSError:
        return
    log.warning("file_made_private", path=str(path), was=oct(stat.S_IMODE(info.st_mode)))
