"""Vietnamese name order and accent-free search keys (docs/process.md §9).

Both are stored on the row, so sorting and searching behave the same on
PostgreSQL and SQLite whatever the database collation is.
"""

import unicodedata

# The Vietnamese alphabet, with the Latin letters it lacks slotted in place.
ALPHABET = "aăâbcdđeêfghijklmnoôơpqrstuưvwxyz"
LETTER_CODES = {letter: f"{index + 10:02d}" for index, letter in enumerate(ALPHABET)}

# Combining marks that are tones (compared after the letters of a syllable).
TONES = {
    "\u0300": "2",  # huyền
    "\u0301": "3",  # sắc
    "\u0309": "4",  # hỏi
    "\u0303": "5",  # ngã
    "\u0323": "6",  # nặng
}
# Combining marks that make a letter of their own (ă, â, ê, ô, ơ, ư).
LETTER_MARKS = {
    ("a", "\u0306"): "ă",
    ("a", "\u0302"): "â",
    ("e", "\u0302"): "ê",
    ("o", "\u0302"): "ô",
    ("o", "\u031b"): "ơ",
    ("u", "\u031b"): "ư",
}
# Lower than any letter code: a shorter syllable sorts before a longer one.
SYLLABLE_END = "0"


def fold(text):
    """Lower-case text without accents, with đ as d: what search compares."""
    decomposed = unicodedata.normalize("NFD", text.lower().replace("đ", "d"))
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(stripped.split())


def syllable_key(syllable):
    letters, tone = [], "1"
    for char in unicodedata.normalize("NFD", syllable.lower()):
        if char in TONES:
            tone = TONES[char]
        elif unicodedata.combining(char):
            if letters:
                letters[-1] = LETTER_MARKS.get((letters[-1], char), letters[-1])
        else:
            letters.append(char)
    codes = "".join(LETTER_CODES.get(letter, "99") for letter in letters)
    return f"{codes}{SYLLABLE_END}{tone}"


def sort_key(full_name):
    """Given name first, then family and middle names, in Vietnamese order."""
    words = full_name.split()
    if not words:
        return ""
    ordered = words[-1:] + words[:-1]
    return "".join(syllable_key(word) for word in ordered)


def split_name(full_name):
    """Return (family and middle names, given name)."""
    words = full_name.split()
    return " ".join(words[:-1]), (words[-1] if words else "")
