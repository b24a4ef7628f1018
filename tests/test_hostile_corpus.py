"""Hostile corpus files (issue 14): each kind of bad input, written beside good articles and
indexed by the real engine (fake encoder, real SQLite and FAISS), is one Problem that names it
and says why in words; nothing escapes, and every good article is indexed and found.

A kind whose ``reason`` is None is odd but readable (UTF-16, one 200 KB line, a BOM and CRLF):
it must load. A ``kept`` kind is indexed with a warning (a date that is not a date)."""

from __future__ import annotations

import errno
import gzip
import json
import os
import re
import struct
import time
import tracemalloc
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import index.ingest.corpus as corpus_module
from cli.main import cli
from index.ingest.corpus import load_corpus, printable
from index.ingest.files import MAX_LINE_BYTES
from tests.conftest import write

pytestmark = pytest.mark.timeout(120)  # a named pipe that blocks fails here instead of hanging

MB = 2**20
GOOD = {
    "good-maire": "Le maire de Quimper a inauguré la nouvelle médiathèque samedi matin devant "
    "trois cents habitants.",
    "good-greve": "La grève des contrôleurs aériens a cloué au sol les avions de Marseille "
    "pendant deux jours.",
    "jazz": "Le festival de jazz de Marciac affiche complet pour sa quarante-septième édition.",
    "usine": "L'usine Renault de Flins fermera ses portes en 2024, a annoncé la direction lundi.",
}
# Good articles that a hostile file also holds (other lines, entries): they must load too.
EXTRA = {
    "types-ok": "Les vendanges ont commencé tôt en Bourgogne à cause de la chaleur d'août.",
    "idlist-ok": "Un loup a été aperçu près d'un troupeau de brebis dans le Vercors.",
    "titledict-ok": "La piscine olympique de Nantes rouvre après dix-huit mois de travaux.",
    "notobject-ok": "Le tramway de Besançon circulera toute la nuit du réveillon.",
    "deep-ok": "Une tempête a arraché la toiture du gymnase de Lorient mardi.",
    "bignum-ok": "Le prix de la baguette augmente de cinq centimes chez les boulangers lyonnais.",
    "surrogate-ok": "Les archives départementales numérisent les registres paroissiaux.",
    "badjson-ok": "Un incendie de forêt mobilise deux cents pompiers dans les Landes.",
    "longline-before": "La fromagerie de Roquefort embauche quarante saisonniers cet été.",
    "longline-after": "Le phare d'Eckmühl accueille une exposition de photographies marines.",
    "bomb-ok": "Les cigognes sont revenues nicher sur les toits de Colmar.",
    "blankbomb-ok": "Une coopérative de pêcheurs relance la criée de Douarnenez.",
    "windows-1": "Le conseil régional finance trois nouveaux lycées agricoles en Auvergne.",
    "windows-2": "La marée noire menace les parcs à huîtres du bassin d'Arcachon.",
    "utf16": "Les cerisiers du Japon fleurissent en avance au jardin des Plantes de Paris.",
    "oneline": "Un éboulement bloque la route du col du Galibier",
    "impossible-date": "Le chantier du pont transbordeur de Rochefort prend encore du retard.",
    "feed-entry": "Les ostréiculteurs de Cancale fêtent une récolte exceptionnelle cette année.",
    "dup-ok": "Le musée de la Bande dessinée d'Angoulême prolonge son exposition Tintin.",
}
HUMAN = re.compile(r"Traceback|Error|Exception|<class|object at 0x|\n")


@dataclass(frozen=True)
class Kind:
    """One kind of hostile input: ``make`` writes it into the corpus folder and returns the
    path its problem must name; ``reason`` is what the problem must say (None: it loads)."""

    id: str
    make: Callable[[Path, pytest.MonkeyPatch], Path]
    reason: str | None
    keeps: tuple[str, ...] = ()  # EXTRA articles the input holds beside the bad part
    kept: bool = False  # the bad part is indexed anyway, with a warning


