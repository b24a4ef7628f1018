"""Who is speaking in a quote (issue 25): the rules on sentences written for these tests, the
chain (reported by the wire's original, republished by the cited outlet), old stored answers,
and the line under a citation in ``revue ask`` and in Discord."""

from __future__ import annotations

import asyncio
import json

import pytest

from index.coverage.speakers import attribution, speaker_of
from index.records import Attribution, Copy
from index.storage.answer_rows import record
from tests.fake_discord import FakeDiscord
from tests.test_bot import ALICE, FOLLOWUP, field_text, running_bot
from tests.test_cli import invoke


def said(text: str, start: int = 0, end: int | None = None, beyond: bool = False) -> Attribution:
    return speaker_of(text, start, len(text) if end is None else end, beyond=beyond)


@pytest.mark.parametrize(
    ("text", "speaker", "role", "kind"),
    [
        # the name after the quotation
        ("« Nous ne céderons rien », a déclaré lundi Paul Martin.", "Paul Martin", None, "direct"),
        # the name before, with its role in apposition
        (
            "Le ministre de l'Intérieur, Lucien Garnier, a affirmé que les contrôles seraient "
            "renforcés.",
            "Lucien Garnier",
            "ministre de l'Intérieur",
            "indirect",
        ),
        (
            "« Le dossier est clos », a expliqué à la presse Claire Dubois, porte-parole du "
            "syndicat.",
            "Claire Dubois",
            "porte-parole du syndicat",
            "direct",
        ),
        # « selon X », a body
        (
            "Trois personnes ont été interpellées, selon la préfecture.",
            "préfecture",
            None,
            "indirect",
        ),
        (
            "Le parquet de Lyon a indiqué qu'une enquête était ouverte.",
            "parquet de Lyon",
            None,
            "indirect",
        ),
        # English
        (
            '"We will not stop," said Jane Smith, the chief executive.',
            "Jane Smith",
            "chief executive",
            "direct",
        ),
    ],
)
def test_a_speaker_in_the_sentence(text, speaker, role, kind):
    found = said(text)
    assert (found.speaker, found.role, found.kind) == (speaker, role, kind)


@pytest.mark.parametrize(
    ("text", "speaker"),
    [
        # a title's full stop does not end the speaker's phrase
        ("« Rien ne presse », a déclaré M. Garnier en référence au décret.", "Garnier"),
        # how and when, between the verb and the speaker
        ("« Le coq chantait », a expliqué avec humour la gendarmerie sur son site.", "gendarmerie"),
        ("« Merci à tous », écrit ce samedi 12 mars la mairie de Lunel.", "mairie de Lunel"),
        # the imperfect reports speech too
        ("« Je suis fatiguée », confiait Claire Dubois à une amie.", "Claire Dubois"),
        # "selon" a title and a name; a reflexive verb
        ("Le verdict est attendu ce soir, selon M. Garnier.", "Garnier"),
        ("La préfecture se dit « très préoccupée » par la crue.", "préfecture"),
        # imperfects as French writes them
        ("« Rien ne presse », jugeait Jean Dupont.", "Jean Dupont"),
        ("« Tout ira bien », lançait Claire Dubois au micro.", "Claire Dubois"),
        # what was said, as an infinitive
        ("Claire Dubois a assuré ne pas avoir été entendue par les juges.", "Claire Dubois"),
        # a body of a kind, said which by its complement
        (
            "Il manque 300 médecins, selon le syndicat national des médecins.",
            "syndicat national des médecins",
        ),
    ],
)
def test_the_speaker_after_an_inverted_verb_or_selon(text, speaker):
    assert said(text).speaker == speaker


def test_a_pronoun_is_the_person_named_in_the_previous_sentence():
    text = (
        "Marc Lefèvre, maire de la commune, a présenté le projet mardi. "
        "« Les travaux commenceront en mai », a-t-il ajouté."
    )
    second = text.index("«")
    found = said(text, second, beyond=True)
    assert (found.speaker, found.kind) == ("Marc Lefèvre", "direct")
    # by default only a speaker the quote itself names is given: the reader can check it
    assert said(text, second) == Attribution(None, kind="direct")
    assert said(text).speaker == "Marc Lefèvre"  # the quote holds both sentences


def test_a_quotation_alone_continues_the_previous_speaker():
    text = (
        "« Le budget est tenu », a assuré Sophie Arnaud, directrice de l'hôpital. "
        "« Nous recruterons dix infirmiers. »"
    )
    assert said(text, text.rindex("«"), beyond=True).speaker == "Sophie Arnaud"


def test_a_title_or_a_nickname_in_quotation_marks_is_not_speech():
    text = "La société a lancé une opération « code rouge » pour sauver son produit."
    assert said(text) == Attribution(None)
    text = "Le film « Les Enfants du marais » ressort en salles mercredi."
    assert said(text).speaker is None


@pytest.mark.parametrize(
    "text",
    [
        "« C'est une erreur », a confié un proche du dossier.",  # unnamed
        "« Nous verrons bien », a-t-elle ajouté.",  # a pronoun with no one before it
        "Les ventes ont baissé de 3 % en mars.",  # no speech at all
    ],
)
def test_an_unknown_speaker_is_none(text):
    assert said(text).speaker is None


