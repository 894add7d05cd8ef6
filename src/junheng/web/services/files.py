"""Files people attach as proof (admissions proofs, supervision evidence): one check for all.

The bytes decide the type (PDF, PNG or JPEG) and the name's extension must agree, so a page or
a script renamed to ``.pdf`` is refused; size and emptiness are bounded; the stored name keeps
only letters, digits, Chinese characters, dots and hyphens. The files themselves are kept in
the database, never under the web root, and served as downloads by routes that check who asks.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

SIGNATURES = ((b"%PDF-", "application/pdf", (".pdf",)),
              (b"\x89PNG\r\n\x1a\n", "image/png", (".png",)),
              (b"\xff\xd8\xff", "image/jpeg", (".jpg", ".jpeg")))


class FileRefused(ValueError):
    """A file that may not be stored, with the reason in Chinese and English."""

    def __init__(self, zh: str, en: str) -> None:
        super().__init__(zh)
        self.zh = zh
        self.en = en


@dataclass(frozen=True)
class CheckedFile:
    filename: str        # safe to store and show
    content_type: str    # from the bytes
    size: int
    sha256: str
    content: bytes


def sniff(content: bytes, filename: str) -> str:
    """The content type, when the bytes are a PDF, PNG or JPEG and the name agrees."""
    lower = filename.lower()
    for magic, ctype, suffixes in SIGNATURES:
        if content.startswith(magic):
            if not lower.endswith(suffixes):
                break
            return ctype
    raise FileRefused("只能上传 PDF、PNG 或 JPEG 文件（文件内容须与扩展名一致）",
                      "only PDF, PNG or JPEG files whose content matches the extension")


def check_file(content: bytes, filename: str, max_bytes: int) -> CheckedFile:
    """``content`` as it may be stored, or :class:`FileRefused`. Read at most ``max_bytes + 1``
    bytes from the upload so that an oversized file is recognised without reading it all."""
    if len(content) > max_bytes:
        mb = max_bytes / (1024 * 1024)
        raise FileRefused(f"文件不能超过{mb:g} MB", f"a file may be at most {mb:g} MB")
    if not content:
        raise FileRefused("文件是空的", "the file is empty")
    ctype = sniff(content, filename)
    safe = re.sub(r"[^\w.\-\u4e00-\u9fff]", "_", filename)[-100:] or "file"
    return CheckedFile(safe, ctype, len(content), hashlib.sha256(content).hexdigest(), content)
