"""Enumerations of the public API."""

from __future__ import annotations

import enum


class AccessMode(str, enum.Enum):
    """Who may mount a volume, and how (Kubernetes access modes).

    Members are strings, so ``vol.access_mode == "RWX"`` holds and anywhere an
    access mode is accepted, ``"RWX"`` and ``AccessMode.RWX`` are the same.
    """

    #: ReadWriteOnce: one sandbox at a time, or several sharing a ``group``.
    RWO = "RWO"
    #: ReadOnlyMany: any number of sandboxes, every mount read-only.
    ROX = "ROX"
    #: ReadWriteMany: any number of sandboxes, read-write.
    RWX = "RWX"

    def __str__(self) -> str:
        return str(self.value)

    def __format__(self, spec: str) -> str:
        return format(str(self.value), spec)
