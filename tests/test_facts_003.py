"""Facts of source 003: the Feuille de route ESS pour 2024 of Mulhouse Alsace Agglomération
(m2A): its three axes, their actions, the targets and figures, and the examples it cites.

Each test asks the knowledge graph what the roadmap says — or checks that something the
roadmap does not say is absent.
"""

from __future__ import annotations

import re

from kg import ROOT, ask, iri, normalise, seed_path, select, values

SEED = "003_2556acd47efeb676.txt"
DATA = ROOT / "data" / "003_mulhouse-feuille-de-route-2024.trig"
G = "<https://w3id.org/essgraph/graph/source/003>"
ID = "https://w3id.org/essgraph/id/"

ROADMAP = "essid:politique\\/feuille-de-route-ess-m2a-2024"
AXIS = "essid:politique\\/feuille-de-route-ess-m2a-2024-axe-{}"
M2A = "essid:collectivite\\/epci\\/200066009"
M2A_TERRITORY = "essid:territoire\\/epci\\/200066009"
SIAE_ACTION = "essid:politique\\/feuille-de-route-ess-m2a-2024-visibilite-siae"


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
    assert not re.search(r"[\w.+-]+@[\w-]+\.[\w.]+", text)
    assert not re.search(r"\b0\d(?:[ .]?\d\d){4}\b", text)


def test_source_document_is_described():
    assert ask(f"""ASK {{ essid:source\\/003 a ess:SourceDocument ;
        dct:title "Feuille de route ESS pour 2024"@fr ; dct:publisher {M2A} ;
        dct:spatial {M2A_TERRITORY} ; ess:seedFile "{SEED}" . }}""")


def test_every_described_resource_is_traceable():
    untraced = select(f"""SELECT DISTINCT ?s WHERE {{ GRAPH {G} {{
        ?s ?p ?o . FILTER NOT EXISTS {{ ?s a ess:Citation }}
        FILTER NOT EXISTS {{ ?s prov:wasDerivedFrom essid:source\\/003 ; ess:citation ?c }}
    }} }}""")
    assert untraced == []


# --- the roadmap and its axes ------------------------------------------------------------------

def test_roadmap_of_m2a_for_2024():
    assert ask(f"""ASK {{ {ROADMAP} a ess:Roadmap ; ess:carriedBy {M2A} ;
        ess:appliesTo {M2A_TERRITORY} ; dct:temporal "2024"^^xsd:gYear . }}""")
    assert ask(f"""ASK {{ {M2A} skos:altLabel "m2A"@fr }}""")


def test_three_axes_with_their_names():
    rows = select(f"""SELECT ?n ?label WHERE {{ ?a a ess:PolicyAxis ; dct:isPartOf {ROADMAP} ;
        schema:position ?n ; skos:prefLabel ?label }} ORDER BY ?n""")
    assert [(r["n"], r["label"]) for r in rows] == [
        ("1", "Axe 1 : Promotion et Valorisation de l'ESS"),
        ("2", "Axe 2 : Innovation Sociale de l'ESS"),
        ("3", "Axe 3 : Les enjeux immobiliers de l'ESS"),
    ]
    assert ask(f"""ASK {{ ?i a ess:Indicator ; ess:subject {ROADMAP} ; ess:value 3 ;
        ess:measure concept:mesure\\/axes }}""")


def test_actions_per_axis():
    rows = select(f"""SELECT ?axis (COUNT(?act) AS ?n) WHERE {{
        ?axis dct:isPartOf {ROADMAP} . ?act a ess:PolicyAction ; dct:isPartOf ?axis .
    }} GROUP BY ?axis""")
    counts = {r["axis"].rsplit("-", 1)[1]: int(r["n"]) for r in rows}
    assert counts == {"1": 6, "2": 2, "3": 2}


def test_axis_1_continues_the_initial_roadmap():
    assert ask(f"""ASK {{ {AXIS.format(1)} ess:continuationOf ?initial .
        ?initial a ess:Roadmap . FILTER(?initial != {ROADMAP}) }}""")


def test_axis_2_objective():
    objectives = values(f"SELECT ?o WHERE {{ {AXIS.format(2)} ess:objective ?o }}")
    assert any("développement territorial durable" in o for o in objectives)


# --- figures -----------------------------------------------------------------------------------

def test_target_of_about_250_fte_and_current_1000_fte():
    rows = select(f"""SELECT ?v ?status ?q WHERE {{
        ?i a ess:Indicator ; ess:subject {M2A_TERRITORY} ; ess:measure concept:mesure\\/emplois ;
           ess:unit concept:unite\\/etp ; ess:value ?v ; ess:status ?status .
        OPTIONAL {{ ?i ess:qualifier ?q }} }}""")
    got = {(r["v"], r["status"].rsplit("/", 1)[1], (r["q"] or "").rsplit("/", 1)[-1])
           for r in rows}
    assert got == {("250", "objectif", "environ"), ("1000", "constate", "")}
    assert ask(f"""ASK {{ {SIAE_ACTION} ess:hasTarget ?i . ?i ess:value 250 ;
        ess:during "sur 3 ans" . }}""")


def test_ess_is_57_percent_of_sport_jobs():
    assert ask("""ASK { ?i a ess:Indicator ; ess:value 57 ; ess:unit concept:unite\\/pourcentage ;
        ess:measure concept:mesure\\/part-emplois ;
        ess:status concept:statut-indicateur\\/constate . }""")