KINDS: list[Kind] = []


def kind(reason: str | None, *keeps: str, kept: bool = False) -> Callable[..., Any]:
    def register(make: Callable[[Path, pytest.MonkeyPatch], Path]) -> Any:
        KINDS.append(Kind(make.__name__.replace("_", "-"), make, reason, keeps, kept))
        return make

    return register


def row(article_id: str, **fields: Any) -> dict[str, Any]:
    return {"id": article_id, "text": EXTRA[article_id], **fields}


def lines(*rows: object) -> str:
    return "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows)


def sparse(path: Path, size: int, head: bytes = b"") -> Path:
    """A file of ``size`` bytes that takes no room: ``head`` then a hole (NUL bytes)."""
    write(path, head)
    with path.open("r+b") as fh:
        fh.truncate(size)
    return path


def gzip_members(first: bytes, member: bytes, copies: int) -> bytes:
    """A gzip file whose members inflate to ``first`` + ``copies`` x ``member``: a bomb is
    built from one small compressed member repeated (gzip readers join members)."""
    packed = gzip.compress(member, compresslevel=9)
    return gzip.compress(first) + packed * copies


def feed(items: str, doctype: str = "") -> str:
    return (
        f'<?xml version="1.0"?>\n{doctype}<rss version="2.0"><channel><title>Le Flux</title>'
        f"{items}</channel></rss>"
    )


# -- text and encodings ------------------------------------------------------------------------
@kind(r"not UTF-8 text: it ends in the middle of a character \(cut off\?\)")
def truncated_utf8(c: Path, mp: pytest.MonkeyPatch) -> Path:
    return write(c / "cut.md", "Un texte coupé net au milieu du dernier caractère é".encode()[:-1])


@kind(r"not UTF-8 text: byte 0xe9 on line 2 \(Latin-1 or Windows-1252\?\)")
def latin1_text(c: Path, mp: pytest.MonkeyPatch) -> Path:
    return write(c / "latin1.txt", "Titre\nLe théâtre rouvre ses portes.".encode("latin-1"))


@kind(r"binary data \(NUL bytes\), not text")
def nul_bytes(c: Path, mp: pytest.MonkeyPatch) -> Path:
    return write(c / "nul.md", b"Un texte\x00\x00 avec des octets nuls au milieu.\n")


@kind(r"a PNG image, not text")
def png_named_md(c: Path, mp: pytest.MonkeyPatch) -> Path:
    png = b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR" + b"\x00" * 17
    return write(c / "photo.md", png)


@kind(r"binary data \(NUL bytes\), not text")
def binary_named_html(c: Path, mp: pytest.MonkeyPatch) -> Path:
    return write(c / "blob.html", bytes(range(256)) * 8)


@kind(None, "utf16")
def utf16_with_bom(c: Path, mp: pytest.MonkeyPatch) -> Path:
    return write(c / "utf16.txt", ("\ufeff" + EXTRA["utf16"] + "\r\n").encode("utf-16-le"))


@kind(None, "oneline")
def one_long_line(c: Path, mp: pytest.MonkeyPatch) -> Path:
    words = " ".join(f"mot{i}" for i in range(30_000))  # ~230 KB, no newline, no full stop
    return write(c / "oneline.txt", f"{EXTRA['oneline']} {words}")


@kind(r"text holds control character U\+0007 on line 2: binary or damaged text")
def control_characters(c: Path, mp: pytest.MonkeyPatch) -> Path:
    return write(c / "bell.md", "Première ligne.\nUne cloche \x07 sonne au milieu du texte.\n")


@kind(r"empty file \(0 bytes\)")
def empty_file(c: Path, mp: pytest.MonkeyPatch) -> Path:
    return write(c / "empty.md", b"")


@kind(r"empty text")
def whitespace_only(c: Path, mp: pytest.MonkeyPatch) -> Path:
    return write(c / "blank.txt", "  \n\t\n   \r\n")


