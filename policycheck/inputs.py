"""Bounded reads of input files: regular files only, never more than a cap.

Every input (policy, waiver, config, snapshot, baseline, ``diff`` report, plan) is read through
:func:`read_bounded`: ``stat`` first, so a FIFO, a device (``/dev/zero``) or a folder is one line
of error instead of a hang or exhausted memory, then at most ``cap + 1`` bytes, so a file past its
cap is refused without being read whole.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from .errors import PolicycheckError

__all__ = ["DEFAULT_MAX_INPUT_MB", "MB", "check_bounded", "read_bounded", "too_large"]

MB = 1024 * 1024
#: Cap on snapshots, baselines and ``diff`` reports unless ``--max-input-mb`` raises it.
DEFAULT_MAX_INPUT_MB = 512


def check_bounded(path: Path, error: type[PolicycheckError], *, cap: int, what: str = "file",
                  raise_flag: str = "") -> None:
    """Refuse ``path`` unless it is a regular file of at most ``cap`` bytes (``error`` naming the file), before
    it is opened: a FIFO or device never hangs the run."""
    source = str(path)
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise error(f"{what} not found", source=source) from None
    except OSError as exc:
        raise error(f"cannot read {what}: {exc.strerror or exc}", source=source) from None
    if stat.S_ISDIR(info.st_mode):
        raise error(f"cannot read {what}: is a folder", source=source)
    if not stat.S_ISREG(info.st_mode):
        raise error(f"cannot read {what}: not a regular file (a pipe, device or socket)", source=source)
    if info.st_size > cap:
        raise too_large(path, error, cap=cap, what=what, raise_flag=raise_flag)


def too_large(path: Path, error: type[PolicycheckError], *, cap: int, what: str = "file",
              raise_flag: str = "") -> PolicycheckError:
    """The error of a file past its cap."""
    limit = f"{cap // MB} MB" if cap >= MB else f"{cap} bytes"
    hint = f"; raise the limit with {raise_flag}" if raise_flag else ""
    return error(f"{what} is larger than {limit}{hint}", source=str(path))


def read_bounded(path: Path, error: type[PolicycheckError], *, cap: int, what: str = "file",
                 raise_flag: str = "") -> bytes:
    """The bytes of ``path``: a regular file of at most ``cap`` bytes; ``error`` naming the file otherwise.

    ``raise_flag`` names the option that raises the cap, for the message of a file past it.
    """
    check_bounded(path, error, cap=cap, what=what, raise_flag=raise_flag)
    try:
        with open(path, "rb") as handle:
            data = handle.read(cap + 1)
    except OSError as exc:
        raise error(f"cannot read {what}: {exc.strerror or exc}", source=str(path)) from None
    if len(data) > cap:  # grew while read, or a special file reporting size 0
        raise too_large(path, error, cap=cap, what=what, raise_flag=raise_flag)
    return data
