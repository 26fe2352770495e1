"""Facts of source 000: "Le carnet du Pacte", mars 2023 — the Afterwork Okoté of the Pacte pour
une économie locale durable at the Shadok (Strasbourg): the projects presented, who presented
them, their questions, the solutions proposed and the actions taken.

Each test asks the knowledge graph what the carnet says — or checks that something the carnet
does not say is absent.
"""

from __future__ import annotations

import re

import pytest

from kg import ROOT, ask, iri, normalise, seed_path, select, values

SEED = "000_30b29d3dd88a61ce.txt"
DATA = ROOT / "data" / "000_strasbourg-carnet-du-pacte.trig"
G = "<https://w3id.org/essgraph/graph/source/000>"
ID = "https://w3id.org/essgraph/id/"

EVENT = "essid:evenement\\/afterwork-okote-2023"
PACTE = "essid:politique\\/pacte-economie-locale-durable"
OKOTE = "essid:organisation\\/okote"
SINGA = "essid:organisation\\/singa-strasbourg"
UZAJE = "essid:organisation\\/uzaje"
EMS = "essid:collectivite\\/epci\\/246700488"
NEUHOF = "essid:territoire\\/quartier\\/67482-neuhof"


def _normalise(text: str) -> str:
    return normalise(text)


def _seed_path():
    return seed_path(SEED)


def _iri(path: str) -> str:
    return iri(path)


# --- the source document -------------------------------------------------------------------

def test_every_quote_is_verbatim_in_the_seed():
    seed = _normalise(_seed_path().read_text(encoding="utf-8"))
    quotes = values(f"SELECT ?q WHERE {{ GRAPH {G} {{ ?c ess:quote ?q }} }}")
    assert len(quotes) >= 30
    missing = [q for q in quotes if _normalise(q) not in seed]
    assert missing == []


def test_no_email_address_or_phone_number_in_the_file():
    text = DATA.read_text(encoding="utf-8")
    assert "charline" not in text.lower()
    assert not re.search(r"[\w.+-]+@[\w-]+\.[\w.]+", text)
    assert not re.search(r"\b0\d(?:[ .]?\d\d){4}\b", text)


def test_source_document_is_described():
    assert ask(f"""ASK {{ essid:source\\/000 a ess:SourceDocument ;
        dct:date "2023-03"^^xsd:gYearMonth ; dct:publisher {EMS} ;
        ess:seedFile "{SEED}" ; dct:spatial essid:territoire\\/commune\\/67482 . }}""")


def test_every_described_resource_is_traceable():
    untraced = select(f"""SELECT DISTINCT ?s WHERE {{ GRAPH {G} {{
        ?s ?p ?o . FILTER NOT EXISTS {{ ?s a ess:Citation }}
        FILTER NOT EXISTS {{ ?s prov:wasDerivedFrom essid:source\\/000 ; ess:citation ?c }}
    }} }}""")
    assert untraced == []


# --- the Pacte -----------------------------------------------------------------------------

def test_pacte_is_a_charter_of_the_eurometropole():
    assert ask(f"""ASK {{ {PACTE} a/rdfs:subClassOf* ess:PolicyInstrument ;
        skos:prefLabel "Pacte pour une économie locale durable"@fr ;
        ess:appliesTo essid:territoire\\/epci\\/246700488 ;
        foaf:page <https://strasbourg.eu/pacte-economie-locale-durable> . }}""")
    assert ask(f"ASK {{ {PACTE} a ess:Charter }}")


# --- the event -----------------------------------------------------------------------------

def test_afterwork_at_the_shadok_in_march_2023():
    rows = select(f"""SELECT ?name ?d ?commune WHERE {{
        {EVENT} a/rdfs:subClassOf* ess:Event ; skos:prefLabel ?name ;
            schema:startDate ?d ; schema:location essid:lieu\\/shadok ;
            schema:about {PACTE} ; schema:superEvent essid:evenement\\/afterworks-du-pacte .
        essid:lieu\\/shadok ess:locatedIn ?commune . }}""")
    assert rows == [{"name": "Ça bouge Okoté de chez vous", "d": "2023-03",
                     "commune": ID + "territoire/commune/67482"}]


