"""The SOP's records drawn as files: PDF (WeasyPrint, from HTML templates), Word (docxtpl), Excel.

Templates live under ``templates/documents/`` (package data, read through importlib), so an
office restyles its letterhead and wording there. Every function here is CPU work on plain
data from ``workflow.records``: callers run it after the commit, in a drawing worker
(``workflow.drawing``).
"""

from __future__ import annotations

import io
import re
from datetime import date, datetime
from functools import lru_cache
from importlib.resources import files
from typing import Any
from zoneinfo import ZoneInfo

from babel.numbers import format_decimal
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

# Loaded with the module (pango and fonts take seconds): at start, not while a receipt waits.
from workflow import records, timefmt

PACKAGE = "templates"
FOLDER = "documents"
NUMBER_BLANK = "........................"  # where the admin's number goes in a draft
NAME_BLANK = "(" + "_" * 30 + ")"  # a name the SOP does not give: written by hand
MEDIA_KINDS = {"cetak": "media cetak", "online": "media online", "elektronik": "media elektronik"}


# ---------------------------------------------------------------- formatting (filters)


def rupiah(amount: int | None) -> str:
    """1500000 -> "Rp1.500.000" (the Indonesian grouping, no decimals)."""
    return "Rp" + format_decimal(amount or 0, format="#,##0", locale="id")


def tanggal(value: date | datetime | None, tz: str = "Asia/Jakarta") -> str:
    """A date as an office writes it: "4 Juni 2025" (datetimes on the office's wall clock)."""
    if value is None:
        return "-"
    if isinstance(value, datetime):
        value = value.astimezone(ZoneInfo(tz)).date()
    return timefmt.format_date(value)


def waktu(value: datetime | None, tz: str = "Asia/Jakarta") -> str:
    """ "4 Juni 2025 pukul 10.15 WIB" """
    if value is None:
        return "-"
    local = value.astimezone(ZoneInfo(tz))
    zone = timefmt.ZONE_ABBREVIATIONS.get(tz, "")
    return f"{timefmt.format_date(local.date())} pukul {local:%H.%M} {zone}".rstrip()


def media_kind(kind: str) -> str:
    return MEDIA_KINDS.get(kind, kind)


def _filters(env: Environment) -> Environment:
    env.filters["rupiah"] = rupiah
    env.filters["tanggal"] = tanggal
    env.filters["waktu"] = waktu
    env.filters["media"] = media_kind
    return env


@lru_cache(maxsize=1)
def environment() -> Environment:
    return _filters(
        Environment(
            loader=PackageLoader(PACKAGE, FOLDER),
            autoescape=select_autoescape(enabled_extensions=("j2", "html"), default=True),
            trim_blocks=True,
            lstrip_blocks=True,
            undefined=StrictUndefined,
        )
    )


def resource(name: str) -> bytes:
    return files(PACKAGE).joinpath(FOLDER, name).read_bytes()


def html(template: str, **context: Any) -> str:
    css = Markup(resource("style.css").decode())  # our own file, not user input
    return environment().get_template(template).render(css=css, **context)


def pdf(markup: str) -> bytes:
    # Imported when drawing: WeasyPrint loads pango and its fonts (about 40 MB, seconds of
    # start-up) that a bot answering /bantuan never needs.
    from weasyprint import HTML

    return bytes(HTML(string=markup).write_pdf(font_config=font_config()))


@lru_cache(maxsize=1)
def font_config() -> Any:
    """One fontconfig set-up for every PDF this process draws (a drawing worker lives long)."""
    from weasyprint.text.fonts import FontConfiguration

    _drop_layout_tables_first()
    return FontConfiguration()


