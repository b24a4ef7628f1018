"""The words of speech in French and English news: reporting verbs, names, roles and the
noun phrases that speak (``speakers.py`` reads sentences with them). Pure regular expressions,
no model: each pattern names what it is for."""

from __future__ import annotations

import re
from dataclasses import dataclass

UP = "A-ZÀÂÄÇÉÈÊËÎÏÔÖÙÛÜŸÆŒ"
LOW = "a-zàâäçéèêëîïôöùûüÿæœñáíóúã"
APOS = "['’]"
OPEN_QUOTES = '«“"'
CLOSE_QUOTES = '»”"'

# A word of a person's name ("Jean-Luc", "Mélenchon", "Le"), and a name of two to four words
# with particles ("Alexandre de Bosschère", "Marine Le Pen"). Acronyms ("PS") are not names.
NAME_WORD = rf"[{UP}][{LOW}]+(?:-[{UP}][{LOW}]+)*"
PARTICLE = rf"(?:de|du|des|van|von|der|den|da|di|del|ben|bin|al|el|d{APOS})"
PERSON = rf"{NAME_WORD}(?:\s+(?:{PARTICLE}\s*)?{NAME_WORD}){{1,3}}"
# Any capitalised chain: a body or a brand ("ARS", "Guide Michelin", "OpenAI").
CAPS = rf"[{UP}][\w&.’'\-]*(?:\s+(?:{PARTICLE}\s*)?[{UP}0-9][\w&.’'\-]*){{0,4}}"
TITLE = r"(?:M\.|Mme|Mmes|MM\.|Me|Mgr|Dr|Pr)"
DET = rf"(?:le|la|les|l{APOS}|son|sa|ses|leur|leurs|the)"
VAGUE = rf"(?:un|une|des|d{APOS}autres|plusieurs|certains|certaines|ce|cet|cette|ces|a|an|some)"

# Words that start a capitalised chain without naming anyone.
NOT_NAMES = frozenset(
    """le la les l un une il elle ils elles on nous je ce cette ces cet mais et pour selon
    dans en au aux a à sur par avec après avant depuis alors si quand comme lors chez d de du
    des the he she they it we but in on at for and according after as this that his her its
    their m mme ainsi enfin pourtant or donc car puis invité invitée interrogé interrogée""".split()
)

# Heads of noun phrases that name a person by function: with a name beside them, the name
# speaks; alone they are not named (None, unless the article named them before).
PERSON_ROLES = frozenset(
    """président présidente ministre patron patronne directeur directrice porte-parole
    secrétaire député députée sénateur sénatrice maire chef cheffe leader responsable avocat
    avocate procureur procureure juge dirigeant dirigeante fondateur fondatrice ambassadeur
    ambassadrice commissaire conseiller conseillère candidat candidate premier première
    vice-président vice-présidente adjoint adjointe élu élue préfet préfète général
    entraîneur sélectionneur capitaine chercheur chercheuse expert experte spécialiste
    économiste analyste professeur professeure médecin délégué déléguée coordinateur
    coordinatrice rapporteur rapporteure actrice acteur chanteur chanteuse journaliste
    reporter animateur animatrice co-président co-présidente président-directeur pdg
    PDG CEO ceo head chief minister president spokesman spokeswoman spokesperson director""".split()
)
# Heads of noun phrases that name a body able to speak ("le parquet de Paris").
BODIES = frozenset(
    """parquet préfecture police gendarmerie gouvernement ministère mairie tribunal cour
    justice parti syndicat direction entreprise société groupe compagnie commission conseil
    agence association fédération office institut observatoire autorités armée état-major
    présidence elysée élysée matignon ambassade hôpital rectorat académie collectif comité
    sénat union banque fondation ong équipe entourage service services cabinet guide journal
    quotidien hebdomadaire magazine chaîne site bureau instance ville région département
    organisation administration inspection défense opposition majorité club municipalité
    constructeur laboratoire firme fédé ligue préfecture-de-police government police ministry
    company court prosecutors""".split()
)

# Bodies that a news story names once ("Air France") and then calls by their kind ("la
# compagnie"): alone, they are no checkable speaker.
NAMED_ELSEWHERE = frozenset(
    """compagnie société entreprise groupe association organisation firme constructeur club
    fédération syndicat collectif ong fondation laboratoire banque company""".split()
)

