"""File types and text extraction for the resource repository, safe against hostile files.

Two jobs, both pure functions with no Flask dependency (a worker or a benchmark can import this
file on its own):

* ``sniff`` / ``sniff_file`` decide a file's type from its content (magic bytes, the entries of a
  ZIP container, a text check), never from its name. ``None`` means "not a type we accept".
* ``extract_text`` returns the text of a stored file for the full-text search, as an
  ``ExtractionResult``. It never raises for a bad file.

Accepted types are listed in ``ALLOWED``. SVG is refused on purpose: it is XML that can carry
scripts and external references, we do not render it as an image and it holds no text worth
indexing; ``sniff`` returns ``None`` for it even when it is named ``.txt``. Legacy OLE2 files
(.doc, .xls, .ppt), macro-enabled Office files (.docm, .xlsm, .pptm) and ODF files other than text
documents are refused too. An empty file is refused (``None``).

Extraction runs in a separate Python process started with ``subprocess`` (no fork of the caller,
no import of the ``hub`` package, so it is cheap and safe to call from a threaded web server). The
child runs this very file and, before touching the file, sets its own limits:

* ``RLIMIT_AS`` = ``memory_mb`` (address space); a ``MemoryError`` or a child killed for memory
  gives ``failed`` / ``memory``;
* ``RLIMIT_CPU`` = ``ceil(timeout) + 1`` seconds (``SIGXCPU`` gives ``failed`` / ``timeout``);
* ``RLIMIT_CORE`` = 0.

The parent also waits at most ``timeout`` seconds of wall-clock time, then kills the child's
process group and answers ``failed`` / ``timeout``. The child dies with its parent: a server killed
mid-extraction leaves no child behind (on Linux the kernel sends it ``SIGKILL`` through
``PR_SET_PDEATHSIG``; elsewhere a watchdog thread ends it once its parent is gone).

Inside the child, before any library opens an OOXML or ODF container, the ZIP central directory is
checked: at most 10 000 entries, no entry name that is absolute or contains a ``..`` component, no
encrypted entry, only stored/deflated entries, entries over 1 MB expanding at most 200 times, no
overlapping entries, and a total uncompressed size of at most ``max_unzipped_mb`` (over it:
``zip_bomb`` when the archive expands more than 100 times, ``too_large`` otherwise). Python's
``zipfile`` stops reading an entry at its declared size, so these declared sizes hold. Every XML
part is then checked with defusedxml, which refuses any DTD (no entity expansion, no external
entities: "billion laughs" and XXE are refused before python-docx, python-pptx or openpyxl parse
anything). Those libraries are safe on their own as well: python-docx and python-pptx parse with
lxml and ``resolve_entities=False``, openpyxl parses through defusedxml when it is installed (the
child forces ``OPENPYXL_DEFUSEDXML=True``). ODT is read by parsing ``content.xml`` ourselves, with
defusedxml and streaming.

Reasons: ``ExtractionResult.reason`` is empty for ``ok`` and ``empty``; for ``failed`` it starts
with a machine code from ``REASON_CODES`` that the interface translates, then ``": "`` and an
English detail for the logs, e.g. ``"zip_bomb: entry 'word/document.xml' expands 1030 times"``.

Text: whitespace runs are collapsed to one space, lines are trimmed, paragraphs are separated by
exactly one blank line (``"\\n\\n"``), Unicode is NFC-normalized (PDFs often give decomposed
accents), and the text is capped at ``max_text_chars``, cut at a word boundary.
"""
from __future__ import annotations

import codecs
import errno
import json
import math
import os
import re
import signal
import struct
import subprocess
import sys
import unicodedata
import zipfile
import zlib
from pathlib import Path
from typing import NamedTuple

__all__ = [
    "ALLOWED",
    "REASON_CODES",
    "ExtractionResult",
    "FileKind",
    "extract_text",
    "sniff",
    "sniff_file",
]


class FileKind(NamedTuple):
    mimetype: str
    extension: str  # with the leading dot, like mimetypes.guess_extension(): ".pdf"
    label: str  # short, for people: "PDF", "DOCX"


class ExtractionResult(NamedTuple):
    status: str  # "ok" | "empty" | "failed"
    text: str
    reason: str  # "" unless failed; then "<code>: <detail>"
    pages: int | None  # PDF pages or PPTX slides; None otherwise


PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ODT = "application/vnd.oasis.opendocument.text"
TXT = "text/plain"
MARKDOWN = "text/markdown"
HTML = "text/html"
PNG = "image/png"
JPEG = "image/jpeg"
GIF = "image/gif"
WEBP = "image/webp"

_KINDS = {
    kind.mimetype: kind
    for kind in (
        FileKind(PDF, ".pdf", "PDF"),
        FileKind(DOCX, ".docx", "DOCX"),
        FileKind(ODT, ".odt", "ODT"),
        FileKind(PPTX, ".pptx", "PPTX"),
        FileKind(XLSX, ".xlsx", "XLSX"),
        FileKind(TXT, ".txt", "TXT"),
        FileKind(MARKDOWN, ".md", "Markdown"),
        FileKind(HTML, ".html", "HTML"),
        FileKind(PNG, ".png", "PNG"),
        FileKind(JPEG, ".jpg", "JPEG"),
        FileKind(GIF, ".gif", "GIF"),
        FileKind(WEBP, ".webp", "WebP"),
    )
}

#: mimetype -> short label, for the upload form's help text.
ALLOWED = {mimetype: kind.label for mimetype, kind in _KINDS.items()}

IMAGES = frozenset({PNG, JPEG, GIF, WEBP})
ZIP_TYPES = frozenset({DOCX, PPTX, XLSX, ODT})

#: the machine codes that start ExtractionResult.reason when the status is "failed".
REASON_CODES = ("timeout", "too_large", "zip_bomb", "corrupt", "encrypted", "unsupported", "memory")

