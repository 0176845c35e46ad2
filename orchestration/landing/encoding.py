"""The first pass over a landing file's bytes: sha256, size, byte-order mark, encoding (the
contract's, or UTF-16), line breaks and quotes; then the decoding of the lines of a file
that does not decode cleanly."""

from __future__ import annotations

import codecs
import hashlib
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from orchestration.landing import native_csv
from orchestration.landing.discovery import MAGIC

BOM = codecs.BOM_UTF8
UTF8_BOM_ENCODING = "utf-8-sig"  # recorded in the manifest for UTF-8 files with a BOM
UTF16_BOMS = {codecs.BOM_UTF16_LE: "utf-16-le", codecs.BOM_UTF16_BE: "utf-16-be"}


@dataclass(frozen=True)
class Scan:
    sha256: str
    size: int
    bom: bytes  # the byte-order mark the file starts with, b"" if none
    encoding: str | None  # Python codec used to decode (None for a zero-byte file)
    clean: bool  # the whole file decodes strictly in that encoding
    refusal: str | None = None  # why the bytes cannot be read as a text export at all
    has_nul: bool = False  # NUL bytes in a non-UTF-16 file: values holding one are corrupt
    newline: str = "\n"  # "\r" for old Mac line endings (no \n at all)
    facts: native_csv.ByteFacts | None = None  # line breaks and quotes (not for UTF-16)

    @property
    def label(self) -> str | None:
        return UTF8_BOM_ENCODING if self.bom == BOM else self.encoding


_UTF8_SEQUENCE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}"
)
_HIGH_BYTES = bytes(range(0x80, 0x100))


def scan(path: Path, encodings: tuple[str, ...]) -> Scan:
    """sha256, size and the encoding: a BOM (UTF-8 or UTF-16) decides; so does UTF-16's
    NUL byte in every other position; otherwise the first encoding of the contract in which
    the whole file decodes strictly. The hash is computed on another thread meanwhile
    (hashlib releases the GIL)."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="landing-sha") as pool:
        hashing = pool.submit(_sha256, path)
        with open(path, "rb") as f:
            head = f.read(4096)
        bom, encoding, refusal = b"", None, None
        magic = next((m for m in MAGIC if head.startswith(m)), None)
        if magic:
            refusal = MAGIC[magic]
        elif head.startswith(BOM):
            bom, encoding = BOM, "utf-8"
        elif utf16 := next((b for b in UTF16_BOMS if head.startswith(b)), None):
            bom, encoding = utf16, UTF16_BOMS[utf16]
        elif len(head) >= 4 and head[1::2].count(0) > 0.4 * len(head[1::2]):
            encoding = "utf-16-le"  # no BOM, but a NUL after most ASCII letters
        elif len(head) >= 4 and head[0::2].count(0) > 0.4 * len(head[0::2]):
            encoding = "utf-16-be"
        if refusal:
            clean = False
        elif encoding:
            clean = _decodes(path, encoding, len(bom))
            if not clean and encoding.startswith("utf-16"):
                refusal = f"not valid {encoding.upper()} text"
        else:
            encoding, clean = _choose_encoding(path, encodings)
        sha, size, has_nul, facts = hashing.result()
    if size == 0:
        return Scan(sha, 0, b"", None, True)
    utf16 = bool(encoding and encoding.startswith("utf-16"))
    newline = "\r" if b"\r" in head and b"\n" not in head and not utf16 else "\n"
    return Scan(
        sha,
        size,
        bom,
        encoding,
        clean,
        refusal,
        has_nul and not utf16,
        newline,
        None if utf16 else facts,
    )


def _sha256(path: Path) -> tuple[str, int, bool, native_csv.ByteFacts]:
    """sha256, size, whether the file holds a NUL byte, and its line breaks and quotes."""
    digest = hashlib.sha256()
    counter = native_csv.ByteCounter()
    size, has_nul = 0, False
    with open(path, "rb") as f:
        while chunk := f.read(1 << 22):
            digest.update(chunk)
            counter.update(chunk)
            size += len(chunk)
            has_nul = has_nul or b"\x00" in chunk
    return digest.hexdigest(), size, has_nul, counter.facts()


def _choose_encoding(path: Path, encodings: tuple[str, ...]) -> tuple[str, bool]:
    """(encoding, whether the whole file decodes in it)."""
    for enc in encodings:
        if _decodes(path, enc, 0):
            return enc, True
    # No encoding decodes the whole file: keep the one its non-ASCII bytes look like and
    # quarantine the lines that do not decode.
    if len(encodings) > 1 and "utf-8" in encodings and _looks_utf8(path):
        return "utf-8", False
    return next((e for e in encodings if e != "utf-8"), encodings[0]), False


def _decodes(path: Path, encoding: str, offset: int) -> bool:
    """The whole file decodes strictly (ASCII chunks are not decoded: fast)."""
    decoder = codecs.getincrementaldecoder(encoding)()
    ascii_compatible = not encoding.startswith("utf-16")
    try:
        with open(path, "rb") as f:
            f.seek(offset)
            while chunk := f.read(1 << 22):
                if ascii_compatible and chunk.isascii() and not decoder.getstate()[0]:
                    continue  # nothing to check in plain ASCII (UTF-16 is not ASCII-based)
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _looks_utf8(path: Path) -> bool:
    """More non-ASCII bytes in valid UTF-8 sequences than outside: a UTF-8 file with a few
    broken bytes, not a Windows-1252 file (whose accented letters are lone high bytes)."""
    in_sequences = high = 0
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            high += len(chunk) - len(chunk.translate(None, _HIGH_BYTES))
            in_sequences += sum(m.end() - m.start() for m in _UTF8_SEQUENCE.finditer(chunk))
    return in_sequences > high - in_sequences


def decode_lines(f: BinaryIO, encoding: str, offset: int, bad: dict[int, str]) -> Iterator[str]:
    """Physical lines of a file that does not decode cleanly: a line with undecodable bytes
    is kept (bytes shown as \\xNN) and noted in ``bad`` by line number."""
    for number, raw in enumerate(f, 1):
        try:
            line = raw.decode(encoding)
        except UnicodeDecodeError as e:
            shown = " ".join(f"0x{b:02x}" for b in raw[e.start : e.end])
            bad[number] = (
                f"undecodable bytes {shown} for {encoding} at byte offset {offset + e.start}"
            )
            line = raw.decode(encoding, "backslashreplace")
        offset += len(raw)
        yield line