@kind(r"its name is not UTF-8: rename it")
def undecodable_file_name(c: Path, mp: pytest.MonkeyPatch) -> Path:
    name = os.fsencode(c) + b"/caf\xe9.md"
    with open(name, "wb") as fh:
        fh.write(b"Un article au nom de fichier en Latin-1.")
    return Path(os.fsdecode(name))


@kind(r"unsupported file type \.pdf")
def pdf_document(c: Path, mp: pytest.MonkeyPatch) -> Path:
    return write(c / "rapport.pdf", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")


# -- size and bombs ----------------------------------------------------------------------------
@kind(r"50\.0 MB, over the 10\.0 MB limit for one file")
def article_of_50_mb(c: Path, mp: pytest.MonkeyPatch) -> Path:
    return sparse(c / "huge.md", 50 * MB, b"---\ntitle: Immense\n---\nDu texte, puis un trou.\n")


@kind(r"50\.0 MB, over the 10\.0 MB limit for one file")
def html_of_50_mb(c: Path, mp: pytest.MonkeyPatch) -> Path:
    return sparse(c / "huge.html", 50 * MB, b"<html><body><p>Une page immense.</p>")


@kind(r"line of 50\.0 MB, over the limit for one article", "longline-before", "longline-after")
def jsonl_line_of_50_mb(c: Path, mp: pytest.MonkeyPatch) -> Path:
    path = sparse(c / "longline.jsonl", 50 * MB, lines(row("longline-before")).encode())
    with path.open("ab") as fh:
        fh.write(b"\n" + lines(row("longline-after")).encode())
    return path


@kind(r"gzip expands more than 50x \(a zip bomb\?\): stopped at line 2, .*", "bomb-ok")
def gzip_bomb(c: Path, mp: pytest.MonkeyPatch) -> Path:
    # 200 members of 10 MB of spaces: 2 GB inflated from 2 MB, one endless line.
    bomb = gzip_members(lines(row("bomb-ok")).encode(), b" " * (10 * MB), 200)
    return write(c / "bomb.jsonl.gz", bomb)


@kind(r"gzip expands more than 50x \(a zip bomb\?\): stopped at line \d+, .*", "blankbomb-ok")
def gzip_bomb_of_blank_lines(c: Path, mp: pytest.MonkeyPatch) -> Path:
    bomb = gzip_members(lines(row("blankbomb-ok")).encode(), b"\n" * (4 * MB), 100)
    return write(c / "blankbomb.jsonl.gz", bomb)


@kind(r"corrupt gzip file")
def corrupt_gzip(c: Path, mp: pytest.MonkeyPatch) -> Path:
    return write(c / "corrupt.jsonl.gz", b"\x1f\x8b\x08\x00 this is not deflate data")


@kind(r"no main text found in html")
def html_nested_200000_deep(c: Path, mp: pytest.MonkeyPatch) -> Path:
    depth = 200_000  # lxml stops at 256 levels: nothing below is kept
    page = "<html><body>" + "<div>" * depth + "Le texte tout au fond." + "</div>" * depth
    return write(c / "nested.html", page + "</body></html>")


@kind(r"too large to extract: 60,00\d HTML elements, over the limit of 20,000 \(2\.\d MB\)")
def html_of_60000_elements(c: Path, mp: pytest.MonkeyPatch) -> Path:
    body = "<p>Encore un paragraphe sans fin.</p>" * 60_000
    return write(c / "wide.html", f"<html><body><article>{body}</article></body></html>")


@kind(r"no main text found in html")
def html_without_article(c: Path, mp: pytest.MonkeyPatch) -> Path:
    nav = "<nav><a href='/'>Accueil</a> <a href='/sport'>Sport</a></nav>"
    return write(c / "nav.html", f"<html><body>{nav}<footer>© 2025</footer></body></html>")


# -- feeds -------------------------------------------------------------------------------------
LAUGHS = (
    '<!DOCTYPE rss [\n<!ENTITY lol "lol">\n'
    + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">\n'
        for i in range(1, 10)
    )
    + "]>\n"
)
ITEM = (
    "<item><title>{title}</title><guid>{guid}</guid>{date}<description>{text}</description></item>"
)