# Reporting verbs: past participles (after "a", "ont", "avait"…, or "a-t-il") and present
# forms (after a subject, or inverted: "estime Jean Dupont", "ajoute-t-elle").
_PP = """déclaré affirmé indiqué expliqué ajouté annoncé assuré dénoncé précisé dit écrit
    souligné estimé jugé rappelé reconnu confié raconté martelé insisté répondu réagi regretté
    déploré prévenu averti confirmé démenti lancé tweeté poursuivi conclu commenté noté
    observé relevé plaidé défendu justifié promis répété ironisé tonné fustigé critiqué salué
    admis avoué résumé détaillé argué signalé protesté considéré constaté témoigné confessé
    glissé lâché taclé insisté certifié martelé""".split()
_REFLEXIVE = """dit déclaré félicité réjoui inquiété insurgé emporté exclamé défendu
    interrogé indigné alarmé étonné offusqué montré""".split()
_PRESENT = """déclare affirme indique explique ajoute annonce assure dénonce précise dit écrit
    souligne estime juge rappelle reconnaît reconnait confie raconte martèle insiste répond
    réagit regrette déplore prévient avertit confirme poursuit conclut commente note observe
    relève plaide justifie lance tonne fustige résume détaille considère pense croit
    témoigne constate signale glisse lâche confesse avoue admet ironise raille tacle
    certifie souhaite emporte insurge interroge exclame indigne félicite réjouit inquiète
    alarme étonne rapporte souvient""".split()
_EN = "said says told added explained wrote warned stated announced noted insisted".split()


def _imperfect_stem(form: str) -> str:
    """The imperfect's stem of a first-group present ("juge" → "juge", "lance" → "lanç",
    "rappelle" → "rappel", "martèle" → "martel", "considère" → "considér")."""
    stem = form[:-1]
    if stem.endswith(("ll", "tt")):
        stem = stem[:-1]
    if "è" in stem[-3:]:
        at = stem.rindex("è")
        stem = stem[:at] + ("e" if stem[at + 1 : at + 2] in ("l", "v") else "é") + stem[at + 1 :]
    if stem.endswith("g"):
        return stem + "e"
    return stem[:-1] + "ç" if stem.endswith("c") else stem


# Imperfects of the other groups, as written.
_IRREGULAR = """disait écrivait reconnaissait réagissait avertissait prévenait poursuivait
    concluait admettait croyait souvenait réjouissait""".split()


def _plural(forms: list[str]) -> list[str]:
    """The present's plural and the imperfect ("confie", "confient", "confiait", "confiaient")."""
    stems = [_imperfect_stem(f) for f in forms if f.endswith("e")]
    imperfect = [s + "ait" for s in stems] + _IRREGULAR
    return [
        *forms,
        *(f + "nt" for f in forms if f.endswith("e")),
        *imperfect,
        *(i[:-1] + "ent" for i in imperfect),
    ]


def _alt(forms: list[str]) -> str:
    return "(?:" + "|".join(sorted(set(forms), key=len, reverse=True)) + ")"


PP = _alt(_PP) + r"(?:e|es|s)?"
REFLEXIVE = _alt(_REFLEXIVE) + r"(?:e|es|s)?"
PRESENT = _alt(_plural(_PRESENT))
EN_VERB = _alt(_EN)
AUX = r"(?:a|ont|avait|avaient|aurait|auraient|aura|has|had|have)"
ADVERB = (
    rf"(?:[{LOW}]+ment|déjà|aussi|encore|alors|ensuite|enfin|ainsi|pourtant|toutefois|même"
    r"|bien|également|notamment|en effet|par avance|lui-même|elle-même|immédiatement)"
)
ADVERBS = rf"(?:\s+{ADVERB})*"
PRONOUN = r"(?:il|elle|ils|elles|Il|Elle|Ils|Elles|he|she|they|He|She|They)"