MB = 1024 * 1024
MAX_ZIP_ENTRIES = 10_000
MAX_ENTRY_RATIO = 200  # for entries over 1 MB
MAX_ARCHIVE_RATIO = 100  # over max_unzipped_mb: zip bomb above this ratio, too large below it
MAX_SHEET_CELLS = 1_000_000  # cells (empty ones included) read from a workbook, all sheets together
SNIFF_BYTES = 64 * 1024

# --------------------------------------------------------------------------------------------
# Text normalization
# --------------------------------------------------------------------------------------------

_LINE_BREAKS = str.maketrans({"\r": "\n", "\v": "\n", "\x85": "\n", "\u2028": "\n", "\f": "\n\n", "\u2029": "\n\n"})
_DROPPED = re.compile("[\u00ad\u200b\u200c\u200d\u2060\ufeff\ud800-\udfff]")  # soft hyphen, zero widths, BOM, lone surrogates
_CONTROLS = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")
_SPACES = re.compile(r"[^\S\n]+")  # any whitespace but a newline: tabs, NBSP, narrow NBSP...
_BLANK_LINES = re.compile(r"\n{3,}")


def normalize_text(text: str) -> str:
    """Collapse runs of spaces, trim lines, keep paragraph breaks as exactly "\\n\\n"."""
    if not text:
        return ""
    text = text.replace("\r\n", "\n").translate(_LINE_BREAKS)
    text = _DROPPED.sub("", text)
    text = _CONTROLS.sub(" ", text)
    text = unicodedata.normalize("NFC", text)
    text = _SPACES.sub(" ", text)
    text = "\n".join(line.strip() for line in text.split("\n"))
    return _BLANK_LINES.sub("\n\n", text).strip()


def truncate_text(text: str, limit: int) -> str:
    """Cut text to at most `limit` characters, at a word boundary when there is one near the end."""
    if limit <= 0:
        return ""
    if len(text) <= limit:
        return text
    if text[limit].isspace():
        return text[:limit].rstrip()
    cut = max(text.rfind(" ", 0, limit), text.rfind("\n", 0, limit))
    if cut >= limit // 2:
        return text[:cut].rstrip()
    return text[:limit]


class _Enough(Exception):
    """The collector holds enough text: stop reading."""


class _Failure(Exception):
    def __init__(self, code: str, detail: str):
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail


class _Collector:
    """Normalized text pieces, each with the separator that goes before it, up to a budget."""

    def __init__(self, limit: int):
        self.limit = limit
        self.parts: list[str] = []
        self.size = 0

    def add(self, text: str, sep: str = "\n\n") -> None:
        text = normalize_text(text)
        if not text:
            return
        if self.parts:
            self.parts.append(sep)
            self.size += len(sep)
        self.parts.append(text)
        self.size += len(text)
        if self.size > self.limit:
            raise _Enough

    def text(self) -> str:
        return truncate_text("".join(self.parts), self.limit)


# --------------------------------------------------------------------------------------------
# Sniffing
# --------------------------------------------------------------------------------------------

_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_EXECUTABLE_MAGIC = (b"\x7fELF", b"MZ", b"\xfe\xed\xfa", b"\xce\xfa\xed\xfe", b"\xcf\xfa\xed\xfe", b"\xca\xfe\xba\xbe")
_UTF8_BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_TEXT_CONTROLS = re.compile(r"[\x00-\x08\x0e-\x19\x1c-\x1f\x7f-\x9f]")  # \t \n \v \f \r, SUB and ESC are fine
_PROLOG = r"\A\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*"
_HTML_START = re.compile(_PROLOG + r"(?:<!doctype\s+html|<html[\s>])", re.IGNORECASE | re.DOTALL)
_SVG_START = re.compile(_PROLOG + r"(?:<!doctype\s+svg[^>]*>\s*(?:<!--.*?-->\s*)*)?<svg[\s>/]", re.IGNORECASE | re.DOTALL)
_SVG_DOCTYPE = re.compile(r"<!doctype\s+svg", re.IGNORECASE)


def _kind(mimetype: str | None) -> FileKind | None:
    return _KINDS.get(mimetype) if mimetype else None


def sniff(head: bytes, filename: str = "") -> FileKind | None:
    """The type of a file from its first bytes (8 KB at least; more makes the text check surer).

    The name only tells Markdown from plain text. ZIP containers are told apart by the local
    headers found in `head`; `sniff_file` also reads the central directory, prefer it when the
    file is on disk.
    """
    head = bytes(head or b"")
    if not head:
        return None
    binary = _sniff_binary(head)
    if binary is not False:
        return binary
    if head.startswith(b"PK\x03\x04"):
        names, mimetype_entry, content_types = _local_zip_entries(head)
        return _kind(_zip_type(names, mimetype_entry, content_types))
    if head.startswith((b"PK\x05\x06", b"PK\x07\x08")):
        return None  # an empty or spanned ZIP
    return _kind(_sniff_text(head, filename))