def test_seven_initiatives_announced_and_six_projects_described():
    assert ask(f"""ASK {{ ?i a ess:Indicator ; ess:subject {EVENT} ; ess:value 7 ;
        ess:unit concept:unite\\/projet ;
        ess:status concept:statut-indicateur\\/constate . }}""")
    projects = values(f"SELECT ?p WHERE {{ ?p a ess:Project ; ess:presentedAt {EVENT} }}")
    assert len(projects) == 6


@pytest.mark.parametrize("person,name,organisation", [
    ("laura-slen", "Laura Slen", "creative-vintage"),
    ("vivien-gourdon", "Vivien Gourdon", "uzaje"),
    ("liliana-amundarain", "Liliana Amundarain", "singa-strasbourg"),
    ("kevin-sanna", "Kevin Sanna", "hara-solidarity-consulting"),
    ("mickael-ayoubi", "Mickaël Ayoubi", "hara-solidarity-consulting"),
    ("louise-lepetit", "Louise Lepetit", "activ-action"),
    ("vincent-gabbardo", "Vincent Gabbardo", "mamies-gateaux"),
])
def test_who_presented_which_project(person, name, organisation):
    p, o = _iri("personne/" + person), _iri("organisation/" + organisation)
    assert ask(f"""ASK {{ {p} a ess:Person ; foaf:name "{name}" ; ess:holdsRole ?r .
        ?r org:organization {o} .
        ?project a ess:Project ; ess:carriedBy {o} ; ess:presentedBy {p} ;
            ess:presentedAt {EVENT} .
        {EVENT} ess:presenter {p} , {o} . }}""")


@pytest.mark.parametrize("organisation,start", [
    ("creative-vintage", "Comment nous aider à renforcer notre relation aux entreprises"),
    ("uzaje", "Comment nous aider à devenir un acteur local du réemploi"),
    ("singa-strasbourg", "Comment nous aider à mobiliser un réseau de citoyens"),
    ("hara-solidarity-consulting", "Comment développer et mettre à disposition un outil numérique"),
    ("activ-action", "Comment nous aider à développer un réseau multi-acteurs"),
    ("mamies-gateaux", "Comment nous aider à renforcer notre capacité d'agir"),
])
def test_each_project_has_its_question(organisation, start):
    questions = values(f"""SELECT ?q WHERE {{ ?p ess:carriedBy {_iri("organisation/" + organisation)} ;
        ess:question ?q }}""")
    assert len(questions) == 1
    assert next(iter(questions)).startswith(start)


def test_solutions_and_actions_are_counted_per_project():
    rows = select("""SELECT ?o (COUNT(DISTINCT ?s) AS ?ns) (COUNT(DISTINCT ?a) AS ?na) WHERE {
        ?p ess:presentedAt essid:evenement\\/afterwork-okote-2023 ; ess:carriedBy ?o ;
           ess:proposedSolution ?s ; ess:actionTaken ?a . } GROUP BY ?o""")
    counts = {r["o"].rsplit("/", 1)[1]: (int(r["ns"]), int(r["na"])) for r in rows}
    assert counts == {"creative-vintage": (2, 2), "uzaje": (4, 4), "singa-strasbourg": (4, 3),
                      "hara-solidarity-consulting": (3, 3), "activ-action": (4, 1),
                      "mamies-gateaux": (6, 1)}


# --- Okoté -----------------------------------------------------------------------------------

def test_okote_since_2020_with_three_funding_sources():
    assert ask(f"""ASK {{ {OKOTE} a/rdfs:subClassOf* ess:Organisation ;
        foaf:homepage <https://okote.fr/> ; ess:activeSince "2020"^^xsd:gYear . }}""")
    assert ask(f"""ASK {{ ?i a ess:Indicator ; ess:subject {OKOTE} ; ess:value 3 }}""")


# --- UZAJE -----------------------------------------------------------------------------------

