"""Small files that are expensive to read, as the attacks of issue 15 sent them; generated in memory, never
committed. Imported by tests/text/test_sandbox.py and tests/api/test_attacks.py (``from text.heavy_documents
import ...``: tests/ is on the path through its conftest.py).
"""

from __future__ import annotations

import io
import zipfile

W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


def heavy_pdf(pages: int = 30, operators: int = 200_000, first_page_text: str = "") -> bytes:
    """A PDF of a few KB whose pages share one Flate stream of ``operators`` text-showing operators that show
    nothing (``() Tj``): pypdf spends seconds per page on it and finds no text (issue 15: 30 pages held a core for
    about two minutes). ``first_page_text``: a first page with that much real text before the heavy ones."""
    from pypdf import PdfWriter
    from pypdf.generic import DictionaryObject, NameObject, StreamObject

    writer = PdfWriter()
    font = writer._add_object(DictionaryObject({
        NameObject("/Type"): NameObject("/Font"), NameObject("/Subtype"): NameObject("/Type1"),
        NameObject("/BaseFont"): NameObject("/Helvetica")}))
    resources = DictionaryObject({NameObject("/Font"): DictionaryObject({NameObject("/F1"): font})})

    def stream(content: bytes) -> object:
        s = StreamObject()
        s._data = content
        return writer._add_object(s.flate_encode())

    contents = []
    if first_page_text:
        escaped = first_page_text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        contents.append(stream(f"BT /F1 9 Tf 20 800 Td ({escaped}) Tj ET".encode("latin-1")))
    heavy = stream(b"BT /F1 1 Tf () Tj ET\n" * operators)
    contents += [heavy] * pages
    for ref in contents:
        page = writer.add_blank_page(595, 842)
        page[NameObject("/Resources")] = resources
        page[NameObject("/Contents")] = ref
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def heavy_docx(paragraphs: int = 900_000, letter: str = "a") -> bytes:
    """A DOCX of about 90 KB whose word/document.xml holds ``paragraphs`` one-letter paragraphs (900 000: 30.6 MB of
    XML, which took python-docx to about 470 MB per file in issue 15)."""
    content_types = (
        '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.'
        'wordprocessingml.document.main+xml"/></Types>')
    rels = ('<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
            'officeDocument" Target="word/document.xml"/></Relationships>')
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", content_types)
        archive.writestr("_rels/.rels", rels)
        with archive.open("word/document.xml", "w") as member:
            member.write(f'<?xml version="1.0"?><w:document {W}><w:body>'.encode())
            chunk = f"<w:p><w:r><w:t>{letter}</w:t></w:r></w:p>".encode() * 10_000
            for _ in range(paragraphs // 10_000):
                member.write(chunk)
            member.write(f"<w:p><w:r><w:t>{letter}</w:t></w:r></w:p>".encode() * (paragraphs % 10_000))
            member.write(b"</w:body></w:document>")
    return buf.getvalue()


def xml_size(docx: bytes) -> int:
    with zipfile.ZipFile(io.BytesIO(docx)) as archive:
        return sum(i.file_size for i in archive.infolist() if i.filename.endswith((".xml", ".rels")))
