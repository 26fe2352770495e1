"""One thing, one IRI: no two IRIs of the knowledge graph go by the same name.

Every name (skos:prefLabel, skos:altLabel, foaf:name) of every resource of data/*.trig, plus
the official names the territorial reference gives to the territories and authorities the
data points at, is normalised (case, accents, punctuation, a leading article, an official
EPCI prefix "CA"/"CC"/"CU" do not count). Two IRIs with one normalised name are the same
thing minted twice — merge them (docs/ENTITIES.md) — unless the pair is in ALLOWED with the
reason they are different things.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from functools import lru_cache

import pyoxigraph as ox
import pytest

from essgraph import territories, vocab
from essgraph.config import Settings
from kg import ROOT

ID = vocab.ID
NAME_PROPERTIES = (vocab.SKOS + "prefLabel", vocab.SKOS + "altLabel", vocab.FOAF + "name")
_ARTICLES = {"le", "la", "les", "l"}
_EPCI_PREFIXES = {"ca", "cc", "cu"}  # official names: "CA Mulhouse Alsace Agglomération"


def pair(a: str, b: str) -> frozenset[str]:
    return frozenset({ID + a, ID + b})


# Different things that share a name, each with why.
ALLOWED: dict[frozenset[str], str] = {
    # A territory and the authority that governs it (ess:governs): the reference names both
    # after the place.
    pair("territoire/commune/67482", "collectivite/commune/67482"):
        "Strasbourg, the commune, and the Ville de Strasbourg that governs it",
    pair("territoire/commune/21355", "collectivite/commune/21355"):
        "Longvic, the commune, and the Ville de Longvic that governs it",
    pair("territoire/epci/246700488", "collectivite/epci/246700488"):
        "the Eurométropole de Strasbourg as a territory and as the authority governing it",
    pair("territoire/epci/242100410", "collectivite/epci/242100410"):
        "Dijon Métropole as a territory and as the authority governing it",
    pair("territoire/epci/200066009", "collectivite/epci/200066009"):
        "Mulhouse Alsace Agglomération as a territory and as the authority governing it",
    pair("territoire/epci/200039055", "collectivite/epci/200039055"):
        "CC Ouche et Montagne as a territory and as the authority governing it",
    pair("territoire/commune/75056", "territoire/departement/75"):
        "Paris is both a commune and a département of the official reference",
    # A happening and its record in a timeline.
    pair("politique/loi-ess-2014", "jalon/loi-ess-2014-adoption"):
        "the law and its adoption milestone (July 2014), both named 'Loi ESS de juillet 2014'",
    pair("evenement/ouverture-au-public-kaleidoscoop-2023",
         "jalon/ouverture-au-public-kaleidoscoop-2023"):
        "the opening to the public as an event (with the SINGA tasting) and as a milestone",
    # A person and a role.
    pair("personne/juncker", "mandat/juncker-president"):
        "the person the text calls 'le Président Juncker' and his role at the Commission",
    pair("mandat/sandra-guilmin-contact-0", "mandat/sandra-guilmin-contact-1"):
        "her contact role at the Ville and the one at the Eurométropole, one title as written",
    pair("mandat/virginie-manina-morscheidt-contact-0",
         "mandat/virginie-manina-morscheidt-contact-1"):
        "her contact role at the Ville and the one at the Eurométropole, one title as written",
}

# Spellings the sources use for one thing: each must name that IRI and no other (but for
# the territory an authority governs, allowed above).
KNOWN_SPELLINGS: dict[str, tuple[str, ...]] = {
    "organisation/kaleidoscoop": (
        "KaléidosCOOP", "Kaleidoscoop", "Kaléidoscoop", "Le Kaleidoscoop"),
    "organisation/cress-grand-est": ("CRESS", "CRESS Grand Est", "Cress"),
    "collectivite/epci/246700488": ("EMS", "Eurométropole", "Eurométropole de Strasbourg"),
    "organisation/pole-economie-solidaire-21": ("PES21", "Pôle d'Economie Solidaire 21"),
    "collectivite/epci/200066009": ("m2A", "Mulhouse Alsace Agglomération"),
    "organisation/active-chalon": ("ACTIVE", "ACTIVE, Pôle de l'économie solidaire"),
    "organisation/pole-ess-strasbourg": ("Pôle ESS",),
}

# Different things with close names: three IRIs, never one.
THREE_POLES = ("organisation/pole-economie-solidaire-21",  # Dijon
               "organisation/active-chalon",  # Chalon-sur-Saône
               "organisation/pole-ess-strasbourg")  # Strasbourg


def normalise(name: str) -> str:
    text = name.replace("œ", "oe").replace("Œ", "OE").replace("æ", "ae").replace("Æ", "AE")
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    words = re.findall(r"[a-z0-9]+", text)
    if len(words) > 1 and words[0] in _ARTICLES:
        words = words[1:]
    if len(words) > 1 and words[0] in _EPCI_PREFIXES:
        words = words[1:]
    return " ".join(words)


@lru_cache(maxsize=1)
def graph() -> ox.Store:
    """The data files and the reference quads of what they name (no reasoning needed)."""
    store = ox.Store()
    for path in sorted((ROOT / "data").glob("*.trig")):
        store.load(path=str(path), format=ox.RdfFormat.TRIG)
    used = territories.territories_used(store.quads_for_pattern(None, None, None, None))
    reference_dir = Settings.load(env={}).territories_dir
    store.extend(list(territories.reference_quads(reference_dir, only=used)))
    return store


@lru_cache(maxsize=1)
def names() -> dict[str, dict[str, set[str]]]:
    """normalised name -> IRI -> the names as written."""
    out: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for prop in NAME_PROPERTIES:
        for q in graph().quads_for_pattern(None, ox.NamedNode(prop), None, None):
            if isinstance(q.subject, ox.NamedNode) and isinstance(q.object, ox.Literal):
                out[normalise(q.object.value)][q.subject.value].add(q.object.value)
    return out


def shared_names() -> dict[frozenset[str], set[str]]:
    """pair of IRIs -> the normalised names they share."""
    out: dict[frozenset[str], set[str]] = defaultdict(set)
    for name, by_iri in names().items():
        iris = sorted(by_iri)
        for i, a in enumerate(iris):
            for b in iris[i + 1:]:
                out[frozenset({a, b})].add(name)
    return out


def _show(p: frozenset[str]) -> str:
    return " / ".join(sorted(i.removeprefix(ID) for i in p))


def test_normalised_names() -> None:
    assert {normalise(n) for n in KNOWN_SPELLINGS["organisation/kaleidoscoop"]} == {
        "kaleidoscoop"}
    assert normalise("Pôle d'Economie Solidaire 21") == normalise("PÔLE D’ÉCONOMIE SOLIDAIRE 21")
    assert normalise("CA Mulhouse Alsace Agglomération") == normalise(
        "Mulhouse Alsace Agglomération")
    assert normalise("Œuvre") == "oeuvre"
    assert normalise("Pôle d'Économie Solidaire") != normalise("Pôle de l'économie solidaire")
    assert normalise("La") == "la"  # a name that is only an article stays a name


def test_no_two_iris_share_a_name() -> None:
    clashes = {p: n for p, n in shared_names().items() if p not in ALLOWED}
    assert not clashes, "one thing, one IRI — merge these or allow them with a reason:\n" + (
        "\n".join(f"  {_show(p)}: {sorted(n)}" for p, n in sorted(clashes.items(), key=str)))


def test_every_allowed_pair_still_shares_a_name() -> None:
    stale = [_show(p) for p in ALLOWED if p not in shared_names()]
    assert not stale, f"allow-list entries that no longer apply: {stale}"


def test_allowed_territory_authority_pairs_are_governed() -> None:
    governs = ox.NamedNode(vocab.ESS + "governs")
    for p in ALLOWED:
        authority = [i for i in p if i.startswith(ID + "collectivite/")]
        territory = [i for i in p if i.startswith(ID + "territoire/")]
        if authority and territory:
            assert any(graph().quads_for_pattern(
                ox.NamedNode(authority[0]), governs, ox.NamedNode(territory[0]), None)), _show(p)


def _companions(iri: str) -> set[str]:
    """What may share a name with iri: the other member of its allowed pairs."""
    return {other for p in ALLOWED if iri in p for other in p if other != iri}


@pytest.mark.parametrize("path", sorted(KNOWN_SPELLINGS))
def test_known_spellings_name_one_iri(path: str) -> None:
    iri = ID + path
    for spelling in KNOWN_SPELLINGS[path]:
        holders = set(names().get(normalise(spelling), {}))
        assert iri in holders, f"{spelling!r} is not a name of {path}"
        assert holders - {iri} <= _companions(iri), (
            f"{spelling!r} also names {sorted(h.removeprefix(ID) for h in holders - {iri})}")


def test_the_three_poles_are_three_iris() -> None:
    poles = [ID + p for p in THREE_POLES]
    assert len(set(poles)) == 3
    pole_names = {}
    for iri in poles:
        held = {n for n, by_iri in names().items() if iri in by_iri}
        assert held, f"{iri} has no name in the data"
        pole_names[iri] = held
    for i, a in enumerate(poles):
        for b in poles[i + 1:]:
            assert not pole_names[a] & pole_names[b], (a, b, pole_names[a] & pole_names[b])
    # and they stay apart: none is declared the same as another
    same_as = ox.NamedNode(vocab.OWL + "sameAs")
    for a in poles:
        for b in poles:
            assert not any(graph().quads_for_pattern(ox.NamedNode(a), same_as,
                                                     ox.NamedNode(b), None))


def test_one_pattern_finds_every_presenter() -> None:
    """Who presented a project is stated on the event too (ess:presenter), so one query
    pattern finds every presenter, whichever side the source document's file chose."""
    missing = list(graph().query(
        """PREFIX ess: <https://w3id.org/essgraph/ontology#>
        SELECT ?project ?who ?event WHERE {
          ?project ess:presentedBy ?who ; ess:presentedAt ?event .
          FILTER NOT EXISTS { ?event ess:presenter ?who } }""",
        use_default_graph_as_union=True))
    assert not missing, [(r["project"].value, r["who"].value, r["event"].value) for r in missing]
