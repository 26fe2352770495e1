"""The official territorial reference as RDF: the real package (installed by `make setup`)
and a tiny fixture made of real records (tests/data/territories/tiny)."""

from __future__ import annotations

import json
import shutil
from collections import defaultdict
from pathlib import Path

import pyoxigraph as ox
import pytest

from essgraph import territories, vocab
from essgraph.config import Settings
from essgraph.errors import EssgraphError, ReferenceDataInvalid, ReferenceDataMissing

ID, ESS = vocab.ID, vocab.ESS
TYPE = vocab.RDF + "type"
WITHIN = ESS + "directlyWithin"
DERIVED = vocab.PROV + "wasDerivedFrom"
TINY = Path(__file__).parent / "data" / "territories" / "tiny" / "data"


def index(quads) -> dict[str, dict[str, set]]:
    """subject -> predicate -> objects (IRIs as str, literals as pyoxigraph Literal)."""
    out: dict[str, dict[str, set]] = defaultdict(lambda: defaultdict(set))
    for q in quads:
        o = q.object.value if isinstance(q.object, ox.NamedNode) else q.object
        out[q.subject.value][q.predicate.value].add(o)
    return out


def luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


@pytest.fixture(scope="module")
def real_dir() -> Path:
    d = Settings.load().territories_dir
    if not d.is_dir():
        pytest.fail(f"{d} is missing: run `make setup`")
    return d


@pytest.fixture(scope="module")
def full(real_dir):
    return list(territories.reference_quads(real_dir))


@pytest.fixture(scope="module")
def graph(full):
    return index(full)


def typed(graph, cls: str) -> set[str]:
    return {s for s, po in graph.items() if ESS + cls in po[TYPE]}


# --------------------------------------------------------------------------- real package


def test_version_and_reference_iri_come_from_package_json(real_dir):
    assert territories.package_version(real_dir) == "6.0.0"
    expected = ID + "reference/decoupage-administratif-6.0.0"
    assert territories.reference_iri(real_dir) == expected
    assert territories.REFERENCE_IRI == expected


def test_counts(graph):
    assert len(typed(graph, "Commune")) == 34_969
    assert len(typed(graph, "CommuneDeleguee")) == 2_105
    assert len(typed(graph, "CommuneAssociee")) == 471
    assert len(typed(graph, "MunicipalArrondissement")) == 45
    assert len(typed(graph, "EPCI")) == 1_255
    assert len(typed(graph, "Department")) == 101
    assert len(typed(graph, "Region")) == 18


def test_everything_is_in_the_territories_graph_and_derived_from_the_reference(full, graph):
    assert {q.graph_name.value for q in full} == {vocab.GRAPH_TERRITORIES}
    ref = territories.REFERENCE_IRI
    for subject, po in graph.items():
        if subject != ref:
            assert po[DERIVED] == {ref}, subject
    assert {vocab.DCAT + "Dataset", vocab.PROV + "Entity"} <= graph[ref][TYPE]
    assert graph[ref][vocab.OWL + "versionInfo"] == {ox.Literal("6.0.0")}


def test_strasbourg(graph):
    strasbourg = graph[ID + "territoire/commune/67482"]
    assert strasbourg[TYPE] == {ESS + "Commune"}
    assert strasbourg[vocab.SKOS + "prefLabel"] == {ox.Literal("Strasbourg", language="fr")}
    assert strasbourg[vocab.IGEO + "codeINSEE"] == {ox.Literal("67482")}
    assert strasbourg[WITHIN] == {
        ID + "territoire/departement/67",
        ID + "territoire/epci/246700488",
    }
    assert ox.Literal("67000") in strasbourg[vocab.SCHEMA + "postalCode"]
    [population] = strasbourg[ESS + "population"]
    assert population.datatype == ox.NamedNode(vocab.XSD + "integer")
    assert graph[ID + "territoire/departement/67"][WITHIN] == {ID + "territoire/region/44"}
    assert graph[ID + "territoire/region/44"][WITHIN] == {ID + "territoire/pays/fr"}
    assert ESS + "Country" in graph[ID + "territoire/pays/fr"][TYPE]


def test_eurometropole_is_a_metropole_with_33_communes(graph):
    ems = ID + "territoire/epci/246700488"
    assert graph[ems][TYPE] == {ESS + "EPCI", ESS + "Metropole"}
    assert graph[ems][ESS + "epciType"] == {vocab.CONCEPT + "type-epci/metro"}
    assert graph[ems][vocab.SKOS + "prefLabel"] == {
        ox.Literal("Eurométropole de Strasbourg", language="fr")
    }
    members = {s for s, po in graph.items() if ems in po[WITHIN]}
    assert len(members) == 33
    assert all(m.startswith(ID + "territoire/commune/") for m in members)


