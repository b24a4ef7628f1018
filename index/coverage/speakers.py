"""Who is speaking in a quoted passage, and the chain that brought the words to the reader.

Rules over the article's text, no model (issue 25): a reporting verb ("a déclaré", "estime",
"a-t-il ajouté", "said") or "selon X" ties the sentence to a noun phrase that names a person
("Nick Turley, responsable de ChatGPT"), a person by role and name ("le ministre de
l'Intérieur, Gérard Collomb") or a body ("le parquet de Paris"). A pronoun ("a-t-il ajouté")
is the last speaker or person named before; a sentence that is only a quotation continues the
previous one. Quotation marks alone (a title, a nickname: « code rouge ») are not speech. When
the speaker cannot be told the answer is None, not a guess: precision first
(docs/benchmarks.md, "Who is speaking").
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import replace

from index.coverage.clauses import (
    BODY_END,
    CLAUSE_END,
    COMPLEMENTS,
    NP_START,
    QUOTED,
    ROLE_SUBJECT,
    SPEECH_AFTER,
    SUBJECT_PRONOUN,
)
from index.coverage.outlets import is_outlet
from index.coverage.speech import (
    ACCORDING,
    BODIES,
    CAPS,
    CLOSE_QUOTES,
    EN_VERB,
    NAMED_ELSEWHERE,
    NOT_NAMES,
    OPEN_QUOTES,
    PERSON,
    PERSON_ROLES,
    PRONOUN_VERB,
    UP,
    VERB,
    WHERE,
    Named,
    by_role,
    clean,
    head,
    is_name,
    is_role,
    name_of,
    role_of,
)
from index.records import Attribution, Copy, SpeechKind, publication_key
from index.sentences import Span, sentences

LOOK_BACK = 3  # sentences searched for the person a pronoun stands for
_PERSON = re.compile(PERSON)


def noun_phrase(text: str, at_end: bool = False) -> Named | None:
    """Who ``text`` names: from its start (after a verb), or its end (``at_end``, a subject)."""
    text = clean(text)
    if at_end:
        if SUBJECT_PRONOUN.search(text):
            return Named(None, pronoun=True)
        parts = [p for p in (clean(p) for p in re.split(r",|\s[-–—]\s", text)) if p]
        if not parts:
            return None
        # "Nick Turley, responsable de ChatGPT," or "le ministre, Gérard Collomb,"
        if len(parts) >= 2 and is_name(parts[-2]) and is_role(parts[-1]):
            return Named(name_of(parts[-2]), role_of(parts[-1]))
        if len(parts) >= 2 and is_name(parts[-1]) and is_role(parts[-2]):
            return Named(name_of(parts[-1]), role_of(parts[-2]))
        while len(parts) > 1 and parts[-1][:1].islower() and not NP_START.match(parts[-1]):
            parts.pop()  # "la police de Hambourg, contactée par l'AFP, a indiqué"
        text = parts[-1]
        start = NP_START.match(text)
        if not start or (start.group("caps") and not is_name(text)):
            return None  # "Bardon avait été fouillé": a sentence, not a subject
    else:
        parts = [clean(p) for p in text.split(",")]
        text = parts[0]
        if is_name(text) and len(parts) > 1 and is_role(parts[1]):
            return Named(name_of(text), role_of(parts[1]))
        if is_role(text) and len(parts) > 1 and is_name(parts[1]):
            return Named(name_of(parts[1]), role_of(text))
    return _single(text)


def _single(text: str) -> Named | None:
    """A noun phrase without commas: a name, a role and a name, or a body."""
    m = NP_START.match(text)
    if not m or m.group("vague"):
        return None  # "un proche du président", "des élus": not named
    if m.group("title") or (m.group("caps") and is_name(m.group("caps"))):
        return Named(name_of(m.group(0)))
    if m.group("caps"):
        return None
    rest = text[m.end() :]
    found = list(_PERSON.finditer(rest))
    word = head(rest)
    if word in PERSON_ROLES:
        before = rest[: found[-1].start()] if found else ""
        # "le patron du PS Olivier Faure", not "la présidente du Comité Miss France"
        if before.strip() and not re.search(
            r"\b(?:de|du|des|d['’]|la|le|les|l['’]|au|aux)\s*$", before
        ):
            return Named(found[-1].group(0), role_of(before))
        return Named(None, role_of(rest))  # a role alone: not named here
    caps = re.match(CAPS, rest)
    if caps and is_name(caps.group(0)):
        return Named(caps.group(0))  # "l'ARS", "la SNCF"
    if word in BODIES:
        body = BODY_END.split(role_of(rest))[0]
        # "la compagnie", "l'association": an organisation the article names elsewhere, not a
        # speaker a reader can check (4 of the 23 bare bodies named on the dev sets, all wrong).
        # "le syndicat national des médecins" says which: a complement or a capital.
        if word in NAMED_ELSEWHERE and not re.search(rf"\s(?:[{UP}]|d[eu]s?\s|d['’])", body):
            return None
        return Named(body)
    return None


def _after_verb(rest: str) -> tuple[Named | None, str | None]:
    """The speaker named after an inverted verb ("…, a déclaré lundi à l'AFP Jean Dupont")."""
    named: Named | None = None
    where: str | None = None
    for complements in COMPLEMENTS:
        skipped = complements.match(rest)
        where = _where(skipped.group(0)) if skipped else None
        clause = rest[skipped.end() :] if skipped else rest
        clause = CLAUSE_END.split(clause)[0]
        named = noun_phrase(clause)
        if named is not None:
            break
    if named and named.name and not where:
        where = _where(clause[clause.find(named.name.split()[-1]) :])
    return named, where


def _where(text: str) -> str | None:
    m = WHERE.search(text)
    return clean(m.group("w")) if m else None


# Sentences longer than this are not read for a speaker: each reporting verb rescans the
# sentence (a second for 40,000 characters without a full stop, found by the second review),
# and a real sentence that reports speech is far shorter.
LONGEST = 2_000


def read_sentence(sentence: str) -> tuple[Named | None, str | None, SpeechKind] | None:
    """The speech a sentence reports, if any: who (maybe a pronoun, or a role to resolve),
    where, and its kind; a phrase that names someone is preferred to a bare role."""
    if len(sentence) > LONGEST:
        return None
    # An outlet reports, it does not speak ("a indiqué au Point", "selon Le Parisien").
    found = [f for f in _readings(sentence) if not (f[0].name and is_outlet(f[0].name))]
    named = [f for f in found if f[0].name or f[0].pronoun]
    return (named or found)[0] if found else None


def _readings(sentence: str) -> Iterator[tuple[Named, str | None, SpeechKind]]:
    direct = bool(QUOTED.search(sentence) or sentence.lstrip()[:1] in OPEN_QUOTES)
    m = PRONOUN_VERB.search(sentence)
    if m and re.search(rf"[,{CLOSE_QUOTES}]\s*$", sentence[: m.start()]):
        yield Named(None, pronoun=True), _where(sentence[m.end() :]), _kind(direct, "")
    for m in ACCORDING.finditer(sentence):
        named = noun_phrase(m.group("np") or m.group("pour"))
        if named is not None:
            yield named, None, _kind(direct, "")
    for m in VERB.finditer(sentence):
        before, after = sentence[: m.start()], sentence[m.end() :]
        if re.search(rf"[,{CLOSE_QUOTES}]\s*$", before) and before.strip(" ,"):
            named, where = _after_verb(after)
            if named is not None:
                yield named, where, _kind(direct, "")
        speech = SPEECH_AFTER.match(after)
        if speech and (speech.group(0).strip() or re.fullmatch(EN_VERB, m.group(0))):
            subject = re.split(rf"[:;{CLOSE_QUOTES}]", before)[-1]
            named = noun_phrase(subject, at_end=True)
            if named is not None:
                yield named, _where(after[: speech.end()]), _kind(direct, speech.group(0))


def _kind(direct: bool, link: str) -> SpeechKind:
    return "indirect" if not direct or re.search(r"\bque\b|qu['’]|\bthat\b", link) else "direct"


def _bare_quote(sentence: str) -> bool:
    """A sentence that is a quotation and nothing else (it continues the previous speaker)."""
    s = sentence.strip()
    return s[:1] in OPEN_QUOTES and s[-2:].strip(".!? ")[-1:] in CLOSE_QUOTES


def speaker_of(
    text: str, start: int, end: int, language: str = "fr", beyond: bool = False
) -> Attribution:
    """Who speaks in ``text[start:end]``: the first sentence of it that names a speaker.

    A speaker found only in the sentences before the passage (a pronoun, a quotation that goes
    on) is named only with ``beyond``: on the three dev sets those were right 33 times in 42
    (0.79), speakers named in the passage 84 in 87 (0.97); shown, every speaker is one the
    reader can check in the quote itself."""
    spans = sentences(text, language if language in ("fr", "en") else "fr")
    inside = [i for i, s in enumerate(spans) if s.end > start and s.start < end]
    kind: SpeechKind = "none"
    for i in inside:
        found = _speaker_at(text, spans, i, depth=2)
        if found is not None and found.speaker:
            if beyond or _named_in(found.speaker, text[start:end]):
                return found
            found = replace(found, speaker=None, role=None, where=None)  # a later one may be
        if found is not None and kind == "none":
            kind = found.kind
    return Attribution(None, kind=kind)


def _named_in(speaker: str, passage: str) -> bool:
    """Whether the passage names the speaker: a person's surname, a body's last word."""
    return re.search(rf"\b{re.escape(speaker.split()[-1])}\b", passage) is not None


def _speaker_at(text: str, spans: Sequence[Span], i: int, depth: int) -> Attribution | None:
    sentence = text[spans[i].start : spans[i].end]
    read = read_sentence(sentence)
    if read is None:
        if depth and i and _bare_quote(sentence):
            before = _speaker_at(text, spans, i - 1, depth - 1)
            if before is not None and before.speaker:
                return Attribution(before.speaker, before.role, before.where, "direct")
        return None
    named, where, kind = read
    if named is None:
        return None
    if named.pronoun:
        named = _resolve(text, spans, i, depth) or named
    elif named.name is None and named.role:
        named = Named(by_role(text, named.role), named.role)
    return Attribution(named.name, named.role, where, kind)


def _resolve(text: str, spans: Sequence[Span], i: int, depth: int) -> Named | None:
    """The person a pronoun in sentence ``i`` stands for, looking back sentence by sentence:
    that sentence's speaker, else the person it opens with, else the one person it names (a
    sentence naming several, none the subject, is passed over)."""
    for j in range(i - 1, max(i - 1 - LOOK_BACK, -1), -1):
        if depth:
            spoken = _speaker_at(text, spans, j, depth - 1)
            if spoken is not None:  # the last words reported: their speaker, if a person
                if spoken.speaker and _PERSON.fullmatch(spoken.speaker):
                    return Named(spoken.speaker, spoken.role)
                return None
        people = [
            m
            for m in _PERSON.finditer(text, spans[j].start, spans[j].end)
            if m.group(0).split()[0].lower() not in NOT_NAMES and not is_outlet(m.group(0))
        ]
        opens = text[spans[j].start] not in OPEN_QUOTES
        opening = [m for m in people if opens and m.start() - spans[j].start < 3]
        if opening:
            return Named(opening[0].group(0))
        if len({m.group(0) for m in people}) == 1:
            return Named(people[0].group(0))
        if not people and ROLE_SUBJECT.search(text[spans[j].start : spans[j].end]):
            return None  # "le président de la République a assumé": someone not named here
    return None


def attribution(
    text: str,
    start: int,
    end: int,
    source: str | None,
    date: str | None,
    also_in: Sequence[Copy] = (),
    language: str | None = None,
) -> Attribution:
    """The speaker of ``text[start:end]`` with the chain: reported by the original of the wire
    group (the earliest copy, which may be the cited article itself), republished by the cited
    outlet when it is a copy."""
    found = speaker_of(text, start, end, language or "fr")
    if not found.speaker:
        return found
    copies = [c for c in also_in if c.source or c.date]
    first = min(copies, key=lambda c: publication_key(c.date, c.article_id), default=None)
    reported: str | None = source
    when, again = date, None
    if first is not None and publication_key(first.date, "") < publication_key(date, ""):
        reported, when = first.source or first.article_id, first.date
        again = source if source != reported else None
    return Attribution(found.speaker, found.role, found.where, found.kind, reported, when, again)
