from __future__ import annotations

from leadsync.mapping.model import Lead
from leadsync.sync.matching.keys import blocking_keys, build_key


def test_email_key_folds_plus_tags_and_gmail_dots() -> None:
    a = build_key(Lead(email="John.Smith+news@GoogleMail.com"))
    b = build_key(Lead(email="johnsmith@gmail.com"))
    assert a.email == b.email == "johnsmith@gmail.com"
    assert a.free_mail


def test_free_mail_domain_is_never_a_business_domain() -> None:
    rec = build_key(Lead(email="ann@gmail.com"))
    assert rec.domain is None
    assert not any(k.startswith("d|") for k in blocking_keys(rec))


def test_business_domain_from_email_or_website() -> None:
    assert build_key(Lead(email="ann@mail.acme.com")).domain == "acme.com"
    assert build_key(Lead(website_domain="https://www.globex.com/x")).domain == "globex.com"


def test_phone_formats_normalise_to_one_value() -> None:
    phones = {build_key(Lead(phone=p)).phone for p in ("(415) 555-0123", "+1 415 555 0123")}
    assert phones == {"+14155550123"}


def test_full_name_typed_into_first_name_is_split() -> None:
    rec = build_key(Lead(first_name="Mary Ann Jones"))
    assert (rec.first, rec.last) == ("mary", "jones")


def test_swapped_names_share_a_name_block() -> None:
    a = build_key(Lead(first_name="John", last_name="Smith", country="US"))
    b = build_key(Lead(first_name="Smith", last_name="John", country="US"))
    assert set(blocking_keys(a)) & set(blocking_keys(b))


def test_blank_lead_has_no_blocks() -> None:
    assert blocking_keys(build_key(Lead())) == []
