"""Facts of source 002: the Dijon workshop and forum of 28 November 2024 (PES21, Dijon
Métropole, RTES), its round table, the support schemes and the stands.

Each test asks the knowledge graph what the report says — or checks that something the
report does not say is absent.
"""

from __future__ import annotations

import re

import pytest

from kg import ROOT, ask, normalise, seed_path, select, values

SEED = "002_f69e44763cd3f1f7.txt"
DATA = ROOT / "data" / "002_dijon-forum-2024.trig"
G = "<https://w3id.org/essgraph/graph/source/002>"

EVENT = "essid:evenement\\/engager-sa-collectivite-dijon-2024"
ROUND_TABLE = "essid:evenement\\/engager-sa-collectivite-dijon-2024-table-ronde"
STANDS = "essid:evenement\\/engager-sa-collectivite-dijon-2024-stands"
PES21 = "essid:organisation\\/pole-economie-solidaire-21"
RTES = "essid:organisation\\/rtes"
DIJON_METROPOLE = "essid:collectivite\\/epci\\/242100410"
VILLE_LONGVIC = "essid:collectivite\\/commune\\/21355"
CCOM = "essid:collectivite\\/epci\\/200039055"
REGION_BFC = "essid:collectivite\\/region\\/27"
MARMITE = "essid:organisation\\/la-marmite-solidaire"
CHAMP = "essid:organisation\\/le-champ-des-sourires"
BOUCLE = "essid:organisation\\/la-boucle"
GBFC = "essid:politique\\/generateur-bfc"
DLA = "essid:politique\\/dla"


def _normalise(text: str) -> str:
    return normalise(text)


def _seed_path():
    return seed_path(SEED)


def _partnerships(provider_or_party: str, recipient: str) -> list[dict[str, str]]:
    return select(f"""
        SELECT ?p ?nature WHERE {{
            ?p a ess:Partnership ; ess:party {provider_or_party} , {recipient} ;
               ess:nature ?nature .
        }}""")


# --- the source document -------------------------------------------------------------------

def test_every_quote_is_verbatim_in_the_seed():
    seed = _normalise(_seed_path().read_text(encoding="utf-8"))
    quotes = values(f"SELECT ?q WHERE {{ GRAPH {G} {{ ?c ess:quote ?q }} }}")
    assert len(quotes) >= 40
    missing = [q for q in quotes if _normalise(q) not in seed]
    assert missing == []


def test_no_phone_number_or_email_anywhere_in_the_file():
    text = DATA.read_text(encoding="utf-8")
    assert "03 80 50 90 47" not in text
    assert "contact@" not in text
    assert not re.search(r"[\w.+-]+@[\w-]+\.[\w.]+", text)
    assert not re.search(r"\b0\d(?:[ .]?\d\d){4}\b", text)


def test_source_document_is_described():
    assert ask(f"""ASK {{ essid:source\\/002 a ess:SourceDocument ;
        dct:publisher {PES21} ; ess:seedFile "{SEED}" ;
        dct:spatial essid:territoire\\/commune\\/21231 . }}""")


# --- the event ---------------------------------------------------------------------------

def test_event_date_place_and_free_admission():
    rows = select(f"""SELECT ?d ?addr ?free WHERE {{
        {EVENT} schema:startDate ?d ; schema:location ?v ; schema:isAccessibleForFree ?free .
        ?v schema:address ?addr ; ess:locatedIn essid:territoire\\/commune\\/21231 . }}""")
    assert rows == [{"d": "2024-11-28", "addr": "3 rue Jean XXIII, Dijon", "free": "true"}]


def test_event_organisers_are_pes21_dijon_metropole_and_rtes():
    organisers = values(f"SELECT ?o WHERE {{ {EVENT} schema:organizer ?o }}")
    assert organisers == {
        "https://w3id.org/essgraph/id/organisation/pole-economie-solidaire-21",
        "https://w3id.org/essgraph/id/collectivite/epci/242100410",
        "https://w3id.org/essgraph/id/organisation/rtes",
    }


