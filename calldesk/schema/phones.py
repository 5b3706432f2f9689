"""Reading a typed phone number the way a rep means it, and the E.164 form calldesk matches on.

The rules (issue 13): a national number is read with the account's country (``region``); only an
*impossible* number is refused (wrong length, unknown country code, no digits); a number that is
possible but lies in a range the phone metadata does not know (Apollo's documented
``5551234567``, a brand-new range) is accepted with a warning; letters (``+1-800-FLOWERS``) are
turned into their keypad digits and the rewritten number is shown. ``phonenumbers`` is imported on
first use (~40 ms): the window's first frame needs none of it.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from calldesk.schema.errors import FieldValueError

PHONE_EXAMPLE = "+16505551234"
_MAX_INPUT = 64


@dataclass(frozen=True, slots=True)
class PhoneReading:
    """A phone number as calldesk reads it: the E.164 form plus what the rep should be told."""

    e164: str
    #: In a number range the phone metadata knows (``is_valid_number``).
    known: bool
    #: The text had letters that were turned into keypad digits.
    rewritten: bool
    #: The number in the international format a person reads (``+1 650-555-1234``).
    pretty: str

    def notes(self) -> list[str]:
        """What to show beside the field: the rewritten number, and an unknown-range warning."""
        notes: list[str] = []
        if self.rewritten:
            notes.append(f"Letters read as digits: {self.pretty}")
        if not self.known:
            notes.append(
                f"{self.pretty} is not in a number range calldesk knows; check it before saving"
            )
        return notes


def read_phone(text: str, region: str | None = None) -> PhoneReading:
    """Read ``text`` as a phone number; national numbers use ``region`` (``"US"``, ``"DE"``).

    Raises :class:`FieldValueError` (a message for a rep) only when the number is impossible.
    A keystroke reads the same text several times (the field, its check, caller ID): readings
    of possible numbers are memoised (a pure function's results, bounded).
    """
    return _read_memo(text, region)


@functools.lru_cache(maxsize=512)
def _read_memo(text: str, region: str | None) -> PhoneReading:
    import phonenumbers

    wanted = text.strip()
    if not wanted:
        raise FieldValueError(f"Type a phone number, e.g. {PHONE_EXAMPLE}")
    if len(wanted) > _MAX_INPUT:
        raise FieldValueError("That is too long to be a phone number")
    if not any(ch.isdigit() for ch in wanted):
        raise FieldValueError(f"That isn't a phone number. Type digits, e.g. {PHONE_EXAMPLE}")
    country = region.upper() if region else None
    rewritten = any(ch.isalpha() for ch in wanted)
    digits = phonenumbers.convert_alpha_characters_in_number(wanted) if rewritten else wanted
    if country is None and not digits.lstrip().startswith(("+", "00")):
        raise FieldValueError(
            f"Add the country code (e.g. {PHONE_EXAMPLE}), or set the account's country"
        )
    try:
        number = phonenumbers.parse(digits, country)
    except phonenumbers.NumberParseException as exc:
        raise FieldValueError(_parse_message(exc)) from None
    reason = phonenumbers.is_possible_number_with_reason(number)
    if reason == phonenumbers.ValidationResult.IS_POSSIBLE_LOCAL_ONLY:
        raise FieldValueError("That is a local number: add the area code")
    if reason != phonenumbers.ValidationResult.IS_POSSIBLE:
        raise FieldValueError(_impossible_message(reason))
    return PhoneReading(
        e164=phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164),
        known=phonenumbers.is_valid_number(number),
        rewritten=rewritten,
        pretty=phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL),
    )


def try_read_phone(text: str, region: str | None = None) -> PhoneReading | None:
    """:func:`read_phone`, or ``None`` when the text is not a possible number."""
    try:
        return read_phone(text, region)
    except FieldValueError:
        return None


def known_country(code: str) -> bool:
    """Whether ``code`` (``"US"``) is a country the phone metadata has numbers for."""
    import phonenumbers

    return code.upper() in phonenumbers.SUPPORTED_REGIONS


def pretty_phone(e164: str) -> str:
    """An E.164 number in the international format; anything unreadable comes back as is."""
    reading = try_read_phone(e164) if e164.startswith("+") else None
    return reading.pretty if reading is not None else e164


def _parse_message(exc: Exception) -> str:
    import phonenumbers

    kind = getattr(exc, "error_type", None)
    if kind == phonenumbers.NumberParseException.INVALID_COUNTRY_CODE:
        return "That country code doesn't exist"
    if kind in (
        phonenumbers.NumberParseException.TOO_SHORT_NSN,
        phonenumbers.NumberParseException.TOO_SHORT_AFTER_IDD,
    ):
        return "That is too short to be a phone number"
    if kind == phonenumbers.NumberParseException.TOO_LONG:
        return "That is too long to be a phone number"
    return f"That isn't a phone number. Type digits, e.g. {PHONE_EXAMPLE}"


def _impossible_message(reason: int) -> str:
    import phonenumbers

    result = phonenumbers.ValidationResult
    if reason == result.INVALID_COUNTRY_CODE:
        return "That country code doesn't exist"
    if reason == result.TOO_SHORT:
        return "That is too short to be a phone number in that country"
    if reason == result.TOO_LONG:
        return "That is too long to be a phone number in that country"
    return "That can't be a phone number in that country: check the digits"
