"""The named queries of `queries/` answer what the source documents say.

Every query is loaded and run through `essgraph.queries` (header parsing, typed parameters,
engine binding) on the knowledge graph built in memory the way the build does it: ontology and
data, the official territories the data names (with what contains them, as `essgraph validate`
does), then the entailments and the build-time indexes (`index.py`). `tests/kg.py` has no
territorial reference, and adding it to that shared, cached store would change what the other
fact tests see, so this module builds its own.

Expected answers come from the seed documents: mostly the Dijon report (002), also the
Mulhouse roadmap (003), the carnet du Pacte (000), ACTIVE (004) and a few facts of the
Strasbourg record (001) checked in its text.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import pyoxigraph as ox
import pytest

from essgraph import queries, territories, vocab
from essgraph.config import Settings
from essgraph.errors import ReferenceDataMissing
from essgraph.store import Store
from essgraph.store.embedded import convert

ROOT = Path(__file__).resolve().parents[1]
QUERIES = ROOT / "queries"
SEEDS = ROOT.parent / "shared" / "seeds"
ID = vocab.ID
CONCEPT = vocab.CONCEPT

# The questions the brief asks the named queries to answer (the files may hold more).
REQUIRED = {
    "acteurs-territoire", "acteurs-par-theme", "politiques-territoire",
    "chronologie-politique-territoire", "partenaires-acteur", "partenariats-par-nature",
    "membres-instance", "reunions-instance", "evenements-annee", "editions-serie",
    "indicateurs-sujet", "indicateurs-objectifs", "organisations-multi-documents",
    "organisations-multi-territoires", "source-fait", "recherche-nom", "personnes-role",
    "projets-evenement", "dispositifs-accompagnement", "comparaison-territoires",
    "documents-sources", "territoires-contenus",
}


class _MemoryStore(Store):
    """The `Store` interface over an in-memory pyoxigraph store (default graph = union)."""

    def __init__(self, store: ox.Store):
        self._store = store

    def query(self, sparql, *, substitutions=None, base_iri=None):
        subs = {ox.Variable(k): v for k, v in (substitutions or {}).items()} or None
        return convert(self._store.query(sparql, base_iri=base_iri,
                                         use_default_graph_as_union=True, substitutions=subs))

    def count_triples(self) -> int:
        return len(self._store)

    def dump(self, output, fmt) -> None:  # pragma: no cover - not needed here
        raise NotImplementedError

    def close(self) -> None:
        pass


@lru_cache(maxsize=1)
def _store() -> _MemoryStore:
    from essgraph.index import materialise_indexes
    from essgraph.reason import materialise

    store = ox.Store()
    for path in sorted((ROOT / "ontology").glob("*.ttl")):
        store.load(path=str(path), format=ox.RdfFormat.TURTLE,
                   to_graph=ox.NamedNode(vocab.GRAPH_ONTOLOGY))
    for path in sorted((ROOT / "data").glob("*.trig")):
        store.load(path=str(path), format=ox.RdfFormat.TRIG)
    used = territories.territories_used(store.quads_for_pattern(None, None, None, None))
    try:
        store.extend(list(territories.reference_quads(Settings.load(env={}).territories_dir,
                                                      only=used)))
    except ReferenceDataMissing as e:
        pytest.skip(f"territorial reference not installed: {e.message}")
    materialise(store)
    materialise_indexes(store)
    return _MemoryStore(store)


@lru_cache(maxsize=1)
def _named() -> dict[str, queries.NamedQuery]:
    return queries.load_named_queries(QUERIES)


def run(name: str, **params: str) -> list[dict[str, str | None]]:
    """Rows of a named query, values as plain strings (IRIs in full)."""
    result = queries.run(_store(), _named()[name], params)
    return [
        {v: (None if t is None else t.value) for v, t in zip(result.variables, row, strict=True)}
        for row in result.rows
    ]


def col(rows: list[dict[str, str | None]], name: str) -> set[str | None]:
    return {r[name] for r in rows}


def ids(*paths: str) -> set[str]:
    return {ID + p for p in paths}


def _seed_text(prefix: str) -> str:
    matches = sorted(SEEDS.glob(f"{prefix}_*.txt"))
    if not matches:
        pytest.skip("seed documents not available")
    return re.sub(r"\s+", " ", matches[0].read_text(encoding="utf-8"))


# --- every query ------------------------------------------------------------------------------


def test_the_queries_folder_parses_and_covers_the_questions() -> None:
    named = _named()
    assert REQUIRED <= set(named)
    for nq in named.values():
        assert nq.title and nq.description
        assert nq.sparql.lstrip().startswith("PREFIX")
        for param in nq.params.values():
            assert param.example, f"{nq.name}: parameter {param.name} has no example"
            assert param.description, f"{nq.name}: parameter {param.name} is not described"


def test_every_query_is_plain_sparql_that_parses_without_its_header() -> None:
    """Valid as-is in any SPARQL editor: the whole file, header comments included."""
    for path in sorted(QUERIES.glob("*.rq")):
        ox.Store().query(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", sorted(p.stem for p in QUERIES.glob("*.rq")))
def test_every_example_returns_rows(name: str) -> None:
    nq = _named()[name]
    examples = {p.name: p.example for p in nq.params.values() if p.example}
    assert run(name, **examples), f"{name} with {examples} returns nothing"
    required_only = {p.name: p.example for p in nq.params.values() if p.required}
    assert run(name, **required_only), f"{name} with {required_only} returns nothing"


@pytest.mark.parametrize("name", sorted(p.stem for p in QUERIES.glob("*.rq")))
def test_the_values_route_of_the_web_api_gives_the_same_answer(name: str) -> None:
    """/api/queries always binds through a VALUES block; `run` prefers substitutions when it
    can. Both must give the same rows, whichever parameters are given."""
    nq = _named()[name]
    examples = {p.name: p.example for p in nq.params.values() if p.example}
    for given in (examples, {k: v for k, v in examples.items() if nq.params[k].required}):
        terms = queries.bind(nq, given)
        sparql = queries.inject_values(nq.sparql, terms) if terms else nq.sparql
        direct = _store().query(sparql)
        assert sorted(map(str, direct.rows)) == sorted(
            map(str, queries.run(_store(), nq, given).rows)), (name, given)


# --- Dijon (002) ------------------------------------------------------------------------------


def test_actors_of_dijon_metropole_and_of_what_contains_it() -> None:
    rows = run("acteurs-territoire", territory="essid:territoire/epci/242100410")
    # Espace Co-Hop (Dijon) and Le Champ des Sourires (Longvic), both inside Dijon Métropole.
    assert col(rows, "actor") == ids("organisation/espace-co-hop",
                                     "organisation/le-champ-des-sourires")
    assert {r["name"]: r["place"] for r in rows} == {
        "Espace Co-Hop": "Dijon", "Le Champ des Sourires": "Longvic"}
    cote_d_or = run("acteurs-territoire", territory="essid:territoire/departement/21")
    assert col(cote_d_or, "actor") == ids("organisation/espace-co-hop",
                                          "organisation/le-champ-des-sourires",
                                          "organisation/la-boucle")
    bfc = run("acteurs-territoire", territory="essid:territoire/region/27")
    assert col(bfc, "actor") == ids(
        "organisation/espace-co-hop", "organisation/le-champ-des-sourires",
        "organisation/la-boucle", "organisation/la-marmite-solidaire",
        "organisation/les-cigales-bfc", "organisation/arar-bfc", "organisation/active-chalon")
    assert {r["sources"] for r in bfc if r["actor"] != ID + "organisation/active-chalon"} == {
        ID + "source/002"}


def test_partners_of_le_champ_des_sourires_and_the_nature_of_each() -> None:
    rows = run("partenaires-acteur", actor="essid:organisation/le-champ-des-sourires")
    got = {(r["partner"].removeprefix(ID), r["nature"].removeprefix(CONCEPT)) for r in rows}
    nature = "nature-partenariat/"
    assert got == {
        ("collectivite/commune/21355", nature + "foncier-locaux"),
        ("collectivite/commune/21355", nature + "mise-a-disposition"),
        ("organisation/pli", nature + "cooperation"),
        ("organisation/mission-locale-partenaire-le-champ-des-sourires", nature + "cooperation"),
        ("organisation/france-travail", nature + "cooperation"),
        ("organisation/ccas-partenaire-le-champ-des-sourires", nature + "cooperation"),
        ("organisation/cesam", nature + "cooperation"),
        ("organisation/cesam", nature + "accompagnement"),
        ("organisation/tache-papier", nature + "prestation"),
    }
    # Three supports of the Ville de Longvic: land, works, premises; the Ville provides.
    longvic = [r for r in rows if r["partner"] == ID + "collectivite/commune/21355"]
    assert len(col(longvic, "partnership")) == 3
    assert col(longvic, "partnerRole") == {"apporte"}
    assert col(longvic, "actorRole") == {"reçoit"}


def test_funding_partnerships_of_the_dijon_report() -> None:
    rows = run("partenariats-par-nature", nature="concept:nature-partenariat/financement",
               source="essid:source/002")
    assert col(rows, "partnership") == ids("partenariat/ccom-financement-la-boucle",
                                           "partenariat/ccom-subventions-la-boucle",
                                           "partenariat/financement-generateur-bfc")
    gbfc = next(r for r in rows if r["partnership"].endswith("financement-generateur-bfc"))
    assert set(gbfc["providers"].split(" ; ")) == {"ADEME", "Région Bourgogne-Franche-Comté"}
    every_nature = run("partenariats-par-nature", source="essid:source/002")
    assert len(col(every_nature, "partnership")) == 19
    # Only the nature: every parameter is projected, so `run` binds by substitution.
    everywhere = run("partenariats-par-nature", nature="concept:nature-partenariat/financement")
    assert col(rows, "partnership") <= col(everywhere, "partnership")
    assert col(everywhere, "nature") == {CONCEPT + "nature-partenariat/financement"}


def test_people_in_a_role_at_the_dijon_round_table() -> None:
    rows = run("personnes-role", source="essid:source/002")
    assert col(rows, "name") == {
        "Delphine Lambert", "Anne-Laure Federici", "Ophélie Rochas", "Flore Geillon",
        "Philippe Chagnon", "Tao Marcuz", "Jean-Maxime Bonin"}
    assert {r["name"]: r["organisation"] for r in rows}["Philippe Chagnon"] == (
        ID + "collectivite/commune/21355")
    ccom = run("personnes-role", organisation="essid:collectivite/epci/200039055")
    assert col(ccom, "name") == {"Jean-Maxime Bonin"}


def test_events_of_2024_with_their_organisers() -> None:
    rows = run("evenements-annee", year="2024")
    forum = ID + "evenement/engager-sa-collectivite-dijon-2024"
    # The 17th Mois de l'ESS holds the forum of "28 NOVEMBRE 2024": its start is the year only.
    mois = ID + "evenement/mois-de-l-ess-2024"
    assert col(rows, "event") == {mois, forum, forum + "-table-ronde", forum + "-stands"}
    assert col(rows, "date") == {"2024", "2024-11-28"}
    assert next(r for r in rows if r["event"] == mois)["partOf"] == "Mois de l'ESS"
    main = next(r for r in rows if r["event"] == forum)
    assert set(main["organizers"].split(" ; ")) == {
        "Pôle d'Economie Solidaire 21", "Dijon Métropole",
        "Réseau des collectivités Territoriales pour une Economie Solidaire"}
    assert main["place"] == "CESAM Espace Co-Hop"
    assert main["partOf"] == "Mois de l'ESS 2024 (17e édition)"


def test_speakers_of_the_dijon_forum() -> None:
    rows = run("intervenants-evenement",
               event="essid:evenement/engager-sa-collectivite-dijon-2024")
    animators = {r["name"]: r["actingFor"] for r in rows if r["role"] == "animation"}
    assert animators == {
        "Delphine Lambert": "Pôle d'Economie Solidaire 21",
        "Anne-Laure Federici": "Réseau des collectivités Territoriales pour une Economie Solidaire"}
    stands = {r["speaker"] for r in rows if r["part"].endswith("-stands")}
    assert stands == ids(*(f"organisation/{s}" for s in (
        "rtes", "espace-co-hop", "cesam", "le-the-du-phoenix", "le-champ-des-sourires",
        "france-alzheimer", "pimms-mediation-dijon", "les-cigales-bfc", "le-ble-solidaire",
        "arar-bfc")))
    round_table = {r["name"] for r in rows if r["part"].endswith("-table-ronde")
                   and r["role"] == "présentation"}
    assert {"La Marmite Solidaire", "Le Champ des Sourires", "La Boucle", "Ophélie Rochas",
            "Flore Geillon", "Philippe Chagnon", "Tao Marcuz", "Jean-Maxime Bonin"} <= round_table


def test_support_schemes_carried_by_pes21_in_cote_d_or() -> None:
    rows = {r["scheme"].removeprefix(ID): r
            for r in run("dispositifs-accompagnement", source="essid:source/002")}
    assert set(rows) == {"politique/dla", "politique/dla-cote-d-or",
                         "politique/generateur-bfc", "politique/generateur-bfc-cote-d-or"}
    for local in ("politique/dla-cote-d-or", "politique/generateur-bfc-cote-d-or"):
        assert rows[local]["carriedBy"] == "Pôle d'Economie Solidaire 21"
        assert rows[local]["territories"] == "Côte-d'Or"
    assert set(rows["politique/generateur-bfc"]["fundedBy"].split(" ; ")) == {
        "ADEME", "Région Bourgogne-Franche-Comté"}


def test_figures_reported_for_le_champ_des_sourires() -> None:
    rows = run("indicateurs-sujet", subject="essid:organisation/le-champ-des-sourires")
    got = {(r["measure"].removeprefix(CONCEPT + "mesure/"), r["value"], r["status"])
           for r in rows}
    assert got == {("salaries-insertion", "9", "constaté"),
                   ("personnes-accompagnees", "11", "constaté")}
    assert col(rows, "unit") == {CONCEPT + "unite/personne"}


def test_policies_that_apply_to_dijon() -> None:
    rows = run("politiques-territoire", territory="essid:territoire/commune/21231",
               source="essid:source/002")
    assert col(rows, "policy") == ids("politique/dla-cote-d-or",
                                      "politique/generateur-bfc-cote-d-or")
    assert col(rows, "relations") == {"s'applique à un territoire qui le contient"}
    # Every member of Dijon Métropole is in the Côte-d'Or: what applies to the Côte-d'Or
    # reaches the métropole through containment.
    metropole = run("politiques-territoire", territory="essid:territoire/epci/242100410",
                    source="essid:source/002")
    assert col(metropole, "policy") == ids("politique/dla-cote-d-or",
                                           "politique/generateur-bfc-cote-d-or")


def test_comparison_of_dijon_metropole_and_longvic() -> None:
    rows = {r["territory"].removeprefix(ID): r for r in run("comparaison-territoires")}
    counts = ("actors", "policies", "events", "partnerships")
    # 2 actors (Espace Co-Hop, Le Champ des Sourires), the forum and its 2 parts at the
    # CESAM Espace Co-Hop, the co-organisation + the 9 partnerships of Le Champ des Sourires.
    assert tuple(rows["territoire/epci/242100410"][c] for c in counts) == ("2", "0", "3", "10")
    assert rows["territoire/epci/242100410"]["level"] == "EPCI"
    assert tuple(rows["territoire/commune/21355"][c] for c in counts) == ("1", "0", "0", "9")
    assert tuple(rows["territoire/commune/21611"][c] for c in counts) == ("1", "0", "0", "3")


def test_communes_of_cote_d_or_and_bfc_the_data_speaks_of() -> None:
    rows = run("territoires-contenus", territory="essid:territoire/departement/21")
    # The communes and the two EPCI (all members in the Côte-d'Or) the data speaks of.
    assert col(rows, "name") == {"Dijon", "Longvic", "Sombernon", "Dijon Métropole",
                                 "CC Ouche et Montagne"}
    bfc = run("territoires-contenus", territory="essid:territoire/region/27")
    assert col(bfc, "inside") == ids(
        "territoire/commune/21231", "territoire/commune/21355", "territoire/commune/21611",
        "territoire/commune/25462", "territoire/commune/71076", "territoire/departement/21",
        "territoire/epci/242100410", "territoire/epci/200039055")


def test_the_source_behind_le_champ_des_sourires() -> None:
    rows = run("source-fait", resource="essid:organisation/le-champ-des-sourires")
    assert col(rows, "document") == {ID + "source/002"}
    assert col(rows, "seedFile") == {"002_f69e44763cd3f1f7.txt"}
    assert "Le Champ des Sourires (Longvic)" in col(rows, "quote")
    assert col(rows, "section") == {"Table ronde", "Stands"}
    seed = _seed_text("002")
    assert all(re.sub(r"\s+", " ", q) in seed for q in col(rows, "quote"))


def test_name_lookup_ignores_case_accents_and_elisions() -> None:
    pes21 = col(run("recherche-nom", q="pole economie solidaire"), "entity")
    assert ID + "organisation/pole-economie-solidaire-21" in pes21
    # "Pôle de l'économie solidaire" (ACTIVE) does not read "pôle économie solidaire".
    assert ID + "organisation/active-chalon" not in pes21
    assert ID + "organisation/pole-economie-solidaire-21" in col(
        run("recherche-nom", q="PÔLE D’ÉCONOMIE"), "entity")
    kaleidos = col(run("recherche-nom", q="kaleidoscoop"), "entity")
    assert ID + "organisation/kaleidoscoop" in kaleidos
    ccom = col(run("recherche-nom", q="ccom"), "entity")
    assert ID + "collectivite/epci/200039055" in ccom
    assert ID + "politique/dla" not in ccom  # "accompagnement" holds "ccom", not as a word
    assert col(run("recherche-nom", q="ouche et montagne"), "entity") == ids(
        "collectivite/epci/200039055", "mandat/jean-maxime-bonin-ccom")
    assert run("recherche-nom", q="  ") == []


def test_document_counts() -> None:
    rows = {r["document"].removeprefix(ID): r for r in run("documents-sources")}
    assert set(rows) == {f"source/00{n}" for n in range(5)}
    dijon = rows["source/002"]
    assert (dijon["persons"], dijon["partnerships"], dijon["indicators"]) == ("7", "19", "7")
    assert dijon["date"] == "2024-11-28"
    assert dijon["publishers"] == "Pôle d'Economie Solidaire 21"
    mulhouse = rows["source/003"]
    assert (mulhouse["policies"], mulhouse["partnerships"], mulhouse["indicators"]) == (
        "15", "2", "4")
    assert rows["source/004"]["date"] is None  # the ACTIVE sheet carries no date


# --- the other documents ----------------------------------------------------------------------


def test_actors_by_theme_reemploi() -> None:
    def theme(source: str) -> set[str | None]:
        return col(run("acteurs-par-theme", theme="concept:theme/reemploi",
                       source=f"essid:source/{source}"), "actor")

    assert theme("002") == ids("organisation/la-boucle", "organisation/arar-bfc")
    assert theme("003") == ids("organisation/ebs-le-relais-est",
                               "organisation/la-petite-manchester")
    assert theme("000") == ids("organisation/uzaje")


def test_actors_by_legal_form() -> None:
    rows = run("acteurs-forme-juridique", form="concept:forme-juridique/association")
    # "France Alzheimer est une association nationale" (002), "L'association Vortex-X" (003)
    assert ids("organisation/france-alzheimer", "organisation/vortex-x") <= col(rows, "actor")


def test_policies_and_target_of_mulhouse() -> None:
    rows = run("politiques-territoire", territory="essid:territoire/epci/200066009",
               source="essid:source/003")
    assert col(rows, "policy") == ids("politique/feuille-de-route-ess-m2a-2024",
                                      "politique/feuille-de-route-ess-m2a-initiale",
                                      "politique/feuille-de-route-ess-m2a-2024-lieu-totem")
    targets = run("indicateurs-objectifs", source="essid:source/003")
    assert [(r["value"], r["qualifier"], r["subject"]) for r in targets] == [
        ("250", CONCEPT + "qualificatif/environ", ID + "territoire/epci/200066009")]
    figures = run("indicateurs-sujet", subject="essid:territoire/epci/200066009")
    assert {(r["value"], r["status"]) for r in figures} == {("250", "objectif"),
                                                            ("1000", "constaté")}


def test_projects_presented_at_the_okote_afterwork() -> None:
    rows = {r["project"].removeprefix(ID + "projet/"): r
            for r in run("projets-evenement", event="essid:evenement/afterwork-okote-2023")}
    assert set(rows) == {"creative-vintage-relation-entreprises", "uzaje-reemploi-collectivites",
                         "singa-strasbourg-reseau-citoyens", "hara-outil-numerique-associations",
                         "activ-action-reseau-multi-acteurs", "mamies-gateaux-capacite-d-agir"}
    assert set(rows["hara-outil-numerique-associations"]["presenters"].split(" ; ")) == {
        "Kevin Sanna", "Mickaël Ayoubi"}
    assert rows["uzaje-reemploi-collectivites"]["carriers"] == "UZAJE"
    assert rows["mamies-gateaux-capacite-d-agir"]["presenters"] == "Vincent Gabbardo"


def test_organisations_in_several_documents() -> None:
    rows = {r["organisation"].removeprefix(ID): set(r["sources"].split())
            for r in run("organisations-multi-documents")}
    assert rows["organisation/kaleidoscoop"] == ids("source/000", "source/001", "source/003")
    assert rows["organisation/rtes"] == ids("source/001", "source/002")
    assert all(len(sources) > 1 for sources in rows.values())


def test_organisations_on_several_territories() -> None:
    rows = {r["organisation"].removeprefix(ID): r for r in run("organisations-multi-territoires")}
    # StreetPress: Guides du Collaboratif in Rennes, Lille, Toulouse, Bordeaux, Grenoble (003).
    assert rows["organisation/streetpress"]["territories"] == "5"
    assert set(rows["organisation/pole-economie-solidaire-21"]["territoryNames"].split(" ; ")) == {
        "Côte-d'Or", "Dijon"}


def test_editions_of_the_mois_de_l_ess() -> None:
    rows = run("editions-serie", series="essid:evenement/mois-de-l-ess")
    # The plenary of the Conseil de l'ESS is "un des rendez-vous phares du Mois de l'ESS", a
    # series of its own, not an edition of the Mois.
    assert col(rows, "edition") == ids("evenement/mois-de-l-ess-2024")
    edition = next(r for r in rows if r["edition"] == ID + "evenement/mois-de-l-ess-2024")
    assert edition["editionNumber"] == "17"
    assert edition["startDate"] == "2024"


# --- Strasbourg (001), facts checked in the seed text -----------------------------------------


def test_members_of_the_conseil_de_l_ess() -> None:
    rows = run("membres-instance", body="essid:instance/conseil-de-l-ess-strasbourg")
    # "partenaires institutionnels ... (État, Région Grand Est, Collectivité européenne
    # d'Alsace, Caisse de Dépôts et Consignations)", "les élus de la Ville ... de l'Eurométropole"
    assert ids("organisation/etat", "collectivite/region/44",
               "organisation/collectivite-europeenne-d-alsace", "organisation/caisse-des-depots",
               "collectivite/commune/67482", "collectivite/epci/246700488") <= col(rows, "member")


def test_meetings_of_the_conseil_de_l_ess() -> None:
    rows = run("reunions-instance", body="essid:instance/conseil-de-l-ess-strasbourg")
    dates = [r["date"] for r in rows if r["date"]]
    assert dates == sorted(dates)
    assert {"2011-03-11", "2012-11-08", "2013-09-16", "2015-06-25", "2017-04-06",
            "2018-09-14", "2019-02-05", "2021-09-15", "2023-11-27"} <= set(dates)


def test_timeline_of_strasbourg_ess_policy() -> None:
    rows = run("chronologie-politique-territoire", territory="essid:territoire/epci/246700488")
    dates = [r["date"] for r in rows]
    assert dates == sorted(dates)
    by_milestone = {r["milestone"].removeprefix(ID): r["date"] for r in rows}
    # "installation du Conseil ... 11 mars 2011", "label « Territoire de commerce équitable »
    # ... en novembre 2015", "délibérations mars 2018", "nouveau SPASER délibéré en juin 2021"
    assert by_milestone["jalon/conseil-ess-installation-2011"] == "2011-03-11"
    assert by_milestone["jalon/tce-label-2015"] == "2015-11"
    assert by_milestone["jalon/spaser-deliberations-2018"] == "2018-03"
    assert by_milestone["jalon/spaser-deliberation-2021"] == "2021-06"
    policies = col(run("politiques-territoire", territory="essid:territoire/epci/246700488"),
                   "policy")
    assert ids("politique/spaser", "politique/territoire-commerce-equitable", "politique/tzdzg",
               "politique/pacte-economie-locale-durable") <= policies


def test_every_query_is_documented_with_an_example_call() -> None:
    doc = (ROOT / "docs" / "QUERIES.md").read_text(encoding="utf-8")
    for name in _named():
        assert f"## {name}\n" in doc
        assert f"essgraph query {name}" in doc and f"GET /api/queries/{name}" in doc