def test_dijon_is_within_dijon_metropole(graph):
    assert ID + "territoire/epci/242100410" in graph[ID + "territoire/commune/21231"][WITHIN]


def test_local_authorities(graph):
    ems = graph[ID + "collectivite/epci/246700488"]
    assert ems[TYPE] == {ESS + "LocalAuthority"}
    assert ems[ESS + "siren"] == {ox.Literal("246700488")}
    assert ems[ESS + "governs"] == {ID + "territoire/epci/246700488"}
    city = graph[ID + "collectivite/commune/67482"]
    assert city[ESS + "siren"] == {ox.Literal("216704825")}
    assert city[vocab.SKOS + "prefLabel"] == {ox.Literal("Strasbourg", language="fr")}
    # The legal person of a département or a région is not always named after it (the
    # Collectivité européenne d'Alsace for 67 and 68, the Collectivité de Corse): the data
    # declares those authorities where a source names them, never the reference.
    assert ID + "collectivite/departement/67" not in graph
    assert ID + "collectivite/region/44" not in graph


def test_every_siren_passes_luhn(full):
    sirens = {q.object.value for q in full if q.predicate.value == ESS + "siren"}
    assert len(sirens) == 34_875 + 1_255
    assert [s for s in sirens if not (len(s) == 9 and s.isdigit() and luhn(s))] == []


def test_no_population_year_is_claimed(full):
    # The package states neither the census year nor one year for all (Mayotte: 2017).
    assert not any(q.predicate.value == ESS + "populationYear" for q in full)


def test_only_keeps_what_contains_the_listed_territories(real_dir):
    quads = list(territories.reference_quads(real_dir, only={ID + "territoire/commune/67482"}))
    assert {q.subject.value for q in quads} == {
        territories.REFERENCE_IRI,
        ID + "territoire/pays/fr",
        ID + "territoire/region/44",
        ID + "territoire/departement/67",
        ID + "territoire/epci/246700488",
        ID + "territoire/commune/67482",
    }


def test_only_with_an_authority_keeps_what_it_governs(real_dir):
    only = {ID + "collectivite/commune/21231", ID + "territoire/commune/99999"}
    subjects = {q.subject.value for q in territories.reference_quads(real_dir, only=only)}
    assert subjects == {
        territories.REFERENCE_IRI,
        ID + "territoire/pays/fr",
        ID + "territoire/region/27",
        ID + "territoire/departement/21",
        ID + "territoire/epci/242100410",
        ID + "territoire/commune/21231",
        ID + "collectivite/commune/21231",
    }


def test_territories_used_then_only(real_dir):
    def e(path: str) -> str:
        return f"<{ID}{path}>"

    data = f"""
        @prefix ess: <{ESS}> .
        <{vocab.GRAPH_SOURCE}002> {{
          {e("organisation/x")} ess:locatedIn {e("territoire/commune/67482")} ;
              ess:partner {e("collectivite/epci/246700488")} ;
              ess:near {e("territoire/pays/fr")} , {e("territoire/quartier/67482-neudorf")} ;
              ess:note "{ID}territoire/commune/21231" .
          {e("collectivite/commune/67482")} ess:governs {e("territoire/commune/67482")} .
          {e("territoire/commune-deleguee/67004")} ess:x {e("lieu/y")} .
        }}"""
    quads = list(ox.parse(data.encode(), format=ox.RdfFormat.TRIG))
    used = territories.territories_used(quads)
    assert used == {
        ID + "territoire/commune/67482",
        ID + "collectivite/epci/246700488",
        ID + "collectivite/commune/67482",
        ID + "territoire/commune-deleguee/67004",
    }
    kept = index(territories.reference_quads(real_dir, only=used))
    assert set(kept) == used | {
        territories.REFERENCE_IRI,
        ID + "territoire/pays/fr",
        ID + "territoire/region/44",
        ID + "territoire/departement/67",
        ID + "territoire/epci/246700488",
        ID + "territoire/commune/67004",  # the commune déléguée's commune ...
        ID + "territoire/epci/200068112",  # ... and its EPCI; not its authority: not listed
    }


# --------------------------------------------------------------------------- tiny fixture


def test_fixture_version_flows_into_the_reference_iri():
    graph = index(territories.reference_quads(TINY))
    ref = ID + "reference/decoupage-administratif-0.0.0-test"
    assert graph[ref][vocab.DCT + "identifier"] == {
        ox.Literal("@etalab/decoupage-administratif@0.0.0-test")
    }
    assert graph[ID + "territoire/commune/67482"][DERIVED] == {ref}