def sniff_file(path: str | Path, filename: str = "") -> FileKind | None:
    """Like `sniff`, for a file on disk; ZIP containers are judged by their central directory."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(SNIFF_BYTES)
    except OSError:
        return None
    if not head.startswith(b"PK\x03\x04") or _sniff_binary(head) is not False:
        return sniff(head, filename)
    entries = _zip_entries_from_directory(path)
    if entries is None:  # unreadable or outsized central directory: judge by the local headers
        return sniff(head, filename)
    return _kind(_zip_type(*entries))


def _sniff_binary(head: bytes):
    """A FileKind for a known binary signature, None for a refused one, False when not binary-signed."""
    if head.startswith(_PNG_MAGIC):
        return _KINDS[PNG]
    if head.startswith(b"\xff\xd8\xff"):
        return _KINDS[JPEG]
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return _KINDS[GIF]
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return _KINDS[WEBP]
    if head.startswith(b"%PDF-"):
        return _KINDS[PDF]
    if head.startswith(b"PK\x03\x04"):
        return False  # a ZIP container: told apart by its entries
    if head.startswith(_OLE_MAGIC):
        return None  # .doc/.xls/.ppt, or an encrypted Office file
    if head.startswith(_EXECUTABLE_MAGIC) and b"\x00" in head[:1024]:
        return None
    position = head.find(b"%PDF-", 0, 1024)
    if position > 0:
        prefix = head[:position]
        # Readers accept a header within the first KB: after whitespace, a BOM, or a binary
        # preamble (MacBinary). A text that merely mentions "%PDF-" stays text.
        if not prefix.strip(b"\x00\t\n\r\f \xef\xbb\xbf") or b"\x00" in prefix:
            return _KINDS[PDF]
    return False


def _local_zip_entries(head: bytes):
    """(names, content of the "mimetype" entry, content of [Content_Types].xml) from local headers."""
    names: list[str] = []
    mimetype_entry = content_types = None
    position = 0
    while len(names) < 1000:
        position = head.find(b"PK\x03\x04", position)
        if position < 0 or position + 30 > len(head):
            break
        flags, method, compressed, size, name_length, extra_length = struct.unpack_from("<6xHH8xIIHH", head, position)
        start = position + 30 + name_length + extra_length
        raw_name = head[position + 30 : position + 30 + name_length]
        name = raw_name.decode("utf-8" if flags & 0x800 else "cp437", "replace")
        names.append(name)
        known_size = not flags & 0x08 and compressed and start + compressed <= len(head)
        if known_size:
            data = head[start : start + compressed]
            if name == "mimetype" and method == 0 and size <= 256:
                mimetype_entry = data[:size]
            elif name == "[Content_Types].xml" and size <= MB:
                content_types = _inflate(data, method, size)
            position = start + compressed
        else:
            position += 4
    return names, mimetype_entry, content_types


def _inflate(data: bytes, method: int, size: int) -> bytes | None:
    if method == 0:
        return data[:size]
    if method == 8:
        try:
            return zlib.decompressobj(-15).decompress(data, size)
        except zlib.error:
            return None
    return None


def _eocd_entry_count(handle) -> tuple[int, int] | None:
    """(number of entries, central directory size) from the end-of-central-directory record."""
    handle.seek(0, os.SEEK_END)
    size = handle.tell()
    tail_size = min(size, 65536 + 22)
    handle.seek(size - tail_size)
    tail = handle.read(tail_size)
    position = tail.rfind(b"PK\x05\x06")
    if position < 0 or position + 22 > len(tail):
        return None
    entries, directory_size = struct.unpack_from("<10xHI", tail, position)
    if entries == 0xFFFF or directory_size == 0xFFFFFFFF:  # ZIP64: the locator sits just before
        locator = position - 20
        if locator < 0 or tail[locator : locator + 4] != b"PK\x06\x07":
            return None
        (record_offset,) = struct.unpack_from("<8xQ", tail, locator)
        handle.seek(record_offset)
        record = handle.read(56)
        if len(record) < 56 or record[:4] != b"PK\x06\x06":
            return None
        entries, directory_size = struct.unpack_from("<32xQQ", record)
    return entries, directory_size


def _zip_entries_from_directory(path):
    try:
        with open(path, "rb") as handle:
            counts = _eocd_entry_count(handle)
            if counts is None or counts[0] > MAX_ZIP_ENTRIES or counts[1] > 16 * MB:
                return None
            with zipfile.ZipFile(handle) as archive:
                infos = archive.infolist()
                by_name = {info.filename: info for info in infos}
                mimetype_entry = content_types = None
                info = by_name.get("mimetype")
                if info is not None and info.file_size <= 256 and not info.flag_bits & 1:
                    mimetype_entry = archive.read(info)
                info = by_name.get("[Content_Types].xml")
                if info is not None and info.file_size <= MB and not info.flag_bits & 1:
                    content_types = archive.read(info)
                return [i.filename for i in infos], mimetype_entry, content_types
    except (OSError, zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, ValueError, EOFError, RuntimeError, zlib.error):
        return None


def _zip_type(names, mimetype_entry: bytes | None, content_types: bytes | None) -> str | None:
    if mimetype_entry is not None:  # an OpenDocument package: only text documents are accepted
        return ODT if mimetype_entry.strip() == ODT.encode() else None
    lowered = [name.lower().replace("\\", "/") for name in names]
    if "[content_types].xml" not in lowered:
        return None
    if any(name.endswith("vbaproject.bin") for name in lowered):
        return None
    if content_types:
        if b"macroEnabled" in content_types:
            return None
        for marker, mimetype in (
            (b"wordprocessingml.document.main", DOCX),
            (b"wordprocessingml.template.main", DOCX),
            (b"presentationml.presentation.main", PPTX),
            (b"presentationml.slideshow.main", PPTX),
            (b"presentationml.template.main", PPTX),
            (b"spreadsheetml.sheet.main", XLSX),
            (b"spreadsheetml.template.main", XLSX),
        ):
            if marker in content_types:
                return mimetype
    for prefix, mimetype in (("word/", DOCX), ("ppt/", PPTX), ("xl/", XLSX)):
        if any(name.startswith(prefix) for name in lowered):
            return mimetype
    return None


def _decode_head(head: bytes) -> str | None:
    """Decode the start of a text file (it may end in the middle of a character)."""
    for bom in _UTF16_BOMS:
        if head.startswith(bom):
            try:
                return codecs.getincrementaldecoder("utf-16")().decode(head, final=False)
            except UnicodeDecodeError:
                return None
    if b"\x00" in head:
        return None
    if head.startswith(_UTF8_BOM):
        head = head[3:]
    try:
        return codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        pass
    try:
        return head.decode("cp1252")
    except UnicodeDecodeError:
        return head.decode("latin-1")


def _sniff_text(head: bytes, filename: str) -> str | None:
    text = _decode_head(head)
    if text is None or "\x00" in text:
        return None
    if len(_TEXT_CONTROLS.findall(text)) > len(text) // 100:
        return None
    start = text[:4096]
    if _HTML_START.match(start):
        return HTML
    if _SVG_START.match(start) or _SVG_DOCTYPE.search(start):
        return None
    if (filename or "").lower().endswith((".md", ".markdown")):
        return MARKDOWN
    return TXT


# --------------------------------------------------------------------------------------------
# Extraction: the parent side
# --------------------------------------------------------------------------------------------

# Run this file in a fresh interpreter without putting the current directory on sys.path and
# without importing the hub package (and so Flask).
_BOOTSTRAP = (
    "import runpy, sys\n"
    "if sys.path and sys.path[0] in ('', '.'):\n"
    "    del sys.path[0]\n"
    "runpy.run_path(sys.argv[1], run_name='__main__')\n"
)


def _failed(code: str, detail: str) -> ExtractionResult:
    return ExtractionResult("failed", "", f"{code}: {detail}", None)


def extract_text(
    path: str | Path,
    mimetype: str,
    *,
    timeout: float = 20.0,
    memory_mb: int = 512,
    max_text_chars: int = 2_000_000,
    max_unzipped_mb: int = 200,
) -> ExtractionResult:
    """The text of a stored file, extracted in a child process under time and memory limits.

    `mimetype` should come from `sniff_file`. Never raises for a bad file: every problem is an
    ExtractionResult with status "failed" and a reason starting with one of REASON_CODES.
    """
    mimetype = (mimetype or "").split(";", 1)[0].strip().lower()
    if mimetype not in ALLOWED:
        return _failed("unsupported", f"type {mimetype or 'unknown'} is not accepted")
    path = os.path.abspath(os.fspath(path))
    if not os.path.isfile(path):
        return _failed("corrupt", "the file does not exist")
    if mimetype in IMAGES:
        return ExtractionResult("empty", "", "", None)  # no OCR
    job = {
        "path": path,
        "mimetype": mimetype,
        "timeout": float(timeout),
        "memory_mb": int(memory_mb),
        "max_text_chars": int(max_text_chars),
        "max_unzipped_mb": int(max_unzipped_mb),
    }
    return _run_child(job, float(timeout))


def _child_command() -> list[str]:
    return [sys.executable, "-c", _BOOTSTRAP, os.path.abspath(__file__)]


PARENT_ENV = "HUB_EXTRACTION_PARENT_PID"
WATCHDOG_SECONDS = 0.5


def _start_child() -> subprocess.Popen:
    env = dict(os.environ, OPENPYXL_DEFUSEDXML="True", PYTHONIOENCODING="utf-8")
    env.pop("PYTHONSTARTUP", None)
    env[PARENT_ENV] = str(os.getpid())  # the child dies with this process (see _die_with_parent)
    return subprocess.Popen(
        _child_command(),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        close_fds=True,
        start_new_session=True,  # its own process group, killed as a whole
        env=env,
    )


def _run_child(job: dict, timeout: float) -> ExtractionResult:
    try:
        child = _start_child()
    except OSError as error:  # no process to be had: out of memory or of process slots, most likely
        code = "memory" if error.errno in (errno.ENOMEM, errno.EAGAIN) else "unsupported"
        return _failed(code, f"could not start the extraction process ({error})")
    try:
        out, err = child.communicate(json.dumps(job).encode(), timeout=max(timeout, 0.01))
    except subprocess.TimeoutExpired:
        _kill(child)
        return _failed("timeout", f"extraction took longer than {timeout:g} s")
    except BaseException:
        _kill(child)
        raise
    return _read_answer(child.returncode, out, err)


def _kill(child: subprocess.Popen) -> None:
    try:
        os.killpg(child.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError, AttributeError, OSError):
        try:
            child.kill()
        except OSError:
            pass
    try:
        child.communicate(timeout=5)
    except (subprocess.TimeoutExpired, OSError, ValueError):
        pass


def _read_answer(returncode: int, out: bytes, err: bytes) -> ExtractionResult:
    message = err.decode("utf-8", "replace").strip()
    last_line = message.splitlines()[-1][:300] if message else ""
    mentions_memory = "MemoryError" in message or "memory" in message.lower()
    if returncode == 0:
        try:
            answer = json.loads(out.decode("utf-8"))
            result = ExtractionResult(
                str(answer["status"]), str(answer["text"]), str(answer["reason"]),
                None if answer["pages"] is None else int(answer["pages"]),
            )
        except (ValueError, KeyError, TypeError):
            return _failed("corrupt", "the extraction process gave no usable answer")
        if result.status not in ("ok", "empty", "failed"):
            return _failed("corrupt", "the extraction process gave no usable answer")
        return result
    if returncode < 0:
        number = -returncode
        if number == getattr(signal, "SIGXCPU", -1):
            return _failed("timeout", "the CPU time limit was reached")
        if number == getattr(signal, "SIGKILL", -1):
            return _failed("memory", "the extraction process was killed (out of memory)")
        try:
            name = signal.Signals(number).name
        except ValueError:
            name = f"signal {number}"
        if mentions_memory:
            return _failed("memory", f"the extraction process died of {name}: {last_line}")
        return _failed("corrupt", f"the extraction process crashed ({name})")
    if mentions_memory:
        return _failed("memory", last_line or "out of memory")
    return _failed("corrupt", f"the extraction process failed: {last_line or f'exit status {returncode}'}")


# --------------------------------------------------------------------------------------------
# Extraction: the child side
# --------------------------------------------------------------------------------------------


def _limit_resources(memory_mb: int, timeout: float) -> None:
    try:
        import resource
    except ImportError:  # not on POSIX: the parent's wall-clock timeout still holds
        return
    limits = [
        (resource.RLIMIT_CORE, 0),
        (resource.RLIMIT_CPU, max(1, math.ceil(timeout)) + 1),
        (resource.RLIMIT_AS, max(1, memory_mb) * MB),
    ]
    for which, value in limits:
        try:
            soft, hard = resource.getrlimit(which)
            if hard != resource.RLIM_INFINITY:
                value = min(value, hard)
            # CPU: SIGXCPU at the soft limit, SIGKILL one second later if it is ignored.
            new_hard = value + 1 if which == resource.RLIMIT_CPU and (hard == resource.RLIM_INFINITY or hard > value) else value
            resource.setrlimit(which, (value, new_hard))
        except (ValueError, OSError):
            pass


def _extract_in_process(path: str, mimetype: str, max_text_chars: int = 2_000_000, max_unzipped_mb: int = 200) -> ExtractionResult:
    """Extract in this process, without limits. The child calls it; tests and benchmarks may too."""
    collector = _Collector(max_text_chars)
    pages = None
    try:
        if mimetype in IMAGES:
            return ExtractionResult("empty", "", "", None)
        if mimetype == PDF:
            pages = _extract_pdf(path, collector)
        elif mimetype in ZIP_TYPES:
            _refuse_legacy_container(path)
            archive = _open_checked_zip(path, max_unzipped_mb)
            try:
                if mimetype == ODT:
                    _extract_odt(archive, collector)
                else:
                    archive.close()
                    if mimetype == DOCX:
                        _extract_docx(path, collector)
                    elif mimetype == PPTX:
                        pages = _extract_pptx(path, collector)
                    else:
                        _extract_xlsx(path, collector)
            finally:
                archive.close()
        elif mimetype == HTML:
            _extract_html(path, collector)
        elif mimetype in (TXT, MARKDOWN):
            _extract_plain(path, collector, max_text_chars)
        else:
            return _failed("unsupported", f"type {mimetype} is not accepted")
    except _Enough:
        pass
    except _Failure as failure:
        return _failed(failure.code, failure.detail)
    except MemoryError:
        return _failed("memory", "out of memory")
    except RecursionError:
        return _failed("corrupt", "the document is nested too deeply")
    except Exception as error:  # a bad file must give an answer, whatever the library raised
        return _failed(*_classify(error))
    text = collector.text()
    if pages is not None and pages < 0:
        pages = None
    return ExtractionResult("ok" if text else "empty", text, "", pages)


def _classify(error: Exception) -> tuple[str, str]:
    name = type(error).__name__
    detail = f"{name}: {error}"[:300]
    lowered = detail.lower()
    if "memory allocation failed" in lowered or "out of memory" in lowered or "cannot allocate" in lowered:
        return "memory", detail
    if "decrypt" in lowered or "encrypt" in lowered or "password" in lowered:
        return "encrypted", detail
    return "corrupt", detail


def _refuse_legacy_container(path: str) -> None:
    """OOXML mimetype on an OLE2 file: an encrypted Office document, or an old binary format."""
    with open(path, "rb") as handle:
        head = handle.read(MB)
    if not head.startswith(_OLE_MAGIC):
        return
    if "EncryptionInfo".encode("utf-16-le") in head or "EncryptedPackage".encode("utf-16-le") in head:
        raise _Failure("encrypted", "the Office document is protected by a password")
    raise _Failure("unsupported", "legacy Office binary format (OLE2)")


def _open_checked_zip(path: str, max_unzipped_mb: int) -> zipfile.ZipFile:
    """Open a ZIP container after checking its central directory against zip bombs; check its XML."""
    archive_size = os.path.getsize(path)
    try:
        with open(path, "rb") as handle:
            counts = _eocd_entry_count(handle)
    except OSError as error:
        raise _Failure("corrupt", f"cannot read the file ({error})") from None
    if counts is not None and counts[0] > MAX_ZIP_ENTRIES:
        raise _Failure("zip_bomb", f"{counts[0]} entries in the archive (at most {MAX_ZIP_ENTRIES})")
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as error:
        raise _Failure("corrupt", f"not a readable ZIP container ({error})") from None
    try:
        _check_zip_directory(archive.infolist(), archive_size, max_unzipped_mb)
        _refuse_xml_dtds(archive)
    except BaseException:
        archive.close()
        raise
    return archive


def _check_zip_directory(infos, archive_size: int, max_unzipped_mb: int) -> None:
    if len(infos) > MAX_ZIP_ENTRIES:
        raise _Failure("zip_bomb", f"{len(infos)} entries in the archive (at most {MAX_ZIP_ENTRIES})")
    total = compressed_total = 0
    for info in infos:
        name = info.filename
        parts = name.replace("\\", "/").split("/")
        if name.startswith(("/", "\\")) or ".." in parts or re.match(r"[A-Za-z]:", name) or "\x00" in name:
            raise _Failure("corrupt", f"unsafe entry name {name[:80]!r}")
        if info.flag_bits & 0x1:
            raise _Failure("encrypted", f"entry {name[:80]!r} is encrypted")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise _Failure("corrupt", f"entry {name[:80]!r} uses compression method {info.compress_type}")
        if info.file_size > MB and info.file_size > MAX_ENTRY_RATIO * max(info.compress_size, 1):
            ratio = info.file_size / max(info.compress_size, 1)
            raise _Failure("zip_bomb", f"entry {name[:80]!r} expands {ratio:.0f} times")
        total += info.file_size
        compressed_total += info.compress_size
    if compressed_total > archive_size:
        raise _Failure("zip_bomb", "entries overlap in the archive")
    if total > max_unzipped_mb * MB:
        ratio = total / max(archive_size, 1)
        code = "zip_bomb" if ratio > MAX_ARCHIVE_RATIO else "too_large"
        raise _Failure(code, f"{total / MB:.0f} MB once uncompressed (at most {max_unzipped_mb} MB)")


def _refuse_xml_dtds(archive: zipfile.ZipFile) -> None:
    """Refuse any XML part that declares a DTD: no entity expansion, no external entities.

    Only the prolog is read (parsing stops at the root element), so this costs little.
    """
    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import ParseError, iterparse

    for info in archive.infolist():
        lowered = info.filename.lower()
        if info.is_dir() or info.file_size == 0 or not lowered.endswith((".xml", ".rels")):
            continue
        try:
            with archive.open(info) as stream:
                for _event, _element in iterparse(stream, events=("start",), forbid_dtd=True):
                    break
        except DefusedXmlException:
            raise _Failure("corrupt", f"XML part {info.filename[:80]!r} declares a DTD or entities (refused)") from None
        except ParseError as error:
            raise _Failure("corrupt", f"XML part {info.filename[:80]!r} is malformed ({error})") from None
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as error:
            raise _Failure("corrupt", f"entry {info.filename[:80]!r} cannot be read ({error})") from None


# --- PDF -----------------------------------------------------------------------------------


def _extract_pdf(path: str, collector: _Collector) -> int:
    from pypdf import PdfReader
    from pypdf.errors import DependencyError, FileNotDecryptedError, PdfReadError

    try:
        reader = PdfReader(path, strict=False)
        if reader.is_encrypted:
            try:
                decrypted = reader.decrypt("")
            except DependencyError as error:
                raise _Failure("encrypted", f"cannot decrypt this PDF ({error})") from None
            if not decrypted:
                raise _Failure("encrypted", "the PDF needs a password to be opened")
        pages = len(reader.pages)
    except FileNotDecryptedError:
        raise _Failure("encrypted", "the PDF needs a password to be opened") from None
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, IndexError, AssertionError, zlib.error) as error:
        raise _Failure("corrupt", f"unreadable PDF ({type(error).__name__}: {error})"[:300]) from None
    if pages == 0:
        raise _Failure("corrupt", "the PDF has no pages")
    broken = 0
    for page in reader.pages:
        try:
            text = page.extract_text() or ""
        except (MemoryError, RecursionError, _Enough):
            raise
        except Exception:  # one broken page does not lose the others
            broken += 1
            continue
        collector.add(text)
    if broken == pages:
        raise _Failure("corrupt", "no page of the PDF could be read")
    return pages


# --- DOCX ----------------------------------------------------------------------------------

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_MC_ALTERNATE = "{http://schemas.openxmlformats.org/markup-compatibility/2006}AlternateContent"
_W_P, _W_TBL, _W_TR, _W_TC, _W_T = _W + "p", _W + "tbl", _W + "tr", _W + "tc", _W + "t"
_W_SDT, _W_SDT_CONTENT, _W_TXBX = _W + "sdt", _W + "sdtContent", _W + "txbxContent"
_W_BLOCK_WRAPPERS = {_W + "customXml", _W + "ins", _W + "moveTo", _W + "smartTag"}
_W_TAB = {_W + "tab", _W + "ptab"}
_W_BREAK = {_W + "br", _W + "cr"}
_W_SKIP = {_W + "del", _W + "moveFrom", _W + "delText", _W + "instrText", _W + "pPr", _W + "rPr", _W + "sectPr"}
_DOCX_EXTRA_PARTS = (  # after the body, in this order
    "wordprocessingml.footnotes+xml",
    "wordprocessingml.endnotes+xml",
    "wordprocessingml.header+xml",
    "wordprocessingml.footer+xml",
)


def _extract_docx(path: str, collector: _Collector) -> None:
    import docx

    document = docx.Document(path)
    for block in _docx_blocks(document.element.body):
        collector.add(block)
    extra = []
    for part in document.part.package.iter_parts():
        content_type = getattr(part, "content_type", "") or ""
        for rank, suffix in enumerate(_DOCX_EXTRA_PARTS):
            if content_type.endswith(suffix):
                extra.append((rank, str(part.partname), part))
    seen = set()
    for _rank, _name, part in sorted(extra, key=lambda item: (item[0], item[1])):
        root = getattr(part, "element", None)
        if root is None:
            root = _parse_xml_safely(part.blob)
        containers = [root] if root.tag in (_W + "hdr", _W + "ftr") else [c for c in root if c.tag in (_W + "footnote", _W + "endnote")]
        for container in containers:
            for block in _docx_blocks(container):
                key = normalize_text(block)
                if key and key not in seen:  # the same header repeats on every section
                    seen.add(key)
                    collector.add(block)


def _parse_xml_safely(data: bytes):
    from defusedxml.ElementTree import fromstring

    return fromstring(data, forbid_dtd=True)


def _docx_blocks(container):
    """Paragraph texts and table texts (one line per row) of a body, cell, header or text box."""
    for child in container:
        tag = child.tag
        if not isinstance(tag, str):
            continue
        if tag == _W_P:
            yield from _docx_paragraph(child)
        elif tag == _W_TBL:
            yield "\n".join(_docx_table_rows(child))
        elif tag == _W_SDT:
            content = child.find(_W_SDT_CONTENT)
            if content is not None:
                yield from _docx_blocks(content)
        elif tag in _W_BLOCK_WRAPPERS:
            yield from _docx_blocks(child)
        elif tag == _MC_ALTERNATE and len(child):
            yield from _docx_blocks(child[0])


def _docx_table_rows(table):
    for row in table:
        if row.tag != _W_TR:
            continue
        cells = []
        for cell in _docx_cells(row):
            cells.append(" ".join(_docx_blocks(cell)))
        yield "\t".join(cells)


def _docx_cells(row):
    for child in row:
        if child.tag == _W_TC:
            yield child
        elif child.tag == _W_SDT:
            content = child.find(_W_SDT_CONTENT)
            if content is not None:
                yield from _docx_cells(content)


def _docx_paragraph(paragraph):
    pieces: list[str] = []
    boxes: list = []
    _docx_inline(paragraph, pieces, boxes)
    yield "".join(pieces)
    for box in boxes:  # text boxes anchored in the paragraph, after it
        yield from _docx_blocks(box)


def _docx_inline(element, pieces: list[str], boxes: list) -> None:
    for child in element:
        tag = child.tag
        if not isinstance(tag, str) or tag in _W_SKIP:
            continue
        if tag == _W_T:
            pieces.append(child.text or "")
        elif tag in _W_TAB:
            pieces.append("\t")
        elif tag in _W_BREAK:
            pieces.append("\n")
        elif tag == _W + "noBreakHyphen":
            pieces.append("-")
        elif tag == _W_TXBX:
            boxes.append(child)
        elif tag == _MC_ALTERNATE:
            if len(child):
                _docx_inline(child[0], pieces, boxes)  # the first choice; the fallback repeats it
        else:
            _docx_inline(child, pieces, boxes)


# --- PPTX ----------------------------------------------------------------------------------


def _extract_pptx(path: str, collector: _Collector) -> int:
    from pptx import Presentation

    presentation = Presentation(path)
    slides = list(presentation.slides)
    for slide in slides:
        for shape in slide.shapes:
            _pptx_shape(shape, collector)
        if slide.has_notes_slide:
            frame = slide.notes_slide.notes_text_frame
            if frame is not None:
                collector.add(frame.text)
    return len(slides)


def _pptx_shape(shape, collector: _Collector) -> None:
    from pptx.enum.shapes import MSO_SHAPE_TYPE

    if shape.shape_type == MSO_SHAPE_TYPE.GROUP:
        for inner in shape.shapes:
            _pptx_shape(inner, collector)
        return
    if getattr(shape, "has_text_frame", False) and shape.has_text_frame:
        collector.add(shape.text_frame.text)
    if getattr(shape, "has_table", False) and shape.has_table:
        rows = ["\t".join(cell.text for cell in row.cells) for row in shape.table.rows]
        collector.add("\n".join(rows))


# --- XLSX ----------------------------------------------------------------------------------


def _extract_xlsx(path: str, collector: _Collector) -> None:
    os.environ["OPENPYXL_DEFUSEDXML"] = "True"
    import openpyxl
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet

    # Opening a read-only sheet scans the whole sheet for its size when the file does not state
    # it upfront; the size is not used here (dimensions are reset below), so skip that scan.
    if hasattr(ReadOnlyWorksheet, "_get_size"):
        ReadOnlyWorksheet._get_size = lambda self: None

    workbook = openpyxl.load_workbook(path, read_only=True, data_only=True, keep_links=False)
    try:
        cells = 0
        for sheet in workbook.worksheets:
            sheet.reset_dimensions()  # trust the rows present, not a declared (possibly huge) range
            collector.add(sheet.title)
            lines: list[str] = []
            try:
                for row in sheet.iter_rows(values_only=True):
                    cells += len(row) or 1
                    if cells > MAX_SHEET_CELLS:
                        return
                    line = "\t".join(text for text in (_cell_text(v) for v in row if v is not None) if text)
                    if line:
                        lines.append(line)
                    if len(lines) >= 1000:  # rows are lines; added in batches to keep the cost low
                        collector.add("\n".join(lines), sep="\n")
                        lines = []
            finally:
                if lines:
                    collector.add("\n".join(lines), sep="\n")
    finally:
        workbook.close()


def _cell_text(value) -> str:
    import datetime

    if isinstance(value, bool):
        return ""
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time(0) else value.isoformat(sep=" ")
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    return str(value)


# --- ODT -----------------------------------------------------------------------------------

_ODF_TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
_ODF_P, _ODF_H = _ODF_TEXT + "p", _ODF_TEXT + "h"
_ODF_S, _ODF_TAB, _ODF_BREAK = _ODF_TEXT + "s", _ODF_TEXT + "tab", _ODF_TEXT + "line-break"
_ODF_SKIPPED = {_ODF_TEXT + "tracked-changes"}  # deleted text lives there
_ODF_STYLES = {
    "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}automatic-styles",
    "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}font-face-decls",
}


def _extract_odt(archive: zipfile.ZipFile, collector: _Collector) -> None:
    from defusedxml.ElementTree import iterparse

    names = set(archive.namelist())
    if "mimetype" in names:
        if archive.read("mimetype").strip() != ODT.encode():
            raise _Failure("unsupported", "an OpenDocument file that is not a text document")
    if "META-INF/manifest.xml" in names and archive.getinfo("META-INF/manifest.xml").file_size <= 4 * MB:
        if b"encryption-data" in archive.read("META-INF/manifest.xml"):
            raise _Failure("encrypted", "the OpenDocument file is protected by a password")
    if "content.xml" not in names:
        raise _Failure("corrupt", "content.xml is missing")
    skipped = 0
    with archive.open("content.xml") as stream:
        for event, element in iterparse(stream, events=("start", "end"), forbid_dtd=True):
            tag = element.tag
            if tag in _ODF_SKIPPED:
                skipped += 1 if event == "start" else -1
                if event == "end":
                    element.clear()
                continue
            if event != "end":
                continue
            if tag in (_ODF_P, _ODF_H):
                if not skipped:
                    pieces: list[str] = []
                    _odf_inline(element, pieces)
                    collector.add("".join(pieces))
                tail = element.tail
                element.clear()  # free memory; nested paragraphs were emitted at their own end
                element.tail = tail
            elif tag in _ODF_STYLES:
                element.clear()


def _odf_inline(element, pieces: list[str]) -> None:
    if element.text:
        pieces.append(element.text)
    for child in element:
        tag = child.tag
        if tag == _ODF_S:
            try:
                count = int(child.get(_ODF_TEXT + "c") or 1)
            except ValueError:
                count = 1
            pieces.append(" " * max(1, min(count, 100)))
        elif tag == _ODF_TAB:
            pieces.append("\t")
        elif tag == _ODF_BREAK:
            pieces.append("\n")
        elif tag not in (_ODF_P, _ODF_H):  # nested paragraphs (notes, frames) stand on their own
            _odf_inline(child, pieces)
        if child.tail:
            pieces.append(child.tail)


# --- HTML ----------------------------------------------------------------------------------

_HTML_SKIPPED = {"script", "style", "template", "noscript", "svg", "math", "object", "iframe"}
_HTML_BLOCKS = {
    "address", "article", "aside", "blockquote", "caption", "dd", "details", "dialog", "div", "dl", "dt",
    "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header",
    "hgroup", "hr", "legend", "li", "main", "nav", "ol", "p", "pre", "section", "summary", "table",
    "tbody", "tfoot", "thead", "title", "tr", "ul",
}
_HTML_CELLS = {"td", "th"}
_META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?\s*([A-Za-z0-9_.:-]+)", re.IGNORECASE)


def _extract_html(path: str, collector: _Collector) -> None:
    from html.parser import HTMLParser

    class TextParser(HTMLParser):
        def __init__(self):
            super().__init__(convert_charrefs=True)
            self.skipping: list[str] = []
            self.pieces: list[str] = []
            self.size = 0
            self.preformatted = 0

        def handle_starttag(self, tag, attrs):
            if tag in _HTML_SKIPPED:
                self.skipping.append(tag)
            elif tag == "br":
                self.pieces.append("\n")
            elif tag in _HTML_BLOCKS:
                self.pieces.append("\n\n")
                self.preformatted += tag == "pre"
            elif tag in _HTML_CELLS:
                self.pieces.append("\t")

        def handle_startendtag(self, tag, attrs):
            if tag == "br":
                self.pieces.append("\n")

        def handle_endtag(self, tag):
            if self.skipping:
                if tag == self.skipping[-1]:
                    self.skipping.pop()
                elif tag in self.skipping:
                    del self.skipping[self.skipping.index(tag) :]
                return
            if tag in _HTML_BLOCKS:
                self.pieces.append("\n\n")
                if tag == "pre" and self.preformatted:
                    self.preformatted -= 1

        def handle_data(self, data):
            if self.skipping:
                return
            if not self.preformatted:
                data = re.sub(r"\s+", " ", data)
            self.pieces.append(data)
            self.size += len(data)
            if self.size > collector.limit * 2 + 10_000:
                raise _Enough

    parser = TextParser()
    encoding = _detect_encoding(path, html=True)
    try:
        for chunk in _read_decoded(path, encoding):
            parser.feed(chunk)
        parser.close()
    except _Enough:
        pass
    collector.add("".join(parser.pieces))


# --- TXT, Markdown -------------------------------------------------------------------------


def _extract_plain(path: str, collector: _Collector, max_text_chars: int) -> None:
    encoding = _detect_encoding(path)
    budget = max_text_chars * 2 + 10_000  # characters read: whitespace shrinks when normalized
    pieces, size = [], 0
    for chunk in _read_decoded(path, encoding):
        pieces.append(chunk)
        size += len(chunk)
        if size >= budget:
            break
    collector.add("".join(pieces))


def _detect_encoding(path: str, html: bool = False, scan_bytes: int = 32 * MB) -> str:
    """UTF-8 (with or without BOM), UTF-16 with a BOM, a declared HTML charset, else cp1252/latin-1."""
    with open(path, "rb") as handle:
        head = handle.read(4096)
        if head.startswith(_UTF8_BOM):
            return "utf-8-sig"
        if head.startswith(_UTF16_BOMS):
            return "utf-16"
        handle.seek(0)
        decoder = codecs.getincrementaldecoder("utf-8")()
        remaining = scan_bytes
        try:
            while remaining > 0:
                chunk = handle.read(min(MB, remaining))
                if not chunk:
                    decoder.decode(b"", final=True)
                    return "utf-8"
                decoder.decode(chunk)
                remaining -= len(chunk)
            return "utf-8"
        except UnicodeDecodeError:
            pass
    if html:
        match = _META_CHARSET.search(head)
        if match:
            try:
                codec = codecs.lookup(match.group(1).decode("ascii"))
                declared = codec.name if getattr(codec, "_is_text_encoding", True) else None
            except (LookupError, UnicodeDecodeError):
                declared = None
            if declared and declared not in ("utf-8", "utf-16", "utf-32") and not declared.startswith(("utf-16", "utf-32")):
                return "cp1252" if declared in ("latin-1", "iso8859-1", "ascii") else declared
    with open(path, "rb") as handle:
        try:
            handle.read(scan_bytes).decode("cp1252")
            return "cp1252"
        except UnicodeDecodeError:
            return "latin-1"


def _read_decoded(path: str, encoding: str, chunk_size: int = MB):
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    with open(path, "rb") as handle:
        while True:
            chunk = handle.read(chunk_size)
            if not chunk:
                tail = decoder.decode(b"", final=True)
                if tail:
                    yield tail
                return
            yield decoder.decode(chunk)


# --------------------------------------------------------------------------------------------
# Child entry point: `python extraction.py` reads a JSON job on stdin, writes a JSON answer.
# --------------------------------------------------------------------------------------------


def _die_with_parent() -> None:
    """End this child when the process that started it ends, even by SIGKILL: it runs in a session
    of its own, so nothing else would stop it. On Linux the kernel sends SIGKILL on the parent's
    death (PR_SET_PDEATHSIG); a watchdog thread also checks the parent every WATCHDOG_SECONDS, for
    the other platforms. A parent already gone before either was in place is noticed at once."""
    import threading

    try:
        parent = int(os.environ.get(PARENT_ENV, ""))
    except ValueError:
        return
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            PR_SET_PDEATHSIG = 1
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):
            pass

    def orphaned():
        return os.getppid() != parent

    if orphaned():
        os._exit(1)

    def watch():
        while not orphaned():
            threading.Event().wait(WATCHDOG_SECONDS)
        os._exit(1)

    threading.Thread(target=watch, name="extraction-watchdog", daemon=True).start()


def _child_main() -> int:
    import logging
    import warnings

    _die_with_parent()
    answer_fd = os.dup(1)
    os.dup2(2, 1)  # anything a library prints goes to stderr, not into the answer
    try:
        job = json.loads(sys.stdin.buffer.read().decode("utf-8"))
        _limit_resources(int(job["memory_mb"]), float(job["timeout"]))
        logging.disable(logging.CRITICAL)
        warnings.simplefilter("ignore")
        os.environ["OPENPYXL_DEFUSEDXML"] = "True"
        result = _extract_in_process(
            job["path"], job["mimetype"], int(job["max_text_chars"]), int(job["max_unzipped_mb"])
        )
    except MemoryError:
        result = _failed("memory", "out of memory")
    payload = json.dumps(result._asdict(), ensure_ascii=False).encode("utf-8", "replace")
    with os.fdopen(answer_fd, "wb") as answer:
        answer.write(payload)
    return 0


if __name__ == "__main__":
    sys.exit(_child_main())