def test_event_is_part_of_the_17th_edition_of_the_mois_de_l_ess():
    assert ask(f"""ASK {{ {EVENT} schema:superEvent ?ed .
        ?ed ess:editionNumber 17 ; schema:superEvent essid:evenement\\/mois-de-l-ess . }}""")


def test_event_has_two_parts_and_an_audience():
    parts = values(f"SELECT ?p WHERE {{ ?p schema:superEvent {EVENT} }}")
    assert len(parts) == 2
    assert values(f"SELECT ?a WHERE {{ {EVENT} ess:targetAudience ?a }}") == {
        "Acteurs de l'ESS, agents et élus"}


def test_co_organisation_partnership():
    rows = select(f"""SELECT ?p WHERE {{ ?p a ess:Partnership ;
        ess:nature concept:nature-partenariat\\/co-organisation ;
        ess:party {PES21} , {DIJON_METROPOLE} , {RTES} ; ess:relatedTo {EVENT} . }}""")
    assert len(rows) == 1


# --- the round table -----------------------------------------------------------------------

def test_round_table_animators():
    names = values(f"""SELECT ?n WHERE {{ {ROUND_TABLE} ess:animator ?p . ?p foaf:name ?n }}""")
    assert names == {"Delphine Lambert", "Anne-Laure Federici"}
    assert ask(f"""ASK {{ ?p a ess:Partnership ; ess:party {PES21} , {RTES} ;
        ess:nature concept:nature-partenariat\\/co-animation ; ess:relatedTo {ROUND_TABLE} }}""")
    assert ask("""ASK { essid:personne\\/anne-laure-federici ess:holdsRole ?r .
        ?r org:organization essid:organisation\\/rtes }""")
    assert ask("""ASK { essid:personne\\/delphine-lambert ess:holdsRole ?r .
        ?r org:organization essid:organisation\\/pole-economie-solidaire-21 }""")


@pytest.mark.parametrize("person,structure", [
    ("ophelie-rochas", "organisation/la-marmite-solidaire"),
    ("flore-geillon", "organisation/le-champ-des-sourires"),
    ("philippe-chagnon", "collectivite/commune/21355"),
    ("tao-marcuz", "organisation/la-boucle"),
    ("jean-maxime-bonin", "collectivite/epci/200039055"),
])
def test_who_represented_which_structure(person, structure):
    p = "essid:personne\\/" + person
    s = "essid:" + structure.replace("/", "\\/")
    assert ask(f"""ASK {{ {p} ess:holdsRole ?r . ?r org:organization {s} .
        {ROUND_TABLE} ess:presenter {p} , {s} . }}""")


def test_three_structures_and_their_communes():
    rows = select(f"""SELECT ?s ?c WHERE {{ VALUES ?s {{ {MARMITE} {CHAMP} {BOUCLE} }}
        ?s ess:locatedIn ?c }}""")
    assert {(r["s"].rsplit("/", 1)[1], r["c"].rsplit("/", 1)[1]) for r in rows} == {
        ("la-marmite-solidaire", "25462"), ("le-champ-des-sourires", "21355"),
        ("la-boucle", "21611")}


def test_three_activities_figure():
    assert ask(f"""ASK {{ ?i a ess:Indicator ; ess:subject {ROUND_TABLE} ; ess:value 3 ;
        ess:measure concept:mesure\\/structures . }}""")


def test_marmite_supported_by_preval_and_supplied_by_food_bank():
    assert ask(f"""ASK {{ ?p a ess:Partnership ;
        ess:provider essid:organisation\\/preval-haut-doubs ; ess:recipient {MARMITE} . }}""")
    assert ask(f"""ASK {{ ?p a ess:Partnership ; ess:recipient {MARMITE} ;
        ess:nature concept:nature-partenariat\\/approvisionnement ; ess:provider ?b .
        ?b skos:prefLabel "Banque alimentaire"@fr . }}""")