def _drop_layout_tables_first() -> None:
    """Font subsetting was a fifth of the bot's CPU: without HarfBuzz's subsetter (the
    libharfbuzz-subset0 system package), WeasyPrint subsets each font of each PDF with fontTools,
    asking it to drop the GSUB/GPOS layout tables, which a PDF never uses. fontTools (4.68) first
    decodes those tables whole (``_compact_layout_tables``, about 60 ms a font for DejaVu) and
    only then drops them. Dropping them before that yields the same glyphs for a quarter less
    CPU per PDF (measured: 260 -> 150-190 ms for a two-page draft); the tables it drops are
    only those WeasyPrint asked it to drop."""
    from fontTools import subset

    if getattr(subset.Subsetter, "drops_first", False):
        return

    class DropFirst(subset.Subsetter):  # type: ignore[misc]
        drops_first = True

        def subset(self, font: Any) -> None:
            for tag in list(font.keys()):
                if tag.strip() in self.options.drop_tables:
                    del font[tag]
            super().subset(font)

    subset.Subsetter = DropFirst  # WeasyPrint looks it up on the module at each subset


def warm_up() -> None:
    """Loads pango, the fonts and the Word/Excel libraries (a drawing worker's first task)."""
    import docx  # noqa: F401
    import docxtpl  # noqa: F401
    import openpyxl  # noqa: F401

    environment()
    pdf("<p>.</p>")


# ---------------------------------------------------------------- the records


def receipt_pdf(data: records.Receipt) -> bytes:
    return pdf(html("tanda_terima.html.j2", r=data, tz=data.office.timezone))


def evaluation_pdf(data: records.EvaluationSheet) -> bytes:
    return pdf(html("lembar_evaluasi.html.j2", r=data, tz=data.office.timezone))


def disposition_pdf(data: records.Disposition) -> bytes:
    return pdf(html("lembar_disposisi.html.j2", r=data, tz=data.office.timezone))


def draft_docx(data: records.Draft) -> bytes:
    """The editable MoU/PKS draft, filled from the case (docxtpl on a Word template)."""
    from docxtpl import DocxTemplate

    template = DocxTemplate(io.BytesIO(resource("konsep_mou_pks.docx")))
    env = _filters(Environment(autoescape=True, undefined=StrictUndefined))
    context = {
        "d": data,
        "tz": data.office.timezone,
        "number": data.number or NUMBER_BLANK,
        "head_name": data.office.head_name or NAME_BLANK,
        "head_nip": data.office.head_nip or NUMBER_BLANK,
    }
    template.render(context, env)
    out = io.BytesIO()
    template.save(out)
    return out.getvalue()


def number_docx(content: bytes, number: str) -> bytes:
    """The newest draft (generated or edited by an official) with the admin's number in it."""
    from docx import Document as Word

    document = Word(io.BytesIO(content))
    for paragraph in _paragraphs(document):
        if NUMBER_BLANK in paragraph.text:
            text = paragraph.text.replace(NUMBER_BLANK, number)
            runs = paragraph.runs
            runs[0].text = text
            for run in runs[1:]:
                run.text = ""
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def docx_pdf(content: bytes, *, final: records.Draft | None = None) -> bytes:
    """A Word draft laid out as PDF (paragraphs, headings, bold, centred lines and tables), so the
    head of office reads exactly the text of the version he signs. ``final``: the numbered
    agreement, stamped with its number (and signature, where the SOP has a signing step)."""
    from docx import Document as Word

    document = Word(io.BytesIO(content))
    body = Markup(_docx_body(document, _StyleNames(document)))  # built from escaped text above
    tz = final.office.timezone if final else "Asia/Jakarta"
    return pdf(html("docx.html.j2", body=body, final=final, tz=tz))


def _paragraphs(document: Any) -> list[Any]:
    found = list(document.paragraphs)
    for table in document.tables:
        for row in table.rows:
            for cell in row.cells:
                found.extend(cell.paragraphs)
    return found


class _StyleNames:
    """Paragraph style id -> lower-case name, read once per document: python-docx's
    ``paragraph.style`` scans every style of the document for each paragraph."""

    def __init__(self, document: Any) -> None:
        from docx.enum.style import WD_STYLE_TYPE

        self.names: dict[str, str] = {}
        self.default = ""
        for style in document.styles:
            if style.type != WD_STYLE_TYPE.PARAGRAPH:
                continue
            self.names[style.style_id] = (style.name or "").lower()
            if style.element.default:
                self.default = (style.name or "").lower()

    def of(self, paragraph: Any) -> str:
        style_id = paragraph._p.style
        if style_id is None:
            return self.default
        return self.names.get(style_id, self.default)


