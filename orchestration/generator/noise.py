"""How the same fact gets written differently: name variants, nicknames, compound first
names cut short, initials, phone forms, email case and typos, slips in birth dates and
addresses.

Name variants are computed once per vocabulary word (a few hundred words, so plain Python)
and then picked per record with vectorised indexing. Rates are scaled by `messiness`.
"""

from __future__ import annotations

import csv
import unicodedata
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .common import chance
from .formats import Strings, choose, join, substring, text

NAME_VARIANTS = ("canonical", "no_accents", "typo", "separator", "upper", "ascii_apostrophe")
TYPO_LETTERS = "aeiourstnlmc"


def strip_accents(word: str) -> str:
    """Hélène -> Helene, Cœur -> Coeur, N’Diaye -> N'Diaye (what ASCII-only forms keep)."""
    word = word.replace("œ", "oe").replace("Œ", "Oe").replace("æ", "ae").replace("’", "'")
    decomposed = unicodedata.normalize("NFKD", word)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def slug(word: str) -> str:
    """Email-safe lower-case form: 'N’Diaye' -> 'ndiaye', 'Le Gall' -> 'legall'."""
    return "".join(c for c in strip_accents(word).lower() if c.isalnum() or c == "-")


def _typo(word: str, rng: np.random.Generator) -> str:
    """One-character slip: substitution, deletion, doubling or swap of two neighbours."""
    letters = [i for i, c in enumerate(word) if c.isalpha()]
    if len(letters) < 3:
        return word + word[-1]
    i = letters[int(rng.integers(1, len(letters)))]  # keep the first letter right
    kind = int(rng.integers(4))
    if kind == 0:
        return word[:i] + TYPO_LETTERS[int(rng.integers(len(TYPO_LETTERS)))] + word[i + 1 :]
    if kind == 1:
        return word[:i] + word[i + 1 :]
    if kind == 2:
        return word[:i] + word[i] + word[i:]
    return word[: i - 1] + word[i] + word[i - 1] + word[i + 1 :]


def variant_table(words: tuple[str, ...] | list[str], rng: np.random.Generator) -> np.ndarray:
    """(len(words), len(NAME_VARIANTS)) object array of every spelling of every word."""
    rows = []
    for word in words:
        separator = word.replace("-", " ") if "-" in word else word.replace("’", " ")
        rows.append(
            (
                word,
                strip_accents(word),
                _typo(word, rng),
                separator,
                word.upper(),
                word.replace("’", "'"),
            )
        )
    return np.array(rows, dtype=object)


def spell(codes: np.ndarray, table: np.ndarray, rng: np.random.Generator, rate: float) -> Strings:
    """The words `codes` index, each misspelt with probability `rate` in one of the ways."""
    kind = np.where(chance(rng, rate, len(codes)), rng.integers(1, table.shape[1], len(codes)), 0)
    return text(table[codes, kind])


def read_nicknames(path: Path) -> list[tuple[str, str]]:
    """seeds/first_name_nicknames.csv: (first name, short form) pairs, shared with identity
    resolution so that both know 'Nico' may be Nicolas."""
    with open(path, newline="", encoding="utf-8") as f:
        return [(row["first_name"], row["nickname"]) for row in csv.DictReader(f)]


class Nicknames:
    """The short forms of each vocabulary first name, for vectorised picking."""

    def __init__(self, words: tuple[str, ...], pairs: list[tuple[str, str]]):
        forms: dict[str, list[str]] = {}
        for first_name, nickname in pairs:
            forms.setdefault(first_name, []).append(nickname)
        self.counts = np.array([len(forms.get(w, ())) for w in words], dtype=np.int64)
        width = max(1, int(self.counts.max(initial=0)))
        self.table = np.empty((len(words), width), dtype=object)
        for i, word in enumerate(words):
            short = forms.get(word) or [word]
            self.table[i] = (short * width)[:width]

    def apply(
        self, codes: np.ndarray, names: Strings, rng: np.random.Generator, rate: float
    ) -> Strings:
        """The first names `codes` index, replaced by one of their short forms ('Nico' for
        Nicolas) with probability `rate` where the name has one."""
        counts = self.counts[codes]
        which = (rng.random(len(codes)) * np.maximum(counts, 1)).astype(np.int64)
        use = chance(rng, rate, len(codes)) & (counts > 0)
        return pc.if_else(pa.array(use), text(self.table[codes, which]), names)


