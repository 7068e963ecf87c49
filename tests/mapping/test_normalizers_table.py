"""Real-world messy values and the canonical forms the libraries give them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from leadsync.mapping.normalize import (
    company_key,
    domain_from_email,
    domain_from_website,
    email_match_key,
    is_free_mail,
    name_key,
    normalize_company,
    normalize_country,
    normalize_email,
    normalize_person_name,
    normalize_region,
    parse_datetime,
    phone_e164,
    split_name,
)


def _phone_in(region: str) -> Callable[[str], str | None]:
    return lambda raw: phone_e164(raw, region)


def _region_in(country: str) -> Callable[[str], str | None]:
    return lambda raw: normalize_region(raw, country)


CASES: list[tuple[str, Callable[[Any], Any], Any, Any]] = [
    # email: domain lower-cased and IDNA-decoded, local part kept, junk refused
    ("email-case", normalize_email, "  John.Doe@Example.COM ", "John.Doe@example.com"),
    ("email-mailto", normalize_email, "mailto:ann@x.org", "ann@x.org"),
    ("email-display", normalize_email, "Ann Lee <Ann@Lee.IO>", "Ann@lee.io"),
    ("email-idn-upper", normalize_email, "jörg@MÜNCHEN.de", "jörg@münchen.de"),
    ("email-punycode", normalize_email, "user@xn--mnchen-3ya.de", "user@münchen.de"),
    ("email-accented", normalize_email, "Pelé@Exämple.COM", "Pelé@exämple.com"),
    ("email-japanese-idn", normalize_email, "test@例え.jp", "test@例え.jp"),
    ("email-no-at", normalize_email, "john.doe.example.com", None),
    ("email-double-at", normalize_email, "user@@example.com", None),
    ("email-no-tld", normalize_email, "x@localhost", None),
    ("email-ip-literal", normalize_email, "x@[1.2.3.4]", None),
    ("email-blank", normalize_email, "   ", None),
    ("emailkey-gmail-dots-plus", email_match_key, "a.b+c@GMAIL.com", "ab@gmail.com"),
    ("emailkey-googlemail", email_match_key, "J.Smith+crm@GoogleMail.com", "jsmith@gmail.com"),
    ("emailkey-other-dots-kept", email_match_key, "J.Smith+x@acme.com", "j.smith@acme.com"),
    ("emailkey-idn", email_match_key, "USER@xn--mnchen-3ya.de", "user@münchen.de"),
    # phone: E.164, national numbers read in the default region, invalid ones refused
    ("phone-us-parens", phone_e164, "(415) 555-0123", "+14155550123"),
    ("phone-us-dots", phone_e164, "212.555.0199", "+12125550199"),
    ("phone-us-trunk", phone_e164, "1 (212) 555-0199", "+12125550199"),
    ("phone-us-ext", phone_e164, "+1-212-555-0199 ext. 42", "+12125550199"),
    ("phone-tel-uri", phone_e164, "tel:+1-202-555-0143", "+12025550143"),
    ("phone-vanity", phone_e164, "+1 800 FLOWERS", "+18003569377"),
    ("phone-uk-intl", phone_e164, "+44 20 7946 0958", "+442079460958"),
    ("phone-uk-00", phone_e164, "0044 20 7946 0958", "+442079460958"),
    ("phone-uk-national-in-us", phone_e164, "020 7946 0958", None),
    ("phone-uk-mobile-gb", _phone_in("GB"), "07911 123456", "+447911123456"),
    ("phone-de-trunk-0", phone_e164, "+49 (0)30 1234567", "+49301234567"),
    ("phone-de-national", _phone_in("DE"), "030 1234567", "+49301234567"),
    ("phone-fr-national", _phone_in("FR"), "06 12 34 56 78", "+33612345678"),
    ("phone-nl-national", _phone_in("NL"), "0612345678", "+31612345678"),
    ("phone-jp", phone_e164, "+81 3-1234-5678", "+81312345678"),
    ("phone-jp-national", _phone_in("JP"), "03-1234-5678", "+81312345678"),
    ("phone-cn-mobile", phone_e164, "+86 138 0013 8000", "+8613800138000"),
    ("phone-br-mobile", phone_e164, "+55 11 98765-4321", "+5511987654321"),
    ("phone-in-mobile", phone_e164, "+91 98765 43210", "+919876543210"),
    ("phone-ru", phone_e164, "+7 495 123-45-67", "+74951234567"),
    ("phone-ie", phone_e164, "+353 1 234 5678", "+35312345678"),
    ("phone-au", phone_e164, "+61 2 9374 4000", "+61293744000"),
    ("phone-il", phone_e164, "+972 3-123-4567", "+97231234567"),
    ("phone-too-short", phone_e164, "555-0100", None),
    ("phone-garbage", phone_e164, "call me maybe", None),
    # country: names, codes and aliases to alpha-2
    ("country-usa", normalize_country, "USA", "US"),
    ("country-us-dots", normalize_country, "U.S.A.", "US"),
    ("country-united-states", normalize_country, "United States of America", "US"),
    ("country-uk-dots", normalize_country, "U.K.", "GB"),
    ("country-england", normalize_country, "England", "GB"),
    ("country-deutschland", normalize_country, "Deutschland", "DE"),
    ("country-holland", normalize_country, "Holland", "NL"),
    ("country-the-netherlands", normalize_country, "the Netherlands", "NL"),
    ("country-alpha3", normalize_country, "nld", "NL"),
    ("country-espana", normalize_country, "España", "ES"),
    ("country-iso-name-comma", normalize_country, "Korea, Republic of", "KR"),
    ("country-south-korea", normalize_country, "South Korea", "KR"),
    ("country-ivory-coast-curly", normalize_country, "Côte d\u2019Ivoire", "CI"),
    ("country-viet-nam", normalize_country, "Viet Nam", "VN"),
    ("country-lower-spaces", normalize_country, "  france ", "FR"),
    ("country-unknown", normalize_country, "Atlantis", None),
    # region: subdivision code without the country part
    ("region-california", _region_in("US"), "California", "CA"),
    ("region-code-prefixed", _region_in("US"), "US-NY", "NY"),
    ("region-bayern", _region_in("DE"), "Bayern", "BY"),
    ("region-bavaria", _region_in("DE"), "Bavaria", "BY"),
    ("region-quebec-no-accent", _region_in("CA"), "Quebec", "QC"),
    ("region-nsw", _region_in("Australia"), "New South Wales", "NSW"),
    ("region-wrong-country", _region_in("DE"), "California", None),
    # person names: casing fixed only when typed in one case
    ("name-mcdonald", normalize_person_name, "john mcdonald", "John McDonald"),
    ("name-oneil", normalize_person_name, "O'NEIL", "O'Neil"),
    ("name-van-der-berg", normalize_person_name, "VAN DER BERG", "van der Berg"),
    ("name-macarthur", normalize_person_name, "MACARTHUR", "MacArthur"),
    ("name-machado", normalize_person_name, "machado", "Machado"),
    ("name-hyphen", normalize_person_name, "JEAN-LUC", "Jean-Luc"),
    ("name-accents", normalize_person_name, "maría josé", "María José"),
    ("name-mixed-kept", normalize_person_name, "DeShawn", "DeShawn"),
    ("name-mixed-kept-2", normalize_person_name, "McDonald", "McDonald"),
    ("name-dangelo", normalize_person_name, "d'angelo", "D'Angelo"),
    ("split-particle", split_name, "Ludwig van Beethoven", ("Ludwig", "van Beethoven")),
    ("split-comma", split_name, "Smith, John", ("John", "Smith")),
    ("split-honorific", split_name, "Dr. Jane Doe", ("Jane", "Doe")),
    ("split-suffix", split_name, "Martin Luther King Jr.", ("Martin Luther", "King Jr.")),
    ("split-de-la", split_name, "Juan de la Cruz", ("Juan", "de la Cruz")),
    ("split-single", split_name, "Cher", (None, "Cher")),
    # company: display kept, key without legal forms, case, accents or punctuation
    ("company-placeholder", normalize_company, "N/A", None),
    ("company-spacing", normalize_company, '  "Acme ,  Inc." ', "Acme, Inc."),
    ("ckey-inc", company_key, "Acme, Inc.", "acme"),
    ("ckey-corp", company_key, "ACME Corp.", "acme"),
    ("ckey-the-company", company_key, "The Acme Company", "acme"),
    ("ckey-ag", company_key, "Siemens AG", "siemens"),
    ("ckey-sa-accent", company_key, "Nestlé S.A.", "nestle"),
    ("ckey-nv", company_key, "Koninklijke Philips N.V.", "koninklijke philips"),
    ("ckey-gmbh-co-kg", company_key, "Volkswagen GmbH & Co. KG", "volkswagen"),
    ("ckey-plc", company_key, "Barclays PLC", "barclays"),
    ("ckey-ltd", company_key, "Tata Consultancy Services Ltd.", "tata consultancy services"),
    ("ckey-ampersand", company_key, "Procter & Gamble Co.", "procter and gamble"),
    ("ckey-bv", company_key, "ASML Holding B.V.", "asml holding"),
    ("ckey-llc", company_key, "Acme Widgets, LLC", "acme widgets"),
    ("ckey-sp-zoo", company_key, "Acme Sp. z o.o.", "acme"),
    ("ckey-only-suffix", company_key, "Inc", "inc"),
    ("ckey-zoo-kept", company_key, "Bronx Zoo", "bronx zoo"),
    # domains: registrable domain (public-suffix aware)
    ("web-https-path", domain_from_website, "https://www.Example.co.uk/about?x=1", "example.co.uk"),
    ("web-bare", domain_from_website, "example.com", "example.com"),
    ("web-port", domain_from_website, "www.acme.com:8080/x", "acme.com"),
    ("web-idn-upper", domain_from_website, "HTTPS://WWW.BÜCHER.DE", "bücher.de"),
    ("web-punycode", domain_from_website, "xn--mnchen-3ya.de", "münchen.de"),
    ("web-private-suffix", domain_from_website, "https://foo.github.io/", "foo.github.io"),
    ("web-ip", domain_from_website, "http://1.2.3.4/", None),
    ("web-suffix-only", domain_from_website, "co.uk", None),
    ("email-domain-sub", domain_from_email, "a@mail.example.co.uk", "example.co.uk"),
    ("free-gmail", is_free_mail, "gmail.com", True),
    ("free-address", is_free_mail, "x@yahoo.co.uk", True),
    ("free-company", is_free_mail, "acme.com", False),
    # dates: aware UTC
    (
        "dt-salesforce",
        parse_datetime,
        "2024-01-15T10:30:00.000+0000",
        datetime(2024, 1, 15, 10, 30, tzinfo=UTC),
    ),
    (
        "dt-offset",
        parse_datetime,
        "2024-01-15T10:30:00+05:30",
        datetime(2024, 1, 15, 5, 0, tzinfo=UTC),
    ),
    ("dt-epoch-ms", parse_datetime, "1705314600000", datetime(2024, 1, 15, 10, 30, tzinfo=UTC)),
    (
        "dt-rfc2822",
        parse_datetime,
        "Mon, 15 Jan 2024 10:30:00 +0100",
        datetime(2024, 1, 15, 9, 30, tzinfo=UTC),
    ),
    ("dt-us-slashes", parse_datetime, "01/15/2024", datetime(2024, 1, 15, tzinfo=UTC)),
    ("dt-eu-dots", parse_datetime, "15.01.2024", datetime(2024, 1, 15, tzinfo=UTC)),
    ("dt-junk", parse_datetime, "next tuesday", None),
]


@pytest.mark.parametrize(
    ("func", "raw", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_messy_value(func: Callable[[Any], Any], raw: Any, expected: Any) -> None:
    result = func(raw)
    assert (tuple(result) if isinstance(result, tuple) else result) == expected


def test_name_key_ignores_accents_case_and_punctuation() -> None:
    assert name_key("José", "O'Neil") == name_key("JOSE", "oneil") == "jose|oneil"
    assert name_key(None, None) is None