# "a-t-il ajouté", "avait-elle dit", "s'était-elle insurgée", "ajoute-t-il", "dit-elle".
PRONOUN_VERB = re.compile(
    rf"\b(?:{AUX}|(?:s{APOS})?(?:est|était|sont|étaient))-(?:t-)?(?P<p>{PRONOUN}){ADVERBS}\s+"
    rf"(?:{PP}|{REFLEXIVE})\b"
    rf"|\b(?:s{APOS})?{PRESENT}-(?:t-)?(?P<q>{PRONOUN})\b"
    rf"|\b(?:{EN_VERB})\s+(?P<r>he|she|they)\b"
)
# A reporting verb with its auxiliary: what follows or precedes it may name the speaker.
VERB = re.compile(
    rf"\b(?:{AUX}{ADVERBS}\s+{PP}|s{APOS}(?:est|était|sont|étaient){ADVERBS}\s+{REFLEXIVE}"
    rf"|(?:s{APOS}|se\s+)?{PRESENT}|{EN_VERB}|fait savoir|a fait savoir)\b(?!-)"
)
# "selon X", "d'après X", "according to X", and "Pour X, « … »".
ACCORDING = re.compile(
    rf"\b(?:[Ss]elon|[Dd]{APOS}après|[Aa]ccording to)\s+(?P<np>(?:{TITLE}\s+)?[^,.;:«»\"“”()]+)"
    rf"|\bPour\s+(?P<pour>[^.;«»\"“”]+?),\s*(?:le |la |l{APOS})?[{OPEN_QUOTES}]"
)
# Where it was said: "à l'AFP", "sur X (ex-Twitter)", "dans un communiqué", "au Figaro".
WHERE = re.compile(
    rf"(?:^|\s)(?P<w>(?:à|auprès de|au|aux|sur|dans|devant|au micro de|sur l{APOS}antenne de|"
    rf"to|on|in)\s+(?:{DET}\s*|un |une |a |an )?(?:{CAPS}(?:\s*\([^)]{{1,30}}\))?"
    rf"|[{LOW}]+(?:\s+(?!que\b|qu{APOS}|that\b)[{LOW}]+){{0,2}}))"
)


@dataclass(frozen=True)
class Named:
    """Who a noun phrase names: a person or a body (``name``), its role; ``pronoun`` when it
    is "il", "elle" or "ce dernier" and must be resolved from what came before."""

    name: str | None
    role: str | None = None
    pronoun: bool = False


def clean(text: str) -> str:
    return " ".join(text.strip(" ,;:").split())


def head(words: str) -> str:
    """The first noun of a phrase, past its determiner and a few adjectives."""
    for w in re.findall(r"[\w\-]+", words):
        low = w.lower()
        if low in {"le", "la", "les", "l", "son", "sa", "ses", "leur", "leurs", "the"}:
            continue
        if low in {"ancien", "ancienne", "nouveau", "nouvelle", "jeune", "actuel", "actuelle"}:
            continue
        return str(low)
    return ""


_PERSON = re.compile(PERSON)


def is_role(text: str) -> bool:
    """A phrase that says what a person is ("le secrétaire général de LR"), with no name."""
    return head(text) in PERSON_ROLES and not _PERSON.search(text)


def is_name(text: str) -> bool:
    text = clean(text)
    m = re.fullmatch(rf"(?:{TITLE}\s+)?({CAPS})", text)
    if not m:
        return False
    first = re.split(r"[\s'’\-]", m.group(1))[0]
    header = len(first) > 5 and first.isupper()  # "PREVISIONS - La SNCF note…"
    return first.lower() not in NOT_NAMES and not header


def name_of(text: str) -> str:
    return clean(re.sub(rf"^{TITLE}\s+", "", clean(text)))


def role_of(text: str) -> str:
    """A role as the article words it, without its determiner or a trailing "où"/"qui"."""
    text = re.split(r"\s(?:qui|où|dont|que|,)\s", clean(text))[0]
    return clean(re.sub(rf"^{DET}\s*", "", text, flags=re.IGNORECASE))


def by_role(text: str, role: str) -> str | None:
    """The one person the article names beside ``role`` ("le procureur, Alexandre de
    Bosschère", "Gérard Collomb, ministre de l'Intérieur"); None when none or several."""
    for phrase in dict.fromkeys((role, head(role))):
        if not phrase:
            continue
        said = re.escape(phrase)
        names = {
            m.group("a") or m.group("b")
            for m in re.finditer(
                rf"\b{said}\s*,?\s*(?P<a>{PERSON})|(?P<b>{PERSON})\s*,\s*(?:{DET}\s*)?{said}\b",
                text,
            )
        }
        names = {n for n in names if n.split()[0].lower() not in NOT_NAMES}
        if len(names) == 1:
            return names.pop()
        if names:
            return None
    return None
