"""Private life: no e-mail address and no phone number in anything the service publishes.

The source documents print personal contact details (docs/MODEL.md: "Never an e-mail
address or a phone number"; ../shared/README.md). This scans every built artefact — the data
files, every file a real build writes into its publish/ folder (dumps, VoID, sitemap,
manifest), and the answers of the web app (SPARQL CONSTRUCT of everything, the name search,
the pages of every person and of every organisation of the documents that printed contact
details) — for the exact addresses and numbers the seeds contain, in any formatting, and for
anything shaped like an e-mail address or a French phone number.
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest

from essgraph import vocab
from essgraph.config import Settings
from kg import ROOT

SEEDS = ROOT.parent / "shared" / "seeds"

# What the seed texts print (checked by test_the_seeds_print_exactly_these).
SEED_EMAILS = {
    "charline.fabius@strasbourg.eu",  # 000
    "sandra.guilmin@strasbourg.eu",  # 001
    "virginie.manina-morscheidt@strasbourg.eu",  # 001
    "a.stepniak@cress-grandest.org",  # 001
    "p.jaquet@cress-grandest.org",  # 001
    "contact@pole-economie-solidaire21.org",  # 002
}
# Phone numbers as printed, and their digits after the leading 0 or +33 (001 prints one
# number with a digit too many: "+ 33 36 68 98 65 92").
SEED_PHONES = {
    "+ 33 36 68 98 65 92": "3668986592",  # 001, Sandra Guilmin
    "+ 33 3 68 98 81 39": "368988139",  # 001, Virginie Manina-Morscheidt
    "+ 33 6 22 29 95 43": "622299543",  # 001, Antonina Stepniak
    "+ 33 7 50 59 50 15": "750595015",  # 001, Philippine Jaquet
    "03 80 50 90 47": "380509047",  # 002, Pôle d'Economie Solidaire 21
}
# Local parts that name a person: private even without their domain.
PERSONAL_LOCAL_PARTS = {e.split("@")[0] for e in SEED_EMAILS} - {"contact"}

EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
_SEP = r"[ .\-\u00a0\u202f]"
# Anchored on separators and on non-word boundaries, so that the digits inside a long
# identifier (the Facebook page id 100068459922930 holds "0684599229") are not a phone.
PHONES = (
    re.compile(rf"(?<![\w+])0[1-9](?:{_SEP}\d\d){{4}}(?!\w)"),  # 03 80 50 90 47
    re.compile(rf"\+{_SEP}?33{_SEP}?(?:\(0\){_SEP}?)?\d(?:{_SEP}?\d){{8,9}}(?!\w)"),  # +33 ...
    re.compile(r"\btel:\s*\+?\d", re.IGNORECASE),
)
MAILTO = re.compile(r"mailto:", re.IGNORECASE)


def _any_formatting(digits: str) -> re.Pattern[str]:
    """The number after 0 or +33 (or 0033, +33 (0)), with any separators between digits."""
    body = rf"{_SEP}*".join(digits)
    return re.compile(rf"(?<!\w)(?:0|(?:\+|00){_SEP}*33{_SEP}*(?:\(0\){_SEP}*)?){body}(?!\w)")


KNOWN_PHONES = {printed: _any_formatting(digits) for printed, digits in SEED_PHONES.items()}


def findings(text: str) -> list[str]:
    """Every contact detail in text, each as 'kind: match'."""
    found = []
    lower = text.lower()
    found += [f"seed e-mail: {e}" for e in SEED_EMAILS if e in lower]
    found += [f"seed e-mail local part: {p}" for p in PERSONAL_LOCAL_PARTS if p in lower]
    found += [f"seed phone {printed!r}: {m.group()!r}"
              for printed, pattern in KNOWN_PHONES.items() for m in pattern.finditer(text)]
    found += [f"e-mail: {m.group()}" for m in EMAIL.finditer(text)]
    found += [f"phone: {m.group()!r}" for p in PHONES for m in p.finditer(text)]
    found += [f"mailto: {text[m.start():m.start() + 60]!r}" for m in MAILTO.finditer(text)]
    return found


def assert_private(where: str, text: str) -> None:
    found = findings(text)
    assert not found, f"{where}: {found[:10]}"


# --- the scanner itself -----------------------------------------------------------------


def test_the_seeds_print_exactly_these() -> None:
    """The seeds are where the details come from: the patterns find all of them, and
    nothing else (no false positive on the long numeric ids the seeds also hold)."""
    if not SEEDS.is_dir():
        pytest.skip("seed documents not available")
    text = "\n".join(p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt")))
    assert {m.group() for m in EMAIL.finditer(text)} == SEED_EMAILS
    generic = {m.group().strip() for p in PHONES for m in p.finditer(text)}
    assert generic == set(SEED_PHONES)
    for printed, pattern in KNOWN_PHONES.items():
        assert pattern.search(text), printed
    assert "100068459922930" in text  # the Facebook page id, not a phone


@pytest.mark.parametrize("text", [
    "06 84 59 92 29", "06.84.59.92.29", "+33 6 84 59 92 29", "+33 (0)3 80 50 90 47",
    "+33684599229", "tel:+33380509047", "ecrire à jean.dupont@example.org",
    "<a href=\"mailto:x\">", "0380509047", "03-80-50-90-47", "0033 3 80 50 90 47",
])
def test_the_scanner_sees(text: str) -> None:
    assert findings(text), text


@pytest.mark.parametrize("text", [
    "https://www.facebook.com/p/G%C3%A9n%C3%A9rateur-BFC-100068459922930/",
    "SIREN 246700488", "commune/67482", '"Mois de l\'ESS"@fr', '{"@language": "fr"}',
    "2024-11-28", "sha256 0380509047abcdef", "9 salariés en insertion (11 accompagnés)",
    "1 000 ETP", "de 2010 à 2023", "+ 250 ETP sur 3 ans",
])
def test_the_scanner_ignores(text: str) -> None:
    assert not findings(text), findings(text)


# --- the data files ---------------------------------------------------------------------


@pytest.mark.parametrize("path", sorted((ROOT / "data").glob("*.trig")), ids=lambda p: p.name)
def test_data_files(path: Path) -> None:
    assert_private(path.name, path.read_text(encoding="utf-8"))


# --- a real build and the app serving it ------------------------------------------------


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory):
    from essgraph.build import build

    settings = Settings.load(env={}, store_dir=tmp_path_factory.mktemp("private") / "store",
                             territories_scope="used", keep_builds=1, max_rows=1_000_000,
                             query_timeout=60.0)
    summary = build(settings)
    return settings, summary.path


@pytest.fixture(scope="module")
def client(built):
    from essgraph.web import create_app

    settings, _ = built
    app = create_app(settings)
    app.config["TESTING"] = True
    yield app.test_client()
    app.extensions["essgraph"].close()


def _publish_files(build_dir: Path) -> Iterator[tuple[str, str]]:
    for path in sorted((build_dir / "publish").rglob("*")):
        if path.is_file():
            raw = path.read_bytes()
            if path.suffix == ".gz":
                raw = gzip.decompress(raw)
            yield path.name, raw.decode("utf-8")


def test_published_files(built) -> None:
    _, build_dir = built
    files = dict(_publish_files(build_dir))
    # every dump, the VoID, the sitemap and the manifest are there to be scanned
    assert {"essgraph.ttl", "essgraph.nt.gz", "essgraph.nq", "essgraph.jsonld", "void.ttl",
            "sitemap.xml", "manifest.json"} <= set(files)
    # the dumps hold the people and their roles: the scan looks at real content
    assert "Sandra Guilmin" in files["essgraph.nq"]
    for name, text in files.items():
        assert_private(name, text)


def _get(client, url: str, accept: str | None = None):
    response = client.get(url, headers={"Accept": accept} if accept else {})
    assert response.status_code == 200, (url, response.status_code)
    return response


@pytest.mark.parametrize("accept", ["application/ld+json", "text/turtle"])
def test_sparql_construct_of_everything(client, accept: str) -> None:
    query = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }"
    response = _get(client, "/sparql?" + urlencode({"query": query}), accept)
    assert "X-Essgraph-Truncated" not in response.headers
    text = response.get_data(as_text=True)
    assert "Guilmin" in text
    assert_private(f"/sparql CONSTRUCT ({accept})", text)


def test_name_search(client) -> None:
    # the people and the organisations whose details the seeds print, and words a contact
    # detail would be found under (the search answers names only: each look-up is ~0.5 s)
    found = set()
    for q in ("guilmin", "manina", "stepniak", "jaquet", "fabius", "cress", "contact",
              "pole economie solidaire", "mail", "telephone"):
        url = "/api/queries/recherche-nom?" + urlencode({"q": q, "format": "json"})
        data = _get(client, url).get_json()
        assert_private(url, json.dumps(data, ensure_ascii=False))
        found |= {b["entity"]["value"] for b in data["results"]["bindings"]}
    assert vocab.ID + "personne/sandra-guilmin" in found
    assert vocab.ID + "organisation/pole-economie-solidaire-21" in found


def _select(client, sparql: str) -> list[str]:
    url = "/sparql?" + urlencode({"query": vocab.sparql_prologue() + sparql})
    data = _get(client, url, "application/sparql-results+json").get_json()
    return [b["x"]["value"] for b in data["results"]["bindings"]]


def test_pages_of_people_and_of_the_organisations_of_000_and_002(client) -> None:
    people = _select(client, "SELECT DISTINCT ?x WHERE { ?x a ess:Person }")
    organisations = _select(client, """SELECT DISTINCT ?x WHERE { ?x a ess:Organisation ;
        prov:wasDerivedFrom ?s VALUES ?s { essid:source\\/000 essid:source\\/002 } }""")
    assert vocab.ID + "personne/sandra-guilmin" in people
    assert vocab.ID + "organisation/pole-economie-solidaire-21" in organisations
    assert len(organisations) > 20
    public = Settings.load(env={}).public_base
    for iri in sorted(set(people) | set(organisations)):
        assert iri.startswith(public), iri
        path = "/" + iri.removeprefix(public)
        for ext in ("html", "jsonld"):
            url = f"{path}.{ext}"
            assert_private(url, _get(client, url).get_data(as_text=True))