@pytest.mark.parametrize(
    ("text", "speaker"),
    [
        # the outlet is where it was said: the speaker is who it quotes
        ("« Rien n'est joué », a indiqué au Point Hélène Marchal.", "Hélène Marchal"),
        # an outlet reports, it does not speak
        ("Le maire aurait démissionné, selon Le Parisien.", None),
        ("« Nous partirons », a déclaré France Info.", None),
    ],
)
def test_a_news_outlet_is_never_the_speaker(text, speaker):
    assert said(text).speaker == speaker


def test_a_body_called_by_its_kind_is_no_speaker_and_a_body_ends_before_its_verb():
    text = "Air Lumière a annulé ses vols. La compagnie a indiqué qu'elle rembourserait tout."
    assert said(text, text.index("La")).speaker is None  # "la compagnie": named elsewhere
    text = "La préfecture de police a indiqué dimanche matin que la manifestation était interdite."
    assert said(text).speaker == "préfecture de police"
    text = "« Tout est calme », a indiqué la préfecture de police dimanche matin."
    assert said(text).speaker == "préfecture de police"


@pytest.mark.parametrize(
    "text",
    [
        "La gendarmerie poursuit encore ses recherches dans la forêt.",  # "encore" is no verb
        "« Non », a déclaré L'Humanité.",  # an outlet
    ],
)
def test_no_speaker_is_made_up(text):
    assert said(text).speaker is None


def test_a_speaker_the_passage_names_after_one_it_does_not_is_found():
    text = "Paul Martin a parlé. « J'assume », a-t-il dit. « Et encore », a déclaré Jean Dupont."
    assert said(text, text.index("«")).speaker == "Jean Dupont"


def test_a_pronoun_after_a_person_given_only_by_role_is_not_someone_named_earlier():
    text = (
        "Le gouvernement a répondu par la voix de Paul Martin. "
        "Dans la foulée, le président de la République a assumé ses choix. "
        "« J'assume parfaitement », a-t-il dit."
    )
    assert said(text, text.index("«"), beyond=True).speaker is None
    named = text.replace("Dans la foulée, le président de la République", "Il")
    assert said(named, named.index("«"), beyond=True).speaker == "Paul Martin"
    opening = text.replace("Dans la foulée, le", "Le")  # the role opens its sentence
    assert said(opening, opening.index("«"), beyond=True).speaker is None


def test_the_chain_names_the_original_of_a_wire_copy():
    text = "« Rien n'est décidé », a déclaré Paul Martin."
    copies = (
        Copy("b", "Le Provençal", "2025-03-02", None, None),
        Copy("a", "AFP", "2025-03-01", None, None),
    )
    copy = attribution(text, 0, len(text), "La Gazette", "2025-03-03", copies)
    assert (copy.speaker, copy.reported_by, copy.original_date) == (
        "Paul Martin",
        "AFP",
        "2025-03-01",
    )
    assert copy.republished_by == "La Gazette"
    assert copy.line == "said by Paul Martin · reported by AFP · republished by La Gazette"
    original = attribution(text, 0, len(text), "AFP", "2025-03-01", copies[:1])
    assert (original.reported_by, original.republished_by) == ("AFP", None)
    assert attribution("Il pleut.", 0, 9, "AFP", None).line == ""  # no speaker, no line


def test_answers_stored_before_the_attribution_still_load():
    old = {"n": 1, "article_id": "a", "title": "T", "source": "AFP", "date": None, "url": None}
    old |= {"quote": "q", "start": 0, "end": 1, "score": 1.0, "also_in": []}
    row = {"id": 1, "question": "?", "asked": "?", "answer": "[1]", "abstained": 0}
    row |= {"language": "en", "created_at": "2025-01-01T00:00:00+00:00", "previous_id": None}
    row |= {"channel_id": None, "message_id": None}
    assert record({**row, "citations": json.dumps([old])}).citations[0].attribution is None
    new = {**old, "attribution": {"speaker": "Nick Turley", "kind": "direct"}}
    loaded = record({**row, "citations": json.dumps([new])}).citations[0]
    assert loaded.attribution == Attribution("Nick Turley", kind="direct")


SEED_QUESTION = "Who is Nick Turley?"


def test_revue_ask_names_nick_turley_under_his_quote(seed_index):
    answer = json.loads(invoke(seed_index, "ask", SEED_QUESTION, "--json").stdout)
    cited = next(c for c in answer["citations"] if "Nick Turley" in c["quote"])
    assert cited["attribution"] == {
        "speaker": "Nick Turley",
        "role": "responsable de ChatGPT",
        "where": "sur X (ex-Twitter)",
        "kind": "direct",
        "reported_by": "AFP",
        "original_date": None,
        "republished_by": None,
    }
    shown = invoke(seed_index, "ask", SEED_QUESTION).stdout
    assert (
        "said by Nick Turley (responsable de ChatGPT), sur X (ex-Twitter) · reported by AFP"
        in shown
    )
    # the Institut's "code rouge" is a nickname, not speech: no line under it
    other = invoke(seed_index, "ask", "Pourquoi OpenAI a-t-il déclenché le code rouge ?").stdout
    assert "said by" not in other.split("Institut des Arts Numériques", 1)[-1].split("[2]")[0]


def test_the_discord_field_shows_who_said_it(seed_index):
    async def scenario() -> None:
        async with FakeDiscord() as fake, running_bot(seed_index, fake):
            await fake.slash("ask", {"question": SEED_QUESTION}, author=ALICE)
            (followup,) = await fake.wait_for("POST", FOLLOWUP)
        assert "said by Nick Turley (responsable de ChatGPT)" in field_text(followup.json)

    asyncio.run(scenario())