# --- axis 1 ------------------------------------------------------------------------------------

def test_axis_1_levers_social_clauses_and_courts_circuits():
    assert ask(f"""ASK {{ ?a dct:isPartOf {AXIS.format(1)} ;
        ess:lever concept:levier\\/commande-publique . }}""")
    assert ask("""ASK { ?e schema:superEvent essid:evenement\\/courts-circuits ;
        schema:organizer essid:collectivite\\/epci\\/200066009 ;
        schema:location ?v . ?v skos:prefLabel "Maison du Territoire"@fr . }""")


def test_club_ess_convened_by_m2a():
    assert ask(f"""ASK {{ ?c a ess:GovernanceBody ; ess:convenedBy {M2A} ;
        skos:altLabel "club ESS"@fr . }}""")


# --- axis 2 examples ------------------------------------------------------------------------------

def test_vortex_x_association_founded_2015_at_dmc():
    assert ask("""ASK { essid:organisation\\/vortex-x a ess:Association ;
        schema:foundingDate "2015"^^xsd:gYear ; schema:location essid:lieu\\/dmc ;
        foaf:homepage <http://vortex075.com/fr/> . }""")


def test_relais_est_carries_the_friperie_and_supplies_la_petite_manchester():
    relais = "essid:organisation\\/ebs-le-relais-est"
    manchester = "essid:organisation\\/la-petite-manchester"
    assert ask(f"""ASK {{ {relais} a ess:Cooperative , ess:InsertionStructure ;
        ess:insertionType concept:type-siae\\/ei .
        {manchester} ess:insertionType concept:type-siae\\/aci .
        essid:projet\\/friperie-du-leopard ess:carriedBy {relais} . }}""")
    assert ask(f"""ASK {{ ?p a ess:Partnership ; ess:provider {relais} ; ess:recipient {manchester} ;
        ess:nature concept:nature-partenariat\\/approvisionnement . }}""")


def test_collaboration_with_anru():
    assert ask(f"""ASK {{ ?p a ess:Partnership ; ess:party {M2A} , essid:organisation\\/anru ;
        ess:relatedTo ?action . ?action dct:isPartOf {AXIS.format(2)} . }}""")
    assert ask("""ASK { essid:organisation\\/anru skos:altLabel "ANRU"@fr ;
        skos:prefLabel "Agence Nationale pour la Rénovation Urbaine"@fr }""")


# --- axis 3 examples -----------------------------------------------------------------------------

def test_lieu_totem_examples_and_their_cities():
    rows = select(f"""SELECT ?o ?c WHERE {{ ?a dct:isPartOf {AXIS.format(3)} ;
        ess:citedExample ?o . ?o ess:locatedIn ?c .
        FILTER(STRSTARTS(STR(?c), "{ID}territoire/commune/")) }}""")
    got = {(r["o"].rsplit("/", 1)[1], r["c"].rsplit("/", 1)[1]) for r in rows}
    assert got == {("kaleidoscoop", "67482"), ("la-belle-de-mai", "13055"),
                   ("bliiida", "57463"), ("darwin", "33063")}


def test_kaleidoscoop_is_a_third_place_with_its_site():
    assert ask("""ASK { essid:organisation\\/kaleidoscoop a ess:ThirdPlace ;
        skos:altLabel "Le Kaleidoscoop"@fr ; foaf:homepage <https://www.kaleidos.coop/> ;
        ess:locatedIn essid:territoire\\/region-historique\\/alsace . }""")


def test_streetpress_guides_in_five_cities():
    cities = values("""SELECT ?c WHERE { essid:projet\\/guides-du-collaboratif
        ess:carriedBy essid:organisation\\/streetpress ; ess:appliesTo ?c }""")
    assert {c.rsplit("/", 1)[1] for c in cities} == {"35238", "59350", "31555", "33063", "38185"}
    assert ask("ASK { essid:organisation\\/streetpress a ess:PrivateCompany }")


# --- what the roadmap does not say ---------------------------------------------------------------

def test_nothing_the_roadmap_does_not_say():
    # Mulhouse is only a possible future territory of the guides.
    assert not ask("""ASK { essid:projet\\/guides-du-collaboratif
        ess:appliesTo essid:territoire\\/commune\\/68224 }""")
    # No adoption, no deliberation, no milestone is stated.
    assert not ask(f"ASK {{ {ROADMAP} ess:adoptedBy ?x }}")
    assert not ask(f"ASK {{ GRAPH {G} {{ ?x ess:milestone ?m }} }}")
    # The 57 % is not attached to m2A's territory; the 1000 ETP is not a target.
    assert not ask(f"""ASK {{ ?i ess:value 57 ; ess:subject {M2A_TERRITORY} }}""")
    assert not ask("""ASK { ?i ess:value 1000 ;
        ess:status concept:statut-indicateur\\/objectif }""")
    # No figure is given for any year other than the roadmap's.
    assert values(f"""SELECT ?p WHERE {{ GRAPH {G} {{ ?i ess:refPeriod ?p }} }}""") == {"2024"}
    # ANRU's legal nature and La Belle de Mai's, Bliiida's, Darwin's types are not stated.
    assert not ask(f"""ASK {{ GRAPH {G} {{ VALUES ?o {{ essid:organisation\\/anru
        essid:organisation\\/la-belle-de-mai essid:organisation\\/bliiida
        essid:organisation\\/darwin }} ?o a ?c . FILTER(?c != ess:Organisation) }} }}""")
