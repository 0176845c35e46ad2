"""Files readers may open at any moment: written whole or not at all."""

from __future__ import annotations

import os
import uuid
from pathlib import Path


def write_text_atomic(target: Path, text: str) -> None:
    """Write `text` to a temporary file beside `target`, then rename it over `target`: a
    reader sees the old file or the new one, never half of one."""
    tmp = target.with_name(f".tmp-{target.name}.{uuid.uuid4().hex}")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
