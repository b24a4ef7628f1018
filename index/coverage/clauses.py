"""The patterns that tie a reporting verb to its speaker in a French or English sentence
(``speakers.py`` reads sentences with them): where a speaker's phrase starts and ends, what may
stand between an inverted verb and its speaker, what a verb reports. Regular expressions only."""

from __future__ import annotations

import re

from index.coverage.speech import (
    CAPS,
    CLOSE_QUOTES,
    DET,
    LOW,
    OPEN_QUOTES,
    PERSON_ROLES,
    TITLE,
    UP,
    VAGUE,
)

# A person given only by role as a sentence's subject ("Dans la foulée, le président de la
# République a assumé…"): a pronoun after it may stand for them, so no one further back is named.
_ROLES = "|".join(sorted(PERSON_ROLES - {"premier", "première"}))
ROLE_SUBJECT = re.compile(
    rf"(?:^|[,.]\s*)(?:le|la|l['’])\s*(?:premier\s+|première\s+)?(?:{_ROLES})\b",
    re.IGNORECASE,
)
NP_START = re.compile(
    rf"^(?:(?P<title>{TITLE}\s+{CAPS})|(?P<vague>{VAGUE})\s|(?P<det>(?i:le|la|les|son|sa|ses|leur|leurs|the)\s+|(?i:l)['’]\s*)|(?P<caps>{CAPS}))"
)
SUBJECT_PRONOUN = re.compile(
    r"(?:^|\s)(?:il|elle|ils|elles|he|she|they|ce dernier|cette dernière|celui-ci|celle-ci)"
    r"(?:\s+\w+)?\s*$",
    re.IGNORECASE,
)
_TIMES = (
    r"lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche|hier|matin|soir|midi|alors|encore|"
    r"aussi|également|déjà|ensuite|enfin|immédiatement|rapidement|notamment|toutefois|"
    r"par avance|en début d'après-midi|en fin de journée|dernier"
)


# Where a body's phrase ends: a verb, a time or a place ("la préfecture de police dimanche").
BODY_END = re.compile(rf"\s(?:a|ont|avait|dans|sur|au|aux|à|auprès|lors|avec|{_TIMES})\b.*$")


_MONTHS = r"janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|novembre|décembre"
# When, as an inverted verb's complement: "jeudi", "ce vendredi 18 août", "le 3 mars".
_DATE = rf"\d{{1,2}}(?:er)?\s+(?:{_MONTHS})"
_WHEN = rf"(?:(?:ce|le)\s+)?(?:{_TIMES}|{_DATE})(?:\s+{_DATE})?"


def _complements(name: str) -> re.Pattern[str]:
    """When, to whom and where, between an inverted verb and its speaker; ``name`` is what a
    preposition may take ("à l'AFP", "sur France Inter")."""
    place = rf"(?:sur|dans|devant|à|auprès d[eu]|to|on|in)\s+(?:{DET}\s*|un |une |a |an )?"
    return re.compile(
        rf"^\s*,?\s*(?:(?:{_WHEN}|au \w+|avec \w+|{place}(?:{name}(?:\s*\([^)]{{1,30}}\))?|\w+))"
        rf"\s*,?\s*)+"
    )


# A capitalised chain ("sur France Inter, Jean Dupont"), then one word ("à l'AFP Jean Dupont").
COMPLEMENTS = (_complements(CAPS), _complements(rf"[{UP}][\w&.’'\-]*"))
# Words ending like an infinitive that are none.
_NOT_VERBS = (
    r"(?:entre|contre|outre|notre|votre|autre|premier|première|dernier|hier|leur|cher|encore"
    r"|voire|guère|naguère|libre|propre|sincère|père|mère|frère|lettre|titre|ordre|nombre)"
)
# What ties a verb to the words it reports: "que", "that", a colon, or the quotation itself
# right after the verb ("a lancé une opération « code rouge »" reports nothing).
SPEECH_AFTER = re.compile(
    rf"^(?:[^.!?{OPEN_QUOTES}{CLOSE_QUOTES}]{{0,60}}?(?:\bque\b|\bqu['’]|:|\bthat\b)"
    rf"|\s*[,:]?\s*[{OPEN_QUOTES}]"
    # an infinitive: "a assuré ne pas avoir été entendue", "rappelle être très croyant"
    rf"|\s+(?:ne\s+(?:pas|jamais|plus|rien)\s+|n['’])?(?!{_NOT_VERBS}\b)"
    rf"(?:avoir|être|[{LOW}]+(?:er|ir|re))\b"
    rf"|\s)"
)
QUOTED = re.compile(rf"[{OPEN_QUOTES}]\s*([^{CLOSE_QUOTES}]{{2,}}?)\s*[{CLOSE_QUOTES}]")

# Where the speaker's phrase after an inverted verb ends; the full stop of a title ("a déclaré
# M. Esper") is not one.
CLAUSE_END = re.compile(
    rf"(?<!\bM)(?<!\bMM)(?<!\bDr)(?<!\bPr)(?<!\bMgr)\.|[;!?:{OPEN_QUOTES}]"
    r"|\s(?:qui|dont|en|confirmant)\s"
)