def test_uzaje_met_ess_actors_via_pole_ess_cress_and_ems():
    parties = values(f"""SELECT ?x WHERE {{ ?p a ess:Partnership ; ess:recipient {UZAJE} ;
        ess:nature concept:nature-partenariat\\/orientation ; ess:provider ?x }}""")
    assert parties == {ID + "organisation/pole-ess-strasbourg",
                       ID + "organisation/cress-grand-est", ID + "collectivite/epci/246700488"}
    assert ask(f"""ASK {{ {EMS} skos:altLabel "EMS"@fr }}""")


def test_abrapa_is_an_association_cited_but_not_a_partner():
    assert ask("ASK { essid:organisation\\/abrapa a ess:Association }")
    assert not ask("""ASK { ?p a ess:Partnership ; ess:party essid:organisation\\/abrapa }""")


# --- SINGA -----------------------------------------------------------------------------------

def test_singa_campaign_on_jcdecaux_screens_since_26_june_2023():
    assert ask(f"""ASK {{ ?e schema:organizer {SINGA} ;
        schema:startDate "2023-06-26"^^xsd:date ;
        schema:location essid:territoire\\/commune\\/67482 .
        ?p a ess:Partnership ; ess:party {SINGA} , essid:organisation\\/jcdecaux ;
           ess:relatedTo ?e . }}""")


def test_saffron_tasting_on_9_may_2023_at_kaleidoscoop_opening():
    assert ask(f"""ASK {{ ?d schema:organizer {SINGA} ; schema:startDate "2023-05-09"^^xsd:date ;
        schema:superEvent ?o . ?o schema:mentions essid:organisation\\/kaleidoscoop . }}""")
    assert ask("""ASK { essid:organisation\\/kaleidoscoop ess:milestone ?m .
        ?m ess:milestoneType concept:type-jalon\\/ouverture ; ess:date "2023-05-09"^^xsd:date . }""")
    assert ask("""ASK { essid:organisation\\/kaleidoscoop skos:altLabel "Kaléidoscoop"@fr }""")


def test_zafar_khalili_created_zks_saffron_and_is_singa_2020_alumnus():
    assert ask(f"""ASK {{ essid:personne\\/zafar-khalili foaf:name "Zafar Khalili" ;
        ess:holdsRole ?r1 , ?r2 .
        ?r1 org:organization essid:organisation\\/zks-saffron .
        ?r2 org:organization {SINGA} ; ess:roleLabel "alumni SINGA 2020"@fr . }}""")


def test_singa_okote_campaign_for_2023_2024_season():
    assert ask(f"""ASK {{ ?p a ess:Partnership ; ess:party {SINGA} , {OKOTE} ;
        ess:during "2023-2024" . }}""")


# --- Mamies Gâteaux ----------------------------------------------------------------------------

def test_mamies_gateaux_workshops_planned_in_neuhof_not_a_qpv():
    assert ask(f"""ASK {{ ?e schema:organizer essid:organisation\\/mamies-gateaux ;
        schema:location {NEUHOF} . {NEUHOF} a ess:Neighbourhood ;
        ess:directlyWithin essid:territoire\\/commune\\/67482 . }}""")
    assert not ask(f"ASK {{ {NEUHOF} a ess:QPV }}")


# --- what the carnet does not say -------------------------------------------------------------

def test_nothing_the_carnet_does_not_say():
    # No legal form, founding date or address is given for any project carrier.
    assert not ask(f"ASK {{ GRAPH {G} {{ ?o ess:legalForm ?f }} }}")
    assert not ask(f"ASK {{ GRAPH {G} {{ ?o schema:foundingDate ?d }} }}")
    assert not ask(f"ASK {{ GRAPH {G} {{ ?o schema:address ?a }} }}")
    # The afterwork's organiser is not named, and no exact day is given for it.
    assert not ask(f"ASK {{ {EVENT} schema:organizer ?o }}")
    assert not ask(f"""ASK {{ {EVENT} schema:startDate ?d .
        FILTER(DATATYPE(?d) = xsd:date) }}""")
    # The Maison des Femmes and the Abrapa are cited as examples, with no stated place.
    assert not ask("ASK { essid:organisation\\/maison-des-femmes ess:locatedIn ?t }")
    # The two ESS structures of Creative Vintage's work sessions are not named.
    assert not ask("""ASK { ?p a ess:Partnership ;
        ess:party essid:organisation\\/creative-vintage }""")