@kind(r"a feed declaring XML entities, refused: they can expand .*")
def billion_laughs_feed(c: Path, mp: pytest.MonkeyPatch) -> Path:
    item = ITEM.format(title="Rires", guid="lol", date="", text="&lol9;")
    return write(c / "laughs.xml", feed(item, LAUGHS))


@kind(r"a feed declaring XML entities, refused: .* read local files \(XXE\)")
def external_entity_feed(c: Path, mp: pytest.MonkeyPatch) -> Path:
    doctype = '<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
    item = ITEM.format(title="Secret", guid="xxe", date="", text="Avant &xxe; après.")
    return write(c / "xxe.rss", feed(item, doctype))


@kind(r"not an RSS or Atom feed")
def xml_that_is_not_a_feed(c: Path, mp: pytest.MonkeyPatch) -> Path:
    return write(c / "sitemap.xml", "<?xml version='1.0'?><urlset><url>x</url></urlset>")


@kind(r"date 'le 32 trucmuche 2025' is not a date: indexed without one", "feed-entry", kept=True)
def feed_with_malformed_date(c: Path, mp: pytest.MonkeyPatch) -> Path:
    date = "<pubDate>le 32 trucmuche 2025</pubDate>"
    item = ITEM.format(title="Huîtres", guid="feed-entry", date=date, text=EXTRA["feed-entry"])
    return write(c / "dates.rss", feed(item))


# -- JSON Lines --------------------------------------------------------------------------------
@kind(r"text is not a string \(a number\)", "types-ok")
def jsonl_text_a_number(c: Path, mp: pytest.MonkeyPatch) -> Path:
    return write(c / "types.jsonl", lines(row("types-ok"), {"id": "n", "text": 12}))


@kind(r"id is not text \(a list\)", "idlist-ok")
def jsonl_id_a_list(c: Path, mp: pytest.MonkeyPatch) -> Path:
    bad = {"id": ["a", "b"], "text": "Un identifiant qui est une liste."}
    return write(c / "idlist.jsonl", lines(row("idlist-ok"), bad))


@kind(r"title is not text \(a mapping\)", "titledict-ok")
def jsonl_title_a_dict(c: Path, mp: pytest.MonkeyPatch) -> Path:
    bad = {"id": "t", "text": "Un titre qui est un objet.", "title": {"fr": "Titre"}}
    return write(c / "titledict.jsonl", lines(row("titledict-ok"), bad))


@kind(r"not a JSON object \(a list\)", "notobject-ok")
def jsonl_line_not_an_object(c: Path, mp: pytest.MonkeyPatch) -> Path:
    return write(c / "notobject.jsonl", lines(row("notobject-ok"), "[1, 2, 3]"))


@kind(
    r"not valid JSON: expecting property name enclosed in double quotes \(column 2\)", "badjson-ok"
)
def jsonl_invalid_json(c: Path, mp: pytest.MonkeyPatch) -> Path:
    return write(c / "badjson.jsonl", lines(row("badjson-ok"), "{not json"))


@kind(r"not valid JSON: nested too deeply", "deep-ok")
def jsonl_nested_100000_deep(c: Path, mp: pytest.MonkeyPatch) -> Path:
    return write(c / "deep.jsonl", lines(row("deep-ok"), "[" * 100_000 + "]" * 100_000))


@kind(r"not valid JSON: a number too long to read", "bignum-ok")
def jsonl_number_of_5000_digits(c: Path, mp: pytest.MonkeyPatch) -> Path:
    bad = '{"id": 1' + "0" * 5000 + ', "text": "Un nombre immense."}'
    return write(c / "bignum.jsonl", lines(row("bignum-ok"), bad))