def test_marmite_accompanied_via_generateur_bfc_draaf_and_region():
    assert ask(f"""ASK {{ ?p a ess:Partnership ; ess:recipient {MARMITE} ;
        ess:relatedTo {GBFC} ; ess:nature concept:nature-partenariat\\/accompagnement ;
        ess:party essid:organisation\\/draaf , {REGION_BFC} . }}""")


def test_champ_des_sourires_is_a_chantier_d_insertion_with_9_and_11():
    assert ask(f"ASK {{ {CHAMP} ess:insertionType concept:type-siae\\/aci }}")
    figures = {(r["m"].rsplit("/", 1)[1], r["v"]) for r in select(f"""
        SELECT ?m ?v WHERE {{ ?i a ess:Indicator ; ess:subject {CHAMP} ;
            ess:measure ?m ; ess:value ?v }}""")}
    assert figures == {("salaries-insertion", "9"), ("personnes-accompagnees", "11")}


def test_ville_de_longvic_gives_one_hectare_with_rural_lease():
    rows = select(f"""SELECT ?p ?v ?u WHERE {{
        ?p a ess:Partnership ; ess:provider {VILLE_LONGVIC} ; ess:recipient {CHAMP} ;
           ess:nature concept:nature-partenariat\\/foncier-locaux ; dct:description ?d .
        FILTER(CONTAINS(?d, "bail rural"))
        ?i ess:subject ?p ; ess:value ?v ; ess:unit ?u . }}""")
    assert [(r["v"], r["u"].rsplit("/", 1)[1]) for r in rows] == [("1", "hectare")]


def test_ville_de_longvic_supports_in_three_ways():
    assert len(select(f"""SELECT ?p WHERE {{ ?p a ess:Partnership ;
        ess:provider {VILLE_LONGVIC} ; ess:recipient {CHAMP} }}""")) == 3
    assert ask(f"""ASK {{ {VILLE_LONGVIC} skos:altLabel "Ville de Longvic"@fr }}""")


@pytest.mark.parametrize("partner", [
    "organisation/pli", "organisation/france-travail", "organisation/cesam",
    "organisation/mission-locale-partenaire-le-champ-des-sourires",
    "organisation/ccas-partenaire-le-champ-des-sourires",
])
def test_champ_des_sourires_collaborations(partner):
    assert _partnerships("essid:" + partner.replace("/", "\\/"), CHAMP)


def test_ccom_finances_and_accompanies_la_boucle_for_three_years():
    natures = {r["nature"].rsplit("/", 1)[1] for r in _partnerships(CCOM, BOUCLE)}
    assert natures == {"financement", "accompagnement"}
    assert ask(f"""ASK {{ ?p ess:provider {CCOM} ; ess:recipient {BOUCLE} .
        ?i a ess:Indicator ; ess:subject ?p ; ess:value 3 ; ess:unit concept:unite\\/annee . }}""")
    assert ask(f"""ASK {{ ?p ess:provider {CCOM} ; ess:recipient {BOUCLE} ;
        ess:relatedTo {GBFC} }}""")
    assert ask(f"""ASK {{ {CCOM} skos:altLabel "CCOM"@fr ,
        "Communauté de communes Ouche et Montagne"@fr }}""")


def test_sombornon_is_kept_only_as_an_alternative_label():
    assert ask("""ASK { essid:territoire\\/commune\\/21611 skos:altLabel "Sombornon"@fr }""")
    assert not ask("""ASK { ?x skos:prefLabel "Sombornon"@fr }""")


def test_reper_ess_book_by_rtes():
    assert ask(f"""ASK {{ ?b dct:title "Reper'ESS Alimentation durable & ESS"@fr ;
        dct:publisher {RTES} . }}""")


# --- support schemes -------------------------------------------------------------------------