def swap(first: Strings, last: Strings, mask: np.ndarray) -> tuple[Strings, Strings]:
    """First and last name exchanged where `mask` (the fields were filled the wrong way)."""
    m = pa.array(np.asarray(mask, dtype=bool))
    return pc.if_else(m, last, first), pc.if_else(m, first, last)


PHONE_FORMS_FR = (
    5  # 06 12 34 56 78 | 0612345678 | +33 6 12 34 56 78 | 0033612345678 | 6.12.34.56.78
)


def phone_forms(country_code: Strings, digits: Strings, form: np.ndarray) -> Strings:
    """Write phones in one of the forms people type. `digits` is the national number
    without its leading 0; French numbers take forms 0-4, foreign ones +CC / 00CC forms."""
    d = partial(substring, digits)
    pairs = [d(1, 3), d(3, 5), d(5, 7), d(7, 9)]
    french = [
        join(join("0", d(0, 1)), *pairs, sep=" "),
        join("0", digits),
        join("+33", d(0, 1), *pairs, sep=" "),
        join("0033", digits),
        join(d(0, 1), *pairs, sep="."),
    ]
    foreign = [
        join("+", country_code, digits),
        join("00", country_code, digits),
        join("+", country_code, " ", d(0, 3), " ", d(3, 6), " ", d(6, 12)),
    ]
    is_french = pc.equal(country_code, "33").to_numpy(zero_copy_only=False)
    index = np.where(is_french, form % PHONE_FORMS_FR, PHONE_FORMS_FR + form % 3)
    return choose(index, *french, *foreign)


def phone_form_draw(rng: np.random.Generator, size: int, messiness: float) -> np.ndarray:
    """Which form each record uses: the usual '06 12 34 56 78' unless the typist differed."""
    return np.where(chance(rng, 0.7 * messiness, size), rng.integers(0, 15, size), 0)


# Misspelt domains of the usual mailboxes (a typed address, not the person's own).
DOMAIN_TYPOS = {
    "gmail.com": ("gmial.com", "gmail.fr", "gmai.com", "gmal.com", "gamil.com"),
    "orange.fr": ("orange.fe", "ornage.fr", "orange.com", "oange.fr"),
    "hotmail.fr": ("hotmial.fr", "hotmail.fe", "hotmal.fr", "homail.fr"),
    "yahoo.fr": ("yaho.fr", "yahooo.fr", "yahoo.fe"),
    "free.fr": ("fre.fr", "free.fe", "frree.fr"),
    "sfr.fr": ("sfr.fe", "srf.fr"),
    "laposte.net": ("lapost.net", "laposte.ne", "lapsote.net"),
    "outlook.fr": ("outlok.fr", "outloook.fr", "outlook.fe"),
    "wanadoo.fr": ("wanado.fr", "wandoo.fr"),
    "icloud.com": ("iclould.com", "icoud.com", "icloud.fr"),
}


