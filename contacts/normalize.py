"""The one place where phone numbers and e-mail addresses are normalised.

Every path that stores or searches a key property goes through here, so that detection,
search and export agree on what "the same phone" and "the same e-mail" mean.
"""

from dataclasses import dataclass

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator

MAX_KEY_LENGTH = 320
_email_validator = EmailValidator()


@dataclass(frozen=True)
class Normalized:
    raw: str
    value: str  # normalised form, or the trimmed input when invalid
    match_value: str  # what detection compares; "" when invalid
    is_valid: bool


def _invalid(raw: str) -> Normalized:
    trimmed = raw.strip()[:MAX_KEY_LENGTH]
    return Normalized(raw=raw[:MAX_KEY_LENGTH], value=trimmed, match_value="", is_valid=False)


def normalize_email(raw: str) -> Normalized:
    """Trimmed and case-folded; an internationalised domain is compared in its ASCII form."""
    text = raw.strip().strip("<>").strip()
    if "@" not in text or len(text) > MAX_KEY_LENGTH or "\x00" in text:
        return _invalid(raw)
    local, _, domain = text.rpartition("@")
    domain = domain.rstrip(".").lower()
    try:
        ascii_domain = domain.encode("idna").decode("ascii")
        unicode_domain = ascii_domain.encode("ascii").decode("idna")
    except UnicodeError:
        return _invalid(raw)
    ascii_address = f"{local.lower()}@{ascii_domain}"
    try:
        _email_validator(ascii_address)
    except ValidationError:
        return _invalid(raw)
    return Normalized(
        raw=raw[:MAX_KEY_LENGTH],
        value=f"{local.lower()}@{unicode_domain}",
        match_value=ascii_address,
        is_valid=True,
    )


def normalize_phone(raw: str, region: str, *, international: bool = False) -> Normalized:
    """E.164 via phonenumbers.

    `international` is for platform ids that are full international numbers written without
    "+" (WhatsApp wa_id, Telegram contact.phone_number): they must not be read with the
    workspace's default region.
    """
    text = raw.strip()
    if not text or len(text) > 64 or "\x00" in text:
        return _invalid(raw)
    if international and not text.startswith("+"):
        text = "+" + text
    try:
        number = phonenumbers.parse(text, region.upper() or None)
    except phonenumbers.NumberParseException:
        return _invalid(raw)
    if not phonenumbers.is_valid_number(number):
        number = _whatsapp_legacy_form(number)
        if number is None:
            return _invalid(raw)
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return Normalized(raw=raw[:MAX_KEY_LENGTH], value=e164, match_value=_match_form(e164), is_valid=True)


def _whatsapp_legacy_form(number: phonenumbers.PhoneNumber) -> phonenumbers.PhoneNumber | None:
    """Numbers in a form WhatsApp ids still use but current numbering plans reject.

    Brazilian mobiles without the ninth digit; Mexican mobiles with the old "1" prefix.
    """
    national = str(number.national_number)
    fixed_national = None
    if number.country_code == 55 and len(national) == 10 and national[2] in "6789":
        fixed_national = national[:2] + "9" + national[2:]
    elif number.country_code == 52 and len(national) == 11 and national.startswith("1"):
        fixed_national = national[1:]
    if fixed_national is None:
        return None
    fixed = phonenumbers.PhoneNumber(country_code=number.country_code, national_number=int(fixed_national))
    return fixed if phonenumbers.is_valid_number(fixed) else None


def _match_form(e164: str) -> str:
    """One form per subscriber for the WhatsApp id quirks that split one person in two.

    Brazil: the mobile ninth digit present or absent (+55 DD 9XXXX-XXXX == +55 DD XXXX-XXXX).
    Argentina: +54 9 … (how WhatsApp writes mobiles) == +54 … .
    Mexico: +52 1 … (the old mobile prefix) == +52 … .
    """
    if e164.startswith("+55") and len(e164) == 13 and e164[5] in "6789":
        return e164[:5] + "9" + e164[5:]
    if e164.startswith("+549") and len(e164) == 14:
        return "+54" + e164[4:]
    if e164.startswith("+521") and len(e164) == 14:
        return "+52" + e164[4:]
    return e164


def looks_like_phone(text: str) -> bool:
    digits = sum(ch.isdigit() for ch in text)
    return digits >= 6 and all(ch.isdigit() or ch in " +-().\u00a0" for ch in text.strip())


def phone_digits_fragment(text: str) -> str:
    """The digits of a search that looks like part of a phone number ("2198", "21-98"): at least
    four digits and nothing but digits and phone punctuation; else ""."""
    digits = "".join(ch for ch in text if ch.isdigit())
    if len(digits) >= 4 and all(ch.isdigit() or ch in " +-().\u00a0" for ch in text.strip()):
        return digits
    return ""


def phone_search_prefixes(text: str, region: str) -> list[str]:
    """E.164 prefixes a partly typed phone number can stand for (for prefix search).

    "0812 345" in Indonesia is "+62812345…"; "0039 347" is "+39347…"; bare digits may already
    be international ("62812…") or national without the trunk zero.
    """
    digits = "".join(ch for ch in text if ch.isdigit())
    if not digits:
        return []
    if text.strip().startswith("+"):
        return ["+" + digits]
    if digits.startswith("00"):
        return ["+" + digits[2:]]
    country = str(phonenumbers.country_code_for_region(region.upper()) or "")
    if digits.startswith("0"):
        return ["+" + country + digits[1:]]
    return ["+" + digits, "+" + country + digits]


def clean_text(text: str, limit: int = 65_536) -> str:
    """Text as stored: no NUL bytes (PostgreSQL refuses them), bounded in size."""
    return text.replace("\x00", "\ufffd")[:limit]
