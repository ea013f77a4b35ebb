"""``with`` support for objects that hold files or connections."""

from __future__ import annotations

from types import TracebackType
from typing import Self


class Closing:
    """Leaving a ``with`` block calls :meth:`close`, which subclasses override."""

    def close(self) -> None:
        """Release files or connections; the object must not be used afterwards."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


__all__ = ["Closing"]