def _docx_body(document: Any, styles: _StyleNames) -> str:
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    parts: list[str] = []
    for block in document.element.body.iterchildren():
        tag = block.tag.rsplit("}", 1)[-1]
        if tag == "p":
            parts.append(_paragraph_html(Paragraph(block, document), styles))
        elif tag == "tbl":
            table = Table(block, document)
            rows = []
            for row in table.rows:
                cells = "".join(
                    "<td>" + "".join(_paragraph_html(p, styles) for p in cell.paragraphs) + "</td>"
                    for cell in row.cells
                )
                rows.append(f"<tr>{cells}</tr>")
            parts.append('<table class="docx">' + "".join(rows) + "</table>")
    return "\n".join(parts)


def _lines(text: str) -> str:
    return "<br>".join(str(escape(line)) for line in text.split("\n"))


_PAGE_BREAK = './/w:br[@w:type="page"]'


def _paragraph_html(paragraph: Any, styles: _StyleNames) -> str:
    # An XPath test, not ``'w:type="page"' in paragraph._p.xml``: that serialised every
    # paragraph of the draft to a string.
    if paragraph._p.xpath(_PAGE_BREAK):
        return '<div class="page-break"></div>'
    text = "".join(
        f"<b>{_lines(run.text)}</b>" if run.bold else _lines(run.text) for run in paragraph.runs
    )
    if not text.strip():
        return '<p class="blank">&nbsp;</p>'
    style = styles.of(paragraph)
    align = paragraph.alignment
    classes = []
    if align is not None and int(align) == 1:
        classes.append("center")
    elif align is not None and int(align) == 2:
        classes.append("right")
    elif align is not None and int(align) == 3:
        classes.append("justify")
    attr = f' class="{" ".join(classes)}"' if classes else ""
    if style == "title":
        return f"<h1{attr}>{text}</h1>"
    heading = re.match(r"heading (\d)", style)
    if heading:
        level = min(int(heading.group(1)) + 1, 4)
        return f"<h{level}{attr}>{text}</h{level}>"
    return f"<p{attr}>{text}</p>"


# ---------------------------------------------------------------- workbooks

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF_MIME = "application/pdf"


def agenda_xlsx(years: dict[int, list[records.AgendaRow]], office: str, tz: str) -> bytes:
    """The buku agenda: one sheet per year, frozen header, filters on every column."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    book = Workbook()
    book.remove(book.active)  # type: ignore[arg-type]
    headers = (
        "No. agenda",
        "Tanggal diterima",
        "Pemohon",
        "Media",
        "Perihal",
        "Langkah saat ini",
        "Status",
        "Tanggal selesai",
    )
    for year in sorted(years) or [0]:
        sheet = book.create_sheet(str(year))
        sheet.append([f"Buku Agenda {year} — {office}"])
        sheet["A1"].font = Font(bold=True, size=12)
        sheet.append(list(headers))
        for cell in sheet[2]:
            cell.font = Font(bold=True)
        for row in years.get(year, []):
            sheet.append(
                [
                    row.agenda_number,
                    tanggal(row.received_at, tz),
                    row.applicant,
                    row.outlet,
                    row.subject,
                    row.step,
                    STATUS.get(row.status, row.status),
                    tanggal(row.closed_at, tz) if row.closed_at else "",
                ]
            )
        sheet.freeze_panes = "A3"
        sheet.auto_filter.ref = f"A2:H{max(sheet.max_row, 2)}"
        for column, width in zip("ABCDEFGH", (26, 18, 24, 24, 40, 26, 14, 18), strict=True):
            sheet.column_dimensions[column].width = width
        for cells in sheet.iter_rows(min_row=3):
            for cell in cells:
                cell.alignment = Alignment(vertical="top", wrap_text=True)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def outlets_xlsx(rows: list[dict[str, Any]], office: str) -> bytes:
    """The register of media outlets: one row each, frozen header, filters on every column."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Register media"
    headers = (
        "Kode",
        "Nama media",
        "Jenis",
        "Badan hukum",
        "NIB",
        "NPWP",
        "Alamat",
        "Situs/kanal",
        "Dewan Pers",
        "Tanggal verifikasi",
        "Peringkat",
        "Terdaftar",
        "Berlaku s.d.",
        "Status",
        "Wartawan",
        "Dokumen kurang",
    )
    sheet.append([f"Register Media — {office}"])
    sheet["A1"].font = Font(bold=True, size=12)
    sheet.append(list(headers))
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for row in rows:
        o = row["outlet"]
        sheet.append(
            [
                o.code or "",
                o.name,
                o.kind,
                (o.legal_form or "").upper() if o.legal_form == "pt" else (o.legal_form or ""),
                o.nib or "",
                o.npwp or "",
                o.address or "",
                o.website or "",
                o.dewan_pers or "",
                o.dewan_pers_date,
                row["grade"],
                o.registered_on,
                o.registered_until,
                "habis" if row["lapsed"] else "berlaku",
                ", ".join(row["members"]),
                ", ".join(row["missing"]),
            ]
        )
    last = get_column_letter(len(headers))
    sheet.freeze_panes = "A3"
    sheet.auto_filter.ref = f"A2:{last}{max(sheet.max_row, 2)}"
    for index in range(1, len(headers) + 1):
        sheet.column_dimensions[get_column_letter(index)].width = 18
    for cells in sheet.iter_rows(min_row=3):
        for cell in cells:
            cell.alignment = Alignment(vertical="top", wrap_text=True)
            if isinstance(cell.value, date):
                cell.number_format = "DD-MM-YYYY"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def get_column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter as letter

    return str(letter(index))


