"""File types and text extraction: real sample files built here, and hostile ones."""
import os
import struct
import subprocess
import sys
import time
import zipfile
import zlib
from pathlib import Path

import pytest

from hub.resources import extraction
from hub.resources.extraction import ALLOWED, ExtractionResult, FileKind, extract_text, sniff, sniff_file

TITLE = "Politique d'approvisionnement responsable de la Ville de Lévis — économie sociale"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ODT = "application/vnd.oasis.opendocument.text"
PNG_BYTES = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x35\x81\x84\x00\x00\x00\x00IEND\xaeB`\x82"
)


# --- sample builders -------------------------------------------------------------------------


def pdf_escape(text):
    raw = text.encode("cp1252")
    return raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


def pdf_text_stream(lines):
    """A page's content: Helvetica lines of WinAnsi-encoded text."""
    body = b"BT /F1 12 Tf 14 TL 72 720 Td " + b" ".join(b"(" + pdf_escape(line) + b") Tj T*" for line in lines) + b" ET"
    return body


def make_pdf(streams, page_count=None):
    """A minimal valid PDF: catalog, page tree, Helvetica (WinAnsiEncoding), xref table.

    Page i shows streams[i % len(streams)], so many pages can share one content stream.
    """
    page_count = page_count or len(streams)
    first_content = 4
    first_page = first_content + len(streams)
    kids = b" ".join(b"%d 0 R" % (first_page + i) for i in range(page_count))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [" + kids + b"] /Count %d >>" % page_count,
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    for stream in streams:
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    for i in range(page_count):
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >>"
            b" /Contents %d 0 R >>" % (first_content + i % len(streams))
        )
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def write(path, data):
    Path(path).write_bytes(data)
    return path


def make_docx(path):
    import docx

    document = docx.Document()
    document.add_heading(TITLE, level=1)
    document.add_paragraph("Les entreprises d'économie sociale participent aux appels d'offres.")
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text = "Critère"
    table.cell(0, 1).text = "Pondération"
    table.cell(1, 0).text = "Retombées sociales locales"
    table.cell(1, 1).text = "20 %"
    document.sections[0].header.paragraphs[0].text = "Ville de Lévis — Service de l'approvisionnement"
    document.save(path)
    return path


def make_pptx(path):
    from pptx import Presentation
    from pptx.util import Inches

    presentation = Presentation()
    slide = presentation.slides.add_slide(presentation.slide_layouts[1])
    slide.shapes.title.text = "Bons et mauvais coups"
    slide.placeholders[1].text = "Récit d'implantation à Trois-Rivières"
    slide.notes_slide.notes_text_frame.text = "Notes de l'animatrice : coopératives d'habitation"
    second = presentation.slides.add_slide(presentation.slide_layouts[5])
    second.shapes.title.text = "Programme de financement"
    table = second.shapes.add_table(2, 2, Inches(1), Inches(2), Inches(6), Inches(1.5)).table
    table.cell(0, 0).text = "Organisme"
    table.cell(0, 1).text = "Montant"
    table.cell(1, 0).text = "Chantier de l'économie sociale"
    table.cell(1, 1).text = "15 000 $"
    presentation.save(path)
    return path


def make_xlsx(path, rows=None):
    import datetime

    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Budget"
    sheet.append(["Poste", "Montant", "Date"])
    sheet.append(["Matières résiduelles", 1250.0, datetime.date(2024, 5, 17)])
    other = workbook.create_sheet("Municipalités")
    other.append(["Lévis", "Sherbrooke", "Québec"])
    for row in rows or ():
        other.append(row)
    workbook.save(path)
    return path


ODT_CONTENT = """<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"
    xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"
    xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" office:version="1.3">
  <office:body><office:text>
    <text:h text:outline-level="1">Règlement sur les projets d'habitation</text:h>
    <text:p>La <text:span>gestion des parcs</text:span><text:s text:c="3"/>et la revitalisation<text:line-break/>des artères commerciales.</text:p>
    <text:list><text:list-item><text:p>Fiche : bonne pratique de Sherbrooke</text:p></text:list-item></text:list>
    <table:table><table:table-row><table:table-cell><text:p>Cellule élevée</text:p></table:table-cell></table:table-row></table:table>
    <text:tracked-changes><text:changed-region><text:deletion><text:p>Texte supprimé</text:p></text:deletion></text:changed-region></text:tracked-changes>
  </office:text></office:body>
</office:document-content>"""

ODT_MANIFEST = """<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.3">
  <manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.text"/>
  <manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>
</manifest:manifest>"""


def make_odt(path, content=ODT_CONTENT):
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), ODT, compress_type=zipfile.ZIP_STORED)  # first, stored
        archive.writestr("META-INF/manifest.xml", ODT_MANIFEST, compress_type=zipfile.ZIP_DEFLATED)
        archive.writestr("content.xml", content, compress_type=zipfile.ZIP_DEFLATED)
    return path


def raw_zip(entries):
    """A ZIP written by hand from (name, method, data, crc, uncompressed size): no compression here."""
    out, directory = bytearray(), bytearray()
    for name, method, data, crc, size in entries:
        encoded = name.encode()
        offset = len(out)
        out += struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", 20, 0, method, 0, 0x21, crc, len(data), size, len(encoded), 0)
        out += encoded + data
        directory += struct.pack(
            "<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", 20, 20, 0, method, 0, 0x21, crc, len(data), size, len(encoded),
            0, 0, 0, 0, 0, offset,
        )
        directory += encoded
    start = len(out)
    out += directory
    out += struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, len(entries), len(entries), len(directory), start, 0)
    return bytes(out)


def stored(name, data):
    return (name, 0, data, zlib.crc32(data), len(data))


CONTENT_TYPES = (
    b'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    b'<Default Extension="xml" ContentType="application/xml"/>'
    b'<Override PartName="/word/document.xml" '
    b'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'
)


def zip_bomb_docx(path, gigabytes=1):
    """A "DOCX" whose word/document.xml is 1 GB of zeros deflated into ~1 MB, built in well under a second.

    After a full flush the deflate state is reset, so the compressed form of a 4 MB chunk of zeros
    can be repeated as is; an empty final block ends the stream.
    """
    chunk = b"\0" * (4 * 1024 * 1024)
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    compressor.compress(chunk)
    compressor.flush(zlib.Z_FULL_FLUSH)
    segment = compressor.compress(chunk) + compressor.flush(zlib.Z_FULL_FLUSH)
    repeats = 256 * gigabytes
    data = segment * repeats + compressor.flush(zlib.Z_FINISH)
    crc = 0
    for _ in range(repeats):
        crc = zlib.crc32(chunk, crc)
    bomb = ("word/document.xml", 8, data, crc, len(chunk) * repeats)
    path.write_bytes(raw_zip([stored("[Content_Types].xml", CONTENT_TYPES), bomb]))
    return path


def replace_zip_entry(source, target, name, data):
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            new.writestr(info.filename, data if info.filename == name else old.read(info))
    return target


# --- sniffing --------------------------------------------------------------------------------


def test_allowed_lists_every_accepted_type_with_a_label():
    assert ALLOWED["application/pdf"] == "PDF"
    assert ALLOWED[DOCX] == "DOCX" and ALLOWED[ODT] == "ODT" and ALLOWED["image/webp"] == "WebP"
    assert "image/svg+xml" not in ALLOWED


@pytest.mark.parametrize(
    "head, filename, mimetype",
    [
        (PNG_BYTES, "photo.png", "image/png"),
        (PNG_BYTES, "photo.pdf", "image/png"),  # the name does not matter
        (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", "a.jpg", "image/jpeg"),
        (b"GIF89a\x01\x00\x01\x00\x80\x00\x00", "a.gif", "image/gif"),
        (b"RIFF\x24\x00\x00\x00WEBPVP8 ", "a.webp", "image/webp"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "rapport.docx", "application/pdf"),
        (b"Bilan de la rencontre\n\nOrdre du jour : habitation", "notes.txt", "text/plain"),
        ("Économie sociale à Lévis — bilan".encode("cp1252"), "bilan.txt", "text/plain"),
        (b"# Compte rendu\n\n- point 1", "compte-rendu.md", "text/markdown"),
        (b"# Compte rendu\n\n- point 1", "compte-rendu.markdown", "text/markdown"),
        (b"# Compte rendu\n\n- point 1", "compte-rendu.txt", "text/plain"),
        (b"\xef\xbb\xbf<!DOCTYPE html>\n<html><body>Bonjour</body></html>", "page.txt", "text/html"),
        (b"  <!-- export -->\n<HTML lang='fr'><body>x</body></HTML>", "page", "text/html"),
        ("Coopérative".encode("utf-16"), "utf16.txt", "text/plain"),
        (b"Ceci parle du format %PDF-1.4 dans un texte.", "notes.txt", "text/plain"),
    ],
)
def test_sniff_decides_from_the_content(head, filename, mimetype):
    kind = sniff(head, filename)
    assert isinstance(kind, FileKind)
    assert kind.mimetype == mimetype
    assert kind.label == ALLOWED[mimetype] and kind.extension.startswith(".")


@pytest.mark.parametrize(
    "head",
    [
        b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 56,  # an executable
        b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 56 + b"%PDF-1.4\n",  # an executable with a PDF inside
        b"MZ\x90\x00\x03\x00\x00\x00\x04\x00",  # a Windows executable
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64,  # a legacy .doc
        b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        b"\x1f\x8b\x08\x00\x00\x00\x00\x00",  # gzip
        b"\x01\x02\x03\x04\x05\x06\x07\x08 binary \x0e\x0f\x10\x11",
        b"",
    ],
)
def test_sniff_refuses_what_is_not_accepted(head):
    assert sniff(head, "fichier.txt") is None


def test_sniff_file_tells_office_containers_apart(tmp_path):
    assert sniff_file(make_docx(tmp_path / "a.bin")).mimetype == DOCX
    assert sniff_file(make_pptx(tmp_path / "b.docx")).mimetype == PPTX
    assert sniff_file(make_xlsx(tmp_path / "c.pdf")).mimetype == XLSX
    assert sniff_file(make_odt(tmp_path / "d.zip")).mimetype == ODT
    # from the first bytes only, through the local headers
    assert sniff((tmp_path / "a.bin").read_bytes()[:8192]).mimetype == DOCX
    assert sniff((tmp_path / "d.zip").read_bytes()[:8192]).mimetype == ODT


def test_sniff_file_refuses_other_zips_and_renamed_files(tmp_path):
    plain = tmp_path / "archive.docx"
    with zipfile.ZipFile(plain, "w") as archive:
        archive.writestr("rapport.txt", "pas un document Word")
    assert sniff_file(plain) is None
    spreadsheet = tmp_path / "tableur.odt"
    make_odt(spreadsheet)
    with zipfile.ZipFile(spreadsheet, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", "<x/>")
    assert sniff_file(spreadsheet) is None
    macro = replace_zip_entry(make_docx(tmp_path / "m.docx"), tmp_path / "macro.docx", "word/vbaProject.bin", b"")
    with zipfile.ZipFile(macro, "a") as archive:
        archive.writestr("word/vbaProject.bin", b"\xd0\xcf\x11\xe0")
    assert sniff_file(macro) is None
    assert sniff_file(write(tmp_path / "photo.pdf", PNG_BYTES)).mimetype == "image/png"
    assert sniff_file(write(tmp_path / "rapport.docx", make_pdf([pdf_text_stream(["x"])]))).mimetype == "application/pdf"
    assert sniff_file(write(tmp_path / "outil.txt", b"\x7fELF\x02\x01\x01" + b"\x00" * 200)) is None
    assert sniff_file(tmp_path / "absent.txt") is None


# --- extraction of real files ----------------------------------------------------------------


def test_docx_paragraphs_tables_and_headers(tmp_path):
    result = extract_text(make_docx(tmp_path / "politique.docx"), DOCX)
    assert result.status == "ok", result.reason
    assert TITLE in result.text
    assert "entreprises d'économie sociale" in result.text
    assert "Retombées sociales locales 20 %" in result.text  # a table row on one line
    assert "Service de l'approvisionnement" in result.text
    assert result.reason == "" and result.pages is None


def test_pptx_slides_tables_and_notes(tmp_path):
    result = extract_text(make_pptx(tmp_path / "presentation.pptx"), PPTX)
    assert result.status == "ok", result.reason
    assert result.pages == 2
    for words in ("Bons et mauvais coups", "Récit d'implantation à Trois-Rivières", "coopératives d'habitation",
                  "Chantier de l'économie sociale 15 000 $"):
        assert words in result.text


def test_xlsx_values_of_every_sheet(tmp_path):
    result = extract_text(make_xlsx(tmp_path / "budget.xlsx"), XLSX)
    assert result.status == "ok", result.reason
    assert "Matières résiduelles 1250 2024-05-17" in result.text
    assert "Municipalités\nLévis Sherbrooke Québec" in result.text
    assert result.pages is None


def test_odt_content_read_with_defusedxml(tmp_path):
    result = extract_text(make_odt(tmp_path / "reglement.odt"), ODT)
    assert result.status == "ok", result.reason
    assert result.text.startswith("Règlement sur les projets d'habitation\n\n")
    assert "La gestion des parcs et la revitalisation\ndes artères commerciales." in result.text
    assert "Fiche : bonne pratique de Sherbrooke" in result.text and "Cellule élevée" in result.text
    assert "Texte supprimé" not in result.text


def test_pdf_text_with_winansi_accents_and_page_count(tmp_path):
    streams = [pdf_text_stream([TITLE, "Conseillère en développement"]), pdf_text_stream(["Procès-verbal de la rencontre"])]
    result = extract_text(write(tmp_path / "politique.pdf", make_pdf(streams)), "application/pdf")
    assert result.status == "ok", result.reason
    assert result.pages == 2
    for words in ("Lévis", "économie sociale", "approvisionnement responsable", "Conseillère", "Procès-verbal"):
        assert words in result.text


def test_pdf_without_text_is_empty(tmp_path):
    result = extract_text(write(tmp_path / "scan.pdf", make_pdf([b"0 0 m 100 100 l S"])), "application/pdf")
    assert result == ExtractionResult("empty", "", "", 1)


def test_encrypted_pdf_opens_with_an_empty_user_password_and_fails_with_a_real_one(tmp_path):
    from pypdf import PdfReader, PdfWriter

    source = write(tmp_path / "source.pdf", make_pdf([pdf_text_stream(["Bonne pratique de Gatineau"])]))
    for name, user_password in (("restreint.pdf", ""), ("secret.pdf", "motdepasse")):
        writer = PdfWriter(clone_from=PdfReader(source))
        writer.encrypt(user_password=user_password, owner_password="proprietaire", algorithm="AES-128")
        writer.write(tmp_path / name)
    assert extract_text(tmp_path / "restreint.pdf", "application/pdf").text == "Bonne pratique de Gatineau"
    locked = extract_text(tmp_path / "secret.pdf", "application/pdf")
    assert locked.status == "failed" and locked.reason.startswith("encrypted: ")


def test_html_drops_scripts_and_styles(tmp_path):
    page = (
        "<!DOCTYPE html><html lang='fr'><head><title>Fiche &eacute;tude de cas</title>"
        "<style>body { color: red }</style><script>var secret = 'NE_PAS_INDEXER';</script></head>"
        "<body><h1>Habitation   communautaire</h1><p>Itinérance&nbsp;: <b>bons</b> coups<br>à Québec</p>"
        "<table><tr><td>Coût</td><td>12 $</td></tr></table><script>alert('NE_PAS_INDEXER')</script></body></html>"
    )
    result = extract_text(write(tmp_path / "fiche.html", page.encode("utf-8")), "text/html")
    assert result.status == "ok", result.reason
    assert "NE_PAS_INDEXER" not in result.text and "color" not in result.text
    assert result.text == "Fiche étude de cas\n\nHabitation communautaire\n\nItinérance : bons coups\nà Québec\n\nCoût 12 $"


def test_text_in_cp1252_and_markdown_as_is(tmp_path):
    latin = "Économie sociale à Lévis\r\n\r\n\r\nCoopératives — bilan\t\t2024".encode("cp1252")
    result = extract_text(write(tmp_path / "bilan.txt", latin), "text/plain")
    assert result == ExtractionResult("ok", "Économie sociale à Lévis\n\nCoopératives — bilan 2024", "", None)
    markdown = "# Ordre du jour\n\n1. **Approvisionnement** responsable\n".encode("utf-8")
    result = extract_text(write(tmp_path / "odj.md", markdown), "text/markdown")
    assert result.text == "# Ordre du jour\n\n1. **Approvisionnement** responsable"


def test_images_are_empty_without_ocr(tmp_path):
    assert extract_text(write(tmp_path / "photo.png", PNG_BYTES), "image/png") == ExtractionResult("empty", "", "", None)


def test_text_is_capped_at_a_word_boundary(tmp_path):
    words = " ".join(["municipalité"] * 1000)
    result = extract_text(write(tmp_path / "long.txt", words.encode()), "text/plain", max_text_chars=100)
    assert result.status == "ok" and len(result.text) <= 100
    assert result.text.split(" ") == ["municipalité"] * len(result.text.split(" "))


def test_whitespace_is_normalized():
    text = "  Séance\u00a0du  conseil\u202f:\tjeudi \n\n\n\n Point\u00ad 2\x0c Varia  "
    assert extraction.normalize_text(text) == "Séance du conseil : jeudi\n\nPoint 2\n\nVaria"
    assert extraction.normalize_text("e\u0301conomie") == "économie"


# --- hostile files ---------------------------------------------------------------------------


def test_zip_bomb_disguised_as_docx_is_refused_without_inflating_it(tmp_path):
    bomb = zip_bomb_docx(tmp_path / "bombe.docx")
    assert bomb.stat().st_size < 2 * 1024 * 1024
    assert sniff_file(bomb).mimetype == DOCX
    result = extract_text(bomb, DOCX, timeout=10)
    assert result.status == "failed"
    assert result.reason.startswith("zip_bomb: ")


def test_too_many_or_too_big_entries_are_refused(tmp_path):
    big = tmp_path / "gros.docx"
    big.write_bytes(raw_zip([stored("[Content_Types].xml", CONTENT_TYPES), stored("word/document.xml", b"<x/>" * 300_000)]))
    result = extract_text(big, DOCX, max_unzipped_mb=1)
    assert result.status == "failed" and result.reason.startswith("too_large: ")
    many = tmp_path / "nombreux.docx"
    many.write_bytes(raw_zip([stored("[Content_Types].xml", CONTENT_TYPES)] + [stored(f"word/{i}.xml", b"") for i in range(10_001)]))
    assert extract_text(many, DOCX).reason.startswith("zip_bomb: ")


def test_entry_names_escaping_the_archive_are_refused(tmp_path):
    evil = tmp_path / "evasion.docx"
    evil.write_bytes(raw_zip([stored("[Content_Types].xml", CONTENT_TYPES), stored("word/../../etc/passwd", b"x")]))
    result = extract_text(evil, DOCX)
    assert result.status == "failed" and result.reason.startswith("corrupt: ")


def test_billion_laughs_in_a_docx_fails_fast(tmp_path):
    entities = '<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{i} "{("&lol%s;" % (i - 1 if i > 1 else "")) * 10}">' for i in range(1, 10)
    )
    document = (
        f'<?xml version="1.0"?><!DOCTYPE lolz [{entities}]>'
        '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        "<w:body><w:p><w:r><w:t>&lol9;</w:t></w:r></w:p></w:body></w:document>"
    )
    source = make_docx(tmp_path / "sain.docx")
    laughs = replace_zip_entry(source, tmp_path / "rires.docx", "word/document.xml", document.encode())
    result = extract_text(laughs, DOCX, timeout=10)
    assert result.status == "failed"
    assert result.reason.startswith("corrupt: ") and "DTD" in result.reason


def test_truncated_pdf_is_corrupt(tmp_path):
    whole = make_pdf([pdf_text_stream([TITLE])])
    for name, data in (("coupe.pdf", whole[: len(whole) // 3]), ("abime.pdf", b"%PDF-1.7\n" + b"\x00garbage" * 200)):
        result = extract_text(write(tmp_path / name, data), "application/pdf")
        assert result.status == "failed", name
        assert result.reason.startswith("corrupt: "), result.reason


def test_docx_that_is_not_a_zip_is_corrupt(tmp_path):
    result = extract_text(write(tmp_path / "faux.docx", b"PK\x03\x04 tronque"), DOCX)
    assert result.status == "failed" and result.reason.startswith("corrupt: ")


def test_slow_extraction_is_killed_at_the_timeout(tmp_path):
    # 3 000 pages of 200 lines each: minutes of work for the PDF parser.
    lines = [f"Ligne {i} du procès-verbal de la rencontre" for i in range(200)]
    slow = write(tmp_path / "lent.pdf", make_pdf([pdf_text_stream(lines)], page_count=3000))
    started = time.monotonic()
    result = extract_text(slow, "application/pdf", timeout=0.5, max_text_chars=10**9)
    elapsed = time.monotonic() - started
    assert result.status == "failed" and result.reason.startswith("timeout: ")
    assert elapsed < 0.5 + 2


def test_memory_limit_gives_a_memory_failure(tmp_path):
    big = tmp_path / "enorme.txt"
    with big.open("wb") as handle:
        for _ in range(48):
            handle.write(b"approvisionnement responsable " * 35_000)  # ~1 MB each
    result = extract_text(big, "text/plain", memory_mb=64, max_text_chars=10**9)
    assert result.status == "failed" and result.reason.startswith("memory: "), result.reason


def test_bad_arguments_do_not_raise(tmp_path):
    assert extract_text(tmp_path / "absent.pdf", "application/pdf").reason.startswith("corrupt: ")
    svg = write(tmp_path / "dessin.svg", b"<svg xmlns='http://www.w3.org/2000/svg'/>")
    assert extract_text(svg, "image/svg+xml").reason.startswith("unsupported: ")
    assert extract_text(svg, "application/x-msdownload").status == "failed"


def test_module_works_without_flask():
    """A worker or a benchmark can load the file alone: no Flask, no application."""
    code = (
        "import importlib.util, sys\n"
        "sys.modules['flask'] = None\n"
        f"spec = importlib.util.spec_from_file_location('extraction', {extraction.__file__!r})\n"
        "module = importlib.util.module_from_spec(spec); spec.loader.exec_module(module)\n"
        "print(module.sniff(b'%PDF-1.4').label)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30, cwd=os.sep)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "PDF"


def _children_of(pid):
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def _alive(pid):
    """True while the process exists and is not a zombie (one nobody reaped still holds its pid)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads the process table from /proc")
def test_the_extraction_process_dies_with_its_parent(tmp_path):
    """A server killed mid-extraction (SIGKILL: no cleanup runs) leaves no extraction process behind.
    The child here waits for ever: its file is a named pipe that nobody writes."""
    fifo = tmp_path / "bloque.txt"
    os.mkfifo(fifo)
    code = (
        "import importlib.util, sys\n"
        f"spec = importlib.util.spec_from_file_location('extraction', {extraction.__file__!r})\n"
        "module = importlib.util.module_from_spec(spec); spec.loader.exec_module(module)\n"
        f"job = {{'path': {str(fifo)!r}, 'mimetype': 'text/plain', 'timeout': 600.0, 'memory_mb': 512,"
        " 'max_text_chars': 1000, 'max_unzipped_mb': 10}\n"
        "module._run_child(job, 600.0)\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", code], cwd=os.sep)
    child = None
    try:
        deadline = time.monotonic() + 30
        while child is None and time.monotonic() < deadline:
            found = _children_of(parent.pid)
            child = found[0] if found else None
            time.sleep(0.05)
        assert child is not None, "the extraction process did not start"
        # Let it reach the pipe (where the kernel shows it waiting for a writer), a few seconds at most;
        # a parent dying earlier must end it all the same.
        ready_by = time.monotonic() + 5
        while time.monotonic() < ready_by and _alive(child) and Path(f"/proc/{child}/wchan").read_text() != "wait_for_partner":
            time.sleep(0.05)
        assert _alive(child)
        parent.kill()
        parent.wait(timeout=10)
        gone_by = time.monotonic() + 5
        while _alive(child) and time.monotonic() < gone_by:
            time.sleep(0.05)
        assert not _alive(child), "the extraction process outlived its parent"
    finally:
        if parent.poll() is None:
            parent.kill()
        if child is not None and _alive(child):
            os.kill(child, 9)