def test_generateur_bfc_funded_by_ademe_and_region_and_carried_by_pes21_in_cote_d_or():
    assert ask(f"""ASK {{ ?p a ess:Partnership ; ess:relatedTo {GBFC} ;
        ess:nature concept:nature-partenariat\\/financement ;
        ess:party essid:organisation\\/ademe , {REGION_BFC} . }}""")
    assert ask(f"""ASK {{ ?s dct:isPartOf {GBFC} ; ess:carriedBy {PES21} ;
        ess:appliesTo essid:territoire\\/departement\\/21 . }}""")


def test_dla_has_five_steps_and_is_carried_by_pes21_in_cote_d_or():
    assert ask(f"""ASK {{ ?i a ess:Indicator ; ess:subject {DLA} ; ess:value 5 }}""")
    assert ask(f"""ASK {{ ?s dct:isPartOf {DLA} ; ess:carriedBy {PES21} ;
        ess:appliesTo essid:territoire\\/departement\\/21 . }}""")


def test_pes21_does_not_carry_the_schemes_outside_cote_d_or():
    """The report only says PES21 carries them 'sur la Côte d'Or'."""
    assert not ask(f"ASK {{ {GBFC} ess:carriedBy {PES21} }}")
    assert not ask(f"ASK {{ {DLA} ess:carriedBy {PES21} }}")


# --- stands --------------------------------------------------------------------------------

def test_stand_holders():
    presenters = values(f"SELECT ?o WHERE {{ {STANDS} ess:presenter ?o }}")
    holders = {v.rsplit("/", 1)[1] for v in presenters}
    assert holders == {"rtes", "espace-co-hop", "cesam", "le-the-du-phoenix",
                       "le-champ-des-sourires", "france-alzheimer", "pimms-mediation-dijon",
                       "les-cigales-bfc", "le-ble-solidaire", "arar-bfc"}
    assert ask(f"ASK {{ {STANDS} schema:about {GBFC} }}")


def test_stand_structures_types_and_websites():
    assert ask("""ASK { essid:organisation\\/france-alzheimer
        ess:legalForm concept:forme-juridique\\/association }""")
    assert ask("""ASK { essid:organisation\\/espace-co-hop a ess:ThirdPlace }""")
    assert ask("""ASK { essid:organisation\\/arar-bfc skos:altLabel "ARAR BFC"@fr ;
        foaf:homepage <https://www.arar-bfc.fr> }""")
    assert ask("""ASK { essid:organisation\\/rtes foaf:homepage <https://www.rtes.fr/> }""")


def test_nothing_the_report_does_not_say():
    # No legal form is stated for Le Blé Solidaire, and no description of it either.
    assert not ask("ASK { essid:organisation\\/le-ble-solidaire ess:legalForm ?f }")
    assert not ask(f"""ASK {{ GRAPH {G} {{
        essid:organisation\\/le-ble-solidaire dct:description ?d }} }}""")
    # No end date for the CCOM subsidies, no founding dates, no figure for another year.
    assert not ask(f"ASK {{ GRAPH {G} {{ ?o schema:foundingDate ?d }} }}")
    assert not ask(f"ASK {{ GRAPH {G} {{ ?p ess:endDate ?d }} }}")
    # The ministries of the logo block are not modelled.
    assert not ask(f"""ASK {{ GRAPH {G} {{ ?x skos:prefLabel ?l .
        FILTER(STRSTARTS(STR(?l), "Ministère")) }} }}""")
    # The Champ des Sourires' figures are not counted for La Boucle or La Marmite.
    assert not ask(f"""ASK {{ ?i a ess:Indicator ; ess:subject ?s .
        VALUES ?s {{ {MARMITE} {BOUCLE} }} }}""")


def test_every_described_resource_is_traceable():
    untraced = select(f"""SELECT DISTINCT ?s WHERE {{ GRAPH {G} {{
        ?s ?p ?o . FILTER(?p != ess:quote && ?p != ess:section && ?p != ess:inDocument)
        FILTER NOT EXISTS {{ ?s a ess:Citation }}
        FILTER NOT EXISTS {{ ?s prov:wasDerivedFrom essid:source\\/002 ; ess:citation ?c }}
    }} }}""")
    assert untraced == []