def slip(words: np.ndarray, rng: np.random.Generator, first: int = 1) -> np.ndarray:
    """One-character slip in each word, vectorised (substitution, deletion, doubling or swap
    of two neighbours, at a position from `first` on): the characters as a code-point
    matrix, edited by index arithmetic. A word too short to slip gets its last character
    doubled; a slip that would leave the word as it was deletes a character instead."""
    words = np.asarray(words, dtype=str)
    n = len(words)
    if n == 0:
        return words.astype(object)
    length = np.char.str_len(words)
    width = int(length.max()) + 2
    chars = words.astype(f"<U{width}").view(np.uint32).reshape(n, width)
    span = np.maximum(length - first, 1)
    at = np.minimum(first + (rng.random(n) * span).astype(np.int64), np.maximum(length - 1, 0))
    kind = np.where(length > first, rng.integers(0, 4, n), 2)
    letter = np.frombuffer(TYPO_LETTERS.encode("utf-32-le"), dtype=np.uint32)
    new_letter = letter[rng.integers(0, len(letter), n)]
    col = np.arange(width)[None, :]
    here = chars[np.arange(n), at]
    before = chars[np.arange(n), np.maximum(at - 1, 0)]
    kind = np.where((kind == 0) & (new_letter == here), 1, kind)  # same letter: no slip
    kind = np.where((kind == 3) & ((before == here) | (at <= first)), 1, kind)
    a = at[:, None]
    source = np.select(
        [kind[:, None] == 1, kind[:, None] == 2], [col + (col >= a), col - (col > a)], col
    )
    out = np.take_along_axis(np.pad(chars, ((0, 0), (0, 1))), np.minimum(source, width), 1)
    out[np.arange(n), at] = np.where(kind == 0, new_letter, out[np.arange(n), at])
    swap = np.flatnonzero(kind == 3)
    out[swap, at[swap]], out[swap, at[swap] - 1] = before[swap], here[swap]
    return np.ascontiguousarray(out).view(f"<U{width}").ravel().astype(object)


def email_typos(
    emails: np.ndarray, rng: np.random.Generator, rate: float, taken: set[str]
) -> tuple[np.ndarray, np.ndarray]:
    """Addresses as mistyped on a form with probability `rate`: half of them a misspelt
    domain (gmial.com) where the mailbox is a usual one, the others a one-character slip
    in the local part. A typo giving an address someone has (in `taken`, lower case) is
    not made. Returns the addresses and where a typo was made."""
    emails = np.asarray(emails, dtype=object)
    n = len(emails)
    typed_in = pd.Series(emails, dtype=object)
    hit = np.flatnonzero(chance(rng, rate, n) & typed_in.str.contains("@", na=False).to_numpy())
    parts = typed_in.iloc[hit].str.rpartition("@")
    local = parts[0].to_numpy(dtype=object) if len(hit) else np.zeros(0, dtype=object)
    domain = parts[2].to_numpy(dtype=object) if len(hit) else np.zeros(0, dtype=object)
    misspelt = domain.copy()
    which = rng.random(len(hit))
    for usual, typos in DOMAIN_TYPOS.items():
        mine = domain == usual
        misspelt[mine] = np.array(typos, dtype=object)[(which[mine] * len(typos)).astype(int)]
    on_domain = chance(rng, 0.5, len(hit)) & (misspelt != domain)
    typed = np.where(on_domain, local + "@" + misspelt, slip(local, rng) + "@" + domain)
    # a mailbox takes no address with a dot at either end of its local part, or two dots
    shape_ok = ~pd.Series(typed, dtype=object).str.contains(r"^\.|\.@|\.\.", regex=True)
    made = np.array([t.lower() not in taken for t in typed], dtype=bool) & shape_ok.to_numpy()
    out = emails.copy()
    out[hit[made]] = typed[made]
    mask = np.zeros(n, dtype=bool)
    mask[hit[made]] = True
    return out, mask


def email_case(emails: Strings, rng: np.random.Generator, rate: float) -> Strings:
    """Capitalised, upper-cased or space-padded addresses, as typed into forms."""
    kind = np.where(chance(rng, rate, len(emails)), rng.integers(1, 5, len(emails)), 0)
    return choose(
        kind,
        emails,
        pc.utf8_title(emails),
        pc.utf8_upper(emails),
        join(" ", emails),
        join(emails, " "),
    )


def drop_leading_zero(postal_codes: Strings, rng: np.random.Generator, rate: float) -> Strings:
    """'01000' -> '1000': the code went through a spreadsheet as a number."""
    lost = chance(rng, rate, len(postal_codes)) & pc.starts_with(
        pc.fill_null(postal_codes, ""), "0"
    ).to_numpy(zero_copy_only=False)
    return pc.if_else(pa.array(lost), pc.utf8_slice_codeunits(postal_codes, 1), postal_codes)