@kind(r"text holds an unpaired surrogate \(U\+D800\), not valid Unicode", "surrogate-ok")
def jsonl_lone_surrogate(c: Path, mp: pytest.MonkeyPatch) -> Path:
    bad = '{"id": "s", "text": "Un texte \\ud800 cassé."}'
    return write(c / "surrogate.jsonl", lines(row("surrogate-ok"), bad))


@kind(None, "windows-1", "windows-2")
def jsonl_with_bom_and_crlf(c: Path, mp: pytest.MonkeyPatch) -> Path:
    text = "\ufeff" + lines(row("windows-1"), row("windows-2")).replace("\n", "\r\n")
    return write(c / "windows.jsonl", text.encode())


@kind(r"empty file \(0 bytes\)")
def empty_jsonl(c: Path, mp: pytest.MonkeyPatch) -> Path:
    return write(c / "nothing.jsonl", b"")


# -- front matter ------------------------------------------------------------------------------
@kind(r"bad front matter: not YAML \(did not find expected ',' or '\]', line 3\)")
def front_matter_not_yaml(c: Path, mp: pytest.MonkeyPatch) -> Path:
    return write(c / "notyaml.md", "---\ntitle: [pas fermé\n---\nCorps du texte.\n")


@kind(r"bad front matter: a list, not a key/value mapping")
def front_matter_not_a_mapping(c: Path, mp: pytest.MonkeyPatch) -> Path:
    return write(c / "list.md", "---\n- un\n- deux\n---\nCorps du texte.\n")


@kind(r"bad front matter: no closing ---")
def front_matter_unclosed(c: Path, mp: pytest.MonkeyPatch) -> Path:
    return write(c / "unclosed.md", "---\ntitle: Sans fin\nCorps du texte.\n")


@kind(r"bad front matter: not YAML \(could not determine a constructor for the tag .*python.*")
def front_matter_python_tag(c: Path, mp: pytest.MonkeyPatch) -> Path:
    tag = "!!python/object/apply:os.system ['touch /tmp/revue-pwned']"
    return write(c / "pytag.md", f"---\ntitle: {tag}\n---\nCorps du texte.\n")


@kind(r"bad front matter: nested 30000 levels deep")
def front_matter_nested_30000_deep(c: Path, mp: pytest.MonkeyPatch) -> Path:
    # LibYAML's composer recurses in C: this kills the process (a segfault) if it is parsed.
    return write(c / "deepyaml.md", f"---\ntitle: {'[' * 30_000}{']' * 30_000}\n---\nCorps.\n")


@kind(r"bad front matter: title is not text \(a list\)")
def front_matter_alias_bomb(c: Path, mp: pytest.MonkeyPatch) -> Path:
    names = "abcdefghij"
    aliases = "".join(
        f"{n}: &{n} [{', '.join([f'*{p}'] * 10)}]\n" for p, n in zip(names, names[1:], strict=False)
    )
    return write(c / "aliases.md", f"---\na: &a [lol]\n{aliases}title: *j\n---\nCorps.\n")


@kind(r"date '2025-13-45' is not a date: indexed without one", "impossible-date", kept=True)
def front_matter_impossible_date(c: Path, mp: pytest.MonkeyPatch) -> Path:
    text = f"---\nid: impossible-date\ndate: 2025-13-45\n---\n{EXTRA['impossible-date']}\n"
    return write(c / "baddate.md", text)


@kind(r"duplicate id 'good-maire': already read from .*/good-maire\.md")
def duplicate_id_across_files(c: Path, mp: pytest.MonkeyPatch) -> Path:
    return write(c / "zz-dup.md", "---\nid: good-maire\n---\nUne autre histoire, même id.\n")


@kind(r"duplicate id 'dup-ok': already read from .*/dups\.jsonl:1", "dup-ok")
def duplicate_id_in_one_file(c: Path, mp: pytest.MonkeyPatch) -> Path:
    return write(c / "dups.jsonl", lines(row("dup-ok"), {"id": "dup-ok", "text": "Un doublon."}))


