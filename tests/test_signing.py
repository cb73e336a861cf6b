"""The numbered MoU/PKS signed with a PKCS#12 (PAdES) is accepted by pyHanko's validator."""

from __future__ import annotations

import asyncio
import io
from datetime import UTC, datetime, timedelta

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
from pypdf import PdfReader

from handlers.documents import numbered_files
from storage.models import Case
from tests import records_seed as rs
from workflow import documents, records, signing
from workflow.signing import Certificate


def _certificate() -> tuple[bytes, x509.Certificate]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Hendra Gunawan")])
    now = datetime.now(UTC)
    usage = x509.KeyUsage(
        digital_signature=True,
        content_commitment=True,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=True,
        crl_sign=False,
        encipher_only=False,
        decipher_only=False,
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(usage, critical=True)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    p12 = pkcs12.serialize_key_and_certificates(
        b"kadis", key, cert, None, serialization.BestAvailableEncryption(b"rahasia")
    )
    return p12, cert


def test_signed_agreement_validates_and_keeps_its_text() -> None:
    p12, cert = _certificate()
    pdf = documents.pdf("<p>Nomor: 000.8.3.3/1/DISKOMINFO-IKP/2026</p>")
    signed = signing.sign_pdf(
        pdf, signing.Certificate(p12, b"rahasia"), reason="MoU/PKS", location="Sanggau"
    )
    reader = PdfFileReader(io.BytesIO(signed))
    (signature,) = reader.embedded_signatures
    assert signature.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"  # PAdES
    root = asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))
    status = validate_pdf_signature(signature, ValidationContext(trust_roots=[root]))
    assert status.intact and status.valid and status.trusted
    assert (
        "000.8.3.3/1/DISKOMINFO-IKP/2026" in PdfReader(io.BytesIO(signed)).pages[0].extract_text()
    )

    tampered = signed.replace(b"(Sanggau)", b"(Sangga_)")  # a signed byte changed
    assert tampered != signed
    bad = PdfFileReader(io.BytesIO(tampered)).embedded_signatures[0]
    assert not validate_pdf_signature(bad, ValidationContext(trust_roots=[root])).intact


async def test_numbered_agreement_is_signed_only_where_the_head_signed(sessions) -> None:
    p12, _cert = _certificate()
    certificate = Certificate(p12, b"rahasia")
    for sop_id, signed in ((rs.SANGGAU, True), (rs.TRENGGALEK, False)):
        seeded = await rs.seed(sessions, sop_id)
        async with sessions() as s:
            case = await s.get(Case, seeded.case_id)
            data = await records.draft(s, case, seeded.clock.now())
        # As the bot does: after the commit, in a thread (pyHanko runs its own event loop).
        draft = documents.draft_docx(data)
        pdf, word = await asyncio.to_thread(numbered_files, draft, data, certificate)
        assert len(PdfFileReader(io.BytesIO(pdf)).embedded_signatures) == (1 if signed else 0)
        assert word.startswith(b"PK")  # the numbered .docx beside it