# Slips in a typed address and their rates among records that give one (x messiness):
# the flat or building line typed before the street (only where there is one), a letter
# slip in the street or the city, two neighbouring postal code digits swapped.
ADDRESS_SLIPS = {
    "address_parts_reordered": 0.3,
    "street_typo": 0.02,
    "city_typo": 0.02,
    "postal_code_transposed": 0.01,
}


def _object_values(values: Strings) -> np.ndarray:
    return np.asarray(values.to_numpy(zero_copy_only=False), dtype=object)


def slip_last_word(values: Strings, rng: np.random.Generator, rate: float):
    """A one-character slip in the last word of some values ('rue Victor Hguo',
    'Villeurbane'); returns the values and which slipped."""
    written = _object_values(values)
    slipped = chance(rng, rate, len(written)) & pd.notna(written)
    for i in np.flatnonzero(slipped):
        head, space, last = written[i].rpartition(" ")
        typed = head + space + _typo(last, rng)
        slipped[i] = typed != written[i]  # a letter replaced by itself is no slip
        written[i] = typed
    return text(written), slipped


def transpose_digits(codes: Strings, rng: np.random.Generator, rate: float):
    """Two neighbouring characters of some postal codes swapped ('69003' -> '69030'; the
    first one, the department's, stays); returns the codes and which changed."""
    written = _object_values(codes)
    swapped = chance(rng, rate, len(written)) & pd.notna(written)
    for i in np.flatnonzero(swapped):
        code = written[i]
        j = int(rng.integers(1, max(len(code) - 1, 2)))
        written[i] = code[:j] + code[j + 1 : j + 2] + code[j : j + 1] + code[j + 2 :]
        swapped[i] = written[i] != code
    return text(written), swapped


# Slips in a typed birth date and their rates among records that give one (x messiness).
BIRTH_DATE_SLIPS = {"typo": 0.02, "day_month_swap": 0.015, "left_blank": 0.03}


def birth_dates_as_typed(
    days: np.ndarray, rng: np.random.Generator, messiness: float, not_after: int
) -> tuple[np.ndarray, np.ndarray]:
    """Birth dates (epoch days) as someone typed them, and where the field was left blank:
    one digit wrong (units of the day, month or year), day and month swapped (a day <= 12
    read the other way round), or nothing. A slip that gives no real date, or one after
    `not_after`, is not made."""
    days = np.asarray(days, dtype=np.int64)
    n = len(days)
    month_start = days.astype("datetime64[D]").astype("datetime64[M]")
    year = month_start.astype("datetime64[Y]").astype(np.int64) + 1970
    month = month_start.astype(np.int64) % 12 + 1
    day = days - month_start.astype("datetime64[D]").astype(np.int64) + 1
    bounds = np.cumsum(list(BIRTH_DATE_SLIPS.values())) * messiness
    kinds = np.array([*BIRTH_DATE_SLIPS, "none"])
    slip = kinds[np.searchsorted(bounds, rng.random(n), side="right")]

    typed = np.stack([day, month, year])
    digit = rng.integers(0, 3, n)  # which field's units digit is wrong
    units = typed[digit, np.arange(n)]
    typed[digit, np.arange(n)] = units // 10 * 10 + (units % 10 + rng.integers(1, 10, n)) % 10
    typed = np.where(slip == "typo", typed, np.stack([day, month, year]))
    swapped = np.stack([month, day, year])
    typed = np.where((slip == "day_month_swap") & (day <= 12), swapped, typed)

    d, m, y = typed
    first_of_month = ((y - 1970) * 12 + np.clip(m, 1, 12) - 1).astype("datetime64[M]")
    start = first_of_month.astype("datetime64[D]").astype(np.int64)
    month_length = (first_of_month + 1).astype("datetime64[D]").astype(np.int64) - start
    real = (m >= 1) & (m <= 12) & (d >= 1) & (d <= month_length) & (start + d - 1 <= not_after)
    return np.where(real, start + d - 1, days), slip == "left_blank"