# -- the file system ---------------------------------------------------------------------------
@kind(r"symbolic link loop \(the link leads back to itself\)")
def symlink_loop(c: Path, mp: pytest.MonkeyPatch) -> Path:
    (c / "loop.md").symlink_to("loop.md")
    return c / "loop.md"


@kind(r"symbolic link loop \(the link leads back to itself\)")
def symlink_loop_without_extension(c: Path, mp: pytest.MonkeyPatch) -> Path:
    (c / "ring").symlink_to("ring")  # could be a folder: is_dir() raises, not False
    return c / "ring"


@kind(r"link to a folder already read \(.*\)")
def folder_link_to_its_parent(c: Path, mp: pytest.MonkeyPatch) -> Path:
    (c / "sub").mkdir()
    (c / "sub" / "back").symlink_to("..")
    return c / "sub" / "back"


@kind(r"broken symbolic link \(to nowhere\.md, which does not exist\)")
def dangling_symlink(c: Path, mp: pytest.MonkeyPatch) -> Path:
    (c / "gone.md").symlink_to("nowhere.md")
    return c / "gone.md"


@kind(r"vanished before it could be read")
def file_vanishing_after_listing(c: Path, mp: pytest.MonkeyPatch) -> Path:
    victim = write(c / "vanish.md", "Un article qui disparaît entre la liste et la lecture.\n")
    walk = corpus_module._Loader._walk

    def walk_then_delete(self: Any, directory: Path, root: Path) -> Iterator[Path]:
        for path in walk(self, directory, root):
            if path == victim and path.exists():
                path.unlink()  # listed, then gone before it is opened
            yield path

    mp.setattr(corpus_module._Loader, "_walk", walk_then_delete)
    return victim


@kind(r"permission denied")
def unreadable_file(c: Path, mp: pytest.MonkeyPatch) -> Path:
    victim = write(c / "secret.md", "Un article que personne ne peut lire.\n")
    victim.chmod(0)
    if os.geteuid() == 0:  # root reads a mode-000 file: the refusal is simulated
        real_open = os.open

        def deny(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
            if Path(os.fsdecode(path)) == victim:
                raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))
            return real_open(path, flags, *args, **kwargs)

        mp.setattr(os, "open", deny)
    return victim


@kind(r"a named pipe \(FIFO\), not a file")
def named_pipe(c: Path, mp: pytest.MonkeyPatch) -> Path:
    os.mkfifo(c / "pipe.md")  # opened the usual way, reading it waits for a writer forever
    return c / "pipe.md"


@kind(r"a folder named like an article file, and no file in it")
def folder_named_like_an_article(c: Path, mp: pytest.MonkeyPatch) -> Path:
    (c / "dossier.md").mkdir()
    return c / "dossier.md"


# -- the tests ---------------------------------------------------------------------------------
def good_corpus(folder: Path) -> Path:
    maire = f"---\ntitle: Médiathèque\nsource: Le Télégramme\n---\n{GOOD['good-maire']}\n"
    write(folder / "good-maire.md", maire)
    write(folder / "good-greve.txt", GOOD["good-greve"] + "\n")
    write(
        folder / "good-lines.jsonl", lines(*({"id": i, "text": GOOD[i]} for i in ("jazz", "usine")))
    )
    return folder


def names(problem_origin: str, path: Path) -> bool:
    where = printable(path)
    return problem_origin == where or problem_origin.startswith((f"{where}:", f"{where}#"))


def assert_human(reason: str) -> None:
    assert not HUMAN.search(reason) and 0 < len(reason) < 200, reason


def assert_found(engine: Any, expected: dict[str, str]) -> None:
    """Every expected article is indexed whole and is the first hit for its own words."""
    for article_id, text in expected.items():
        stored = engine.article(article_id)
        assert stored is not None, f"{article_id} was lost"
        assert stored.text.startswith(text)
        hits = engine.search(text, k=3)
        assert hits and hits[0].article_id == article_id, (article_id, hits[:1])