def test_fixture_whole_output():
    quads = list(territories.reference_quads(TINY))
    assert len(quads) == 164
    assert len(set(quads)) == len(quads)


def test_fixture_sub_communes_are_within_their_commune():
    graph = index(territories.reference_quads(TINY))
    assert graph[ID + "territoire/commune-deleguee/67004"][WITHIN] == {
        ID + "territoire/commune/67004"
    }
    assert graph[ID + "territoire/arrondissement-municipal/13201"][WITHIN] == {
        ID + "territoire/commune/13055"
    }
    assert graph[ID + "territoire/arrondissement-municipal/13201"][TYPE] == {
        ESS + "MunicipalArrondissement"
    }


def test_fixture_collectivite_outre_mer_is_a_territory_of_france_without_authority():
    graph = index(territories.reference_quads(TINY))
    spm = graph[ID + "territoire/departement/975"]
    assert spm[TYPE] == {ESS + "Territory"}
    assert spm[WITHIN] == {ID + "territoire/pays/fr"}
    assert ID + "territoire/region/975" not in graph
    assert ID + "collectivite/departement/975" not in graph
    # Saint-Pierre has no SIREN in the package: no authority is invented for it.
    assert ID + "territoire/commune/97502" in graph
    assert ID + "collectivite/commune/97502" not in graph


# --------------------------------------------------------------------------- failures


def copy_fixture(tmp_path: Path) -> Path:
    shutil.copytree(TINY.parent, tmp_path / "pkg")
    return tmp_path / "pkg" / "data"


def test_missing_folder(tmp_path):
    missing = tmp_path / "node_modules" / "data"
    with pytest.raises(ReferenceDataMissing) as e:
        territories.reference_quads(missing)
    assert e.value.code == "REFERENCE_MISSING"
    assert e.value.where == str(missing)
    assert "make setup" in e.value.message and "npm install" in e.value.message


def test_missing_file(tmp_path):
    data = copy_fixture(tmp_path)
    (data / "epci.json").unlink()
    with pytest.raises(ReferenceDataMissing) as e:
        territories.reference_quads(data)
    assert e.value.where == str(data / "epci.json")


def test_missing_package_json(tmp_path):
    data = copy_fixture(tmp_path)
    (data.parent / "package.json").unlink()
    with pytest.raises(ReferenceDataMissing) as e:
        territories.package_version(data)
    assert e.value.where == str(data.parent / "package.json")


def test_malformed_json_names_the_file_and_line(tmp_path):
    data = copy_fixture(tmp_path)
    (data / "communes.json").write_text('[\n  {"code": "67482",\n   "nom": }\n]\n')
    with pytest.raises(ReferenceDataInvalid) as e:
        territories.reference_quads(data)
    assert isinstance(e.value, EssgraphError)
    assert e.value.code == "REFERENCE_INVALID"
    assert e.value.where.startswith(str(data / "communes.json") + ":3:")
    assert "communes.json" in str(e.value)


def test_record_without_a_field_names_the_file(tmp_path):
    data = copy_fixture(tmp_path)
    records = json.loads((data / "departements.json").read_text())
    del records[0]["nom"]
    (data / "departements.json").write_text(json.dumps(records))
    with pytest.raises(ReferenceDataInvalid) as e:
        territories.reference_quads(data)
    assert e.value.where == str(data / "departements.json")


def test_unknown_epci_type_is_refused(tmp_path):
    data = copy_fixture(tmp_path)
    records = json.loads((data / "epci.json").read_text())
    records[0]["type"] = "XYZ"
    (data / "epci.json").write_text(json.dumps(records))
    with pytest.raises(ReferenceDataInvalid, match="XYZ"):
        territories.reference_quads(data)


def test_an_epci_is_within_the_smallest_territory_holding_all_its_members(graph):
    within = ESS + "directlyWithin"
    # Every member of the Eurométropole is in the Bas-Rhin.
    assert graph[ID + "territoire/epci/246700488"][within] == {ID + "territoire/departement/67"}
    assert graph[ID + "territoire/epci/242100410"][within] == {ID + "territoire/departement/21"}
    counts = {"departement": 0, "region": 0, "pays": 0}
    for iri, props in graph.items():
        if iri.startswith(ID + "territoire/epci/"):
            (container,) = props[within]
            counts[container[len(ID + "territoire/"):].split("/")[0]] += 1
    # Most EPCI lie in one département; a few span two départements or two régions.
    assert counts["departement"] > 1100
    assert counts["region"] + counts["pays"] > 0
