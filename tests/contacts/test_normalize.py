import pytest

from contacts.normalize import normalize_email, normalize_phone


@pytest.mark.parametrize(
    "raw,region,expected",
    [
        ("0812-3456-7890", "ID", "+6281234567890"),
        ("+39 347 123 4567", "ID", "+393471234567"),
        ("06 12 34 56 78", "FR", "+33612345678"),
        ("(650) 555-1234", "US", "+16505551234"),
        ("+1 650-555-1234", "ID", "+16505551234"),
    ],
)
def test_phones_typed_the_local_way_become_e164(raw, region, expected):
    result = normalize_phone(raw, region)
    assert result.is_valid and result.value == expected and result.match_value == expected


def test_platform_ids_are_read_as_international_not_with_the_default_region():
    assert normalize_phone("16505551234", "ID", international=True).value == "+16505551234"


@pytest.mark.parametrize("raw", ["abc", "12", "", "+99 123", "0812\x003456"])
def test_invalid_phones_are_kept_as_typed_and_never_match(raw):
    result = normalize_phone(raw, "ID")
    assert not result.is_valid
    assert result.match_value == ""
    assert result.value == raw.strip()


@pytest.mark.parametrize(
    "first,second",
    [
        ("5511987654321", "551187654321"),  # Brazil: ninth digit present or absent
        ("5491123456789", "541123456789"),  # Argentina: 549... vs 54...
        ("5215512345678", "525512345678"),  # Mexico: 521... vs 52...
    ],
)
def test_whatsapp_id_quirks_match_the_same_number(first, second):
    a = normalize_phone(first, "ID", international=True)
    b = normalize_phone(second, "ID", international=True)
    assert a.is_valid and b.is_valid
    assert a.match_value == b.match_value


def test_emails_are_trimmed_and_case_folded():
    result = normalize_email("  Sheena.Nelson@Example.COM ")
    assert result.value == "sheena.nelson@example.com"


def test_idn_domains_match_their_ascii_form():
    assert normalize_email("x@Bücher.de").match_value == normalize_email("x@xn--bcher-kva.de").match_value


@pytest.mark.parametrize("raw", ["bad@", "no-at-sign", "a b@c.d", "x@-.com"])
def test_invalid_emails_never_match(raw):
    result = normalize_email(raw)
    assert not result.is_valid and result.match_value == ""