@pytest.mark.parametrize("k", KINDS, ids=[k.id for k in KINDS])
def test_a_hostile_input_is_one_problem_and_the_rest_is_indexed(
    k: Kind, make_engine: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = good_corpus(tmp_path / "corpus")
    bad = k.make(folder, monkeypatch)

    engine = make_engine()
    summary = engine.index([folder])  # (a) nothing escapes

    expected = {**GOOD, **{i: EXTRA[i] for i in k.keeps}}
    if k.reason is None:
        assert summary.problems == ()
    else:  # (b) one problem, naming the input, in words
        (problem,) = summary.problems
        assert names(problem.origin, bad), (problem.origin, bad)
        assert re.fullmatch(k.reason, problem.reason), problem.reason
        assert problem.kept == k.kept
        assert_human(problem.reason)
    # (d) nothing else lost, and nothing extra (no article made of /etc/passwd, say)
    assert summary.articles_total == len(expected)
    assert_found(engine, expected)  # (c)


def test_every_kind_together_one_line_each_and_every_good_article_indexed(
    make_engine: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = good_corpus(tmp_path / "corpus")
    bad = {k.id: k.make(folder, monkeypatch) for k in KINDS}
    engine = make_engine()

    started = time.perf_counter()
    result = CliRunner().invoke(cli, ["index", "--corpus", str(folder)], obj=engine)
    seconds = time.perf_counter() - started

    assert result.exit_code == 0 and result.exception is None, result.output
    reported = [x for x in result.stderr.splitlines() if x.strip()]
    refused = [k for k in KINDS if k.reason is not None]
    assert len(reported) == len(refused), "\n".join(reported)
    for k in refused:
        word = "warning" if k.kept else "skipped"
        (line,) = [x for x in reported if names(x.split(" ", 1)[1].split(": ", 1)[0], bad[k.id])]
        assert line.startswith(f"{word} ") and re.search(k.reason, line), line
        assert_human(line.split(": ", 1)[1])
    expected = {**GOOD, **{i: EXTRA[i] for k in KINDS for i in k.keeps}}
    total = len(expected)
    skipped = sum(not k.kept for k in refused)
    assert f"{total} articles" in result.stdout and f"{skipped} skipped" in result.stdout
    assert_found(engine, expected)
    print(f"\n{len(KINDS)} kinds ({len(refused)} refused), {total} articles kept, {seconds:.2f} s")


@pytest.mark.parametrize("make", [article_of_50_mb, html_of_50_mb, jsonl_line_of_50_mb, gzip_bomb])
def test_oversized_inputs_are_refused_without_being_held_in_memory(
    make: Callable[[Path, pytest.MonkeyPatch], Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = make(tmp_path, monkeypatch)
    tracemalloc.start()
    try:
        started = time.perf_counter()
        load = load_corpus([path])
        seconds = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(load.problems) == 1
    # A one-article file is refused from its size (nothing read); a JSON Lines line is read at
    # most MAX_LINE_BYTES at a time, a bomb no further than its ratio allows.
    limit = 1 * MB if path.suffix in (".md", ".html") else 3 * MAX_LINE_BYTES
    assert peak < limit, f"{peak / MB:.1f} MB held"
    assert seconds < 10


def test_a_file_of_many_bad_lines_lists_twenty_and_counts_the_rest(tmp_path: Path) -> None:
    path = write(tmp_path / "garbage.jsonl", "pas du json\n" * 1000 + lines(row("types-ok")))
    load = load_corpus([path])
    assert [a.id for a in load.articles] == ["types-ok"]
    assert len(load.problems) == 21
    assert load.problems[-1].origin == str(path)
    assert load.problems[-1].reason == "980 more bad lines skipped, not listed one by one"