STATUS = {
    "open": "diproses",
    "returned": "dikembalikan",
    "closed": "selesai",
    "completed": "selesai",
    "rejected": "ditolak",
    "archived": "didokumentasikan",
}


def recap_xlsx(data: records.Recap) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    tz = data.office.timezone
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = f"Periode {data.period}"
    sheet.append([f"Rekap berita dan SPJ — {data.office.name}"])
    sheet["A1"].font = Font(bold=True, size=12)
    sheet.append(["No. agenda", data.case.agenda_number or "-"])
    sheet.append(["No. MoU/PKS", data.agreement_number or "-"])
    sheet.append(["Media", data.case.outlet_name])
    sheet.append(["Periode", f"{data.period} dari {data.terms.periods} {data.terms.period_label}"])
    sheet.append([])
    header = ["No", "Judul", "Tautan", "Tanggal tayang", "Tanggal dilaporkan", "Batas lapor"]
    sheet.append([*header, "Ketepatan", "Klasifikasi"])
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    first = sheet.max_row
    for number, item in enumerate(data.items, 1):
        sheet.append(
            [
                number,
                item.title,
                item.url,
                tanggal(item.published_on, tz),
                tanggal(item.reported_on, tz),
                tanggal(item.due_on, tz),
                ("terlambat" if item.late else "tepat waktu")
                + (f" (dihitung: {item.included})" if item.included else ""),
                item.classification or "-",
            ]
        )
    sheet.freeze_panes = f"A{first + 1}"
    sheet.auto_filter.ref = f"A{first}:H{max(sheet.max_row, first)}"
    sheet.append([])
    for name, value in (
        ("Berita sesuai kesepakatan", data.terms.news_per_period),
        ("Berita diterima", len(data.items)),
        ("Berita tepat waktu", data.on_time),
        ("Berita dibayar", data.counted),
        (
            (f"Tarif per {data.terms.period_label}", rupiah(data.terms.tariff_per_period))
            if data.terms.tariff_per_period is not None
            else ("Tarif per berita", rupiah(data.terms.tariff_per_item))
        ),
        ("Jumlah dibayarkan", rupiah(data.amount_due)),
    ):
        sheet.append([name, value])
    for column, width in zip("ABCDEFGH", (26, 44, 40, 18, 18, 18, 14, 16), strict=True):
        sheet.column_dimensions[column].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def recap_pdf(data: records.Recap) -> bytes:
    return pdf(html("rekap_spj.html.j2", r=data, tz=data.office.timezone))
