"""Facts of source 004: ACTIVE, Pôle de l'économie solidaire (Chalon-sur-Saône): what it does,
for whom, its services and skills, the objective of its action and the example themes.

Each test asks the knowledge graph what the sheet says — or checks that something the sheet
does not say is absent.
"""

from __future__ import annotations

import re

from kg import ROOT, ask, normalise, seed_path, select, values

SEED = "004_bfc61dad1a8218e0.txt"
DATA = ROOT / "data" / "004_chalon-active.trig"
G = "<https://w3id.org/essgraph/graph/source/004>"

ACTIVE = "essid:organisation\\/active-chalon"
INITIATIVE = "essid:projet\\/active-developper-l-ess"
CHALON = "essid:territoire\\/commune\\/71076"


def _normalise(text: str) -> str:
    return normalise(text)


def _seed_path():
    return seed_path(SEED)


# --- the source document -------------------------------------------------------------------

def test_every_quote_is_verbatim_in_the_seed():
    seed = _normalise(_seed_path().read_text(encoding="utf-8"))
    quotes = values(f"SELECT ?q WHERE {{ GRAPH {G} {{ ?c ess:quote ?q }} }}")
    assert len(quotes) >= 20
    missing = [q for q in quotes if _normalise(q) not in seed]
    assert missing == []


def test_no_email_address_or_phone_number_in_the_file():
    text = DATA.read_text(encoding="utf-8")
    assert not re.search(r"[\w.+-]+@[\w-]+\.[\w.]+", text)
    assert not re.search(r"\b0\d(?:[ .]?\d\d){4}\b", text)


def test_source_document_is_described_without_a_date():
    assert ask(f"""ASK {{ essid:source\\/004 a ess:SourceDocument ;
        dct:title "ACTIVE, Pôle de l’économie solidaire (Développer l’ESS)"@fr ;
        dct:spatial {CHALON} ; ess:seedFile "{SEED}" . }}""")
    assert not ask("ASK { essid:source\\/004 dct:date|dct:issued ?d }")


def test_every_described_resource_is_traceable():
    untraced = select(f"""SELECT DISTINCT ?s WHERE {{ GRAPH {G} {{
        ?s ?p ?o . FILTER NOT EXISTS {{ ?s a ess:Citation }}
        FILTER NOT EXISTS {{ ?s prov:wasDerivedFrom essid:source\\/004 ; ess:citation ?c }}
    }} }}""")
    assert untraced == []


# --- ACTIVE ------------------------------------------------------------------------------------

def test_active_is_an_organisation_in_chalon_with_its_names():
    assert ask(f"""ASK {{ {ACTIVE} a/rdfs:subClassOf* ess:Organisation ;
        ess:locatedIn {CHALON} ; skos:altLabel "ACTIVE"@fr ;
        skos:prefLabel "ACTIVE, Pôle de l'économie solidaire"@fr . }}""")


def test_active_is_not_confused_with_the_other_poles():
    assert not ask(f"""ASK {{ VALUES ?other {{ essid:organisation\\/pole-economie-solidaire-21
        essid:organisation\\/pole-ess-strasbourg }} {ACTIVE} owl:sameAs ?other }}""")
    assert not ask(f"""ASK {{ GRAPH {G} {{ ?x skos:altLabel ?l .
        FILTER(CONTAINS(?l, "21") || CONTAINS(?l, "Strasbourg")) }} }}""")


def test_active_target_audiences():
    audiences = values(f"SELECT ?a WHERE {{ {ACTIVE} ess:targetAudience ?a }}")
    assert len(audiences) == 3
    assert any(a.startswith("les chalonnais porteurs d'une idée") for a in audiences)
    assert any("services municipaux ou para municipaux" in a for a in audiences)


def test_active_services_and_skills():
    services = values(f"SELECT ?s WHERE {{ {ACTIVE} ess:serviceOffered ?s }}")
    assert "un accompagnement méthodologique" in services
    assert len(services) == 5
    skills = values(f"SELECT ?s WHERE {{ {ACTIVE} ess:competence ?s }}")
    assert {"étude de faisabilité", "montage juridique et financier"} <= skills
    assert len(skills) == 7


# --- the initiative ----------------------------------------------------------------------------

def test_initiative_objective_pilot_communes():
    rows = select(f"""SELECT ?o WHERE {{ {INITIATIVE} a ess:Project ; ess:carriedBy {ACTIVE} ;
        ess:objective ?o }}""")
    assert len(rows) == 1
    assert rows[0]["o"].startswith("Faire émerger des projets dans des communes pilotes")


def test_three_stakes():
    stakes = values(f"SELECT ?s WHERE {{ {INITIATIVE} ess:stake ?s }}")
    assert stakes == {"La prise en compte des problématiques quotidiennes des habitants",
                      "Le développement d'activités et l'innovation en matière de services",
                      "La participation et l'engagement des habitants"}


def test_eleven_example_themes_in_three_groups():
    themes = values(f"SELECT ?t WHERE {{ {INITIATIVE} ess:exampleTheme ?t }}")
    assert len(themes) == 11
    groups = {t.split(" : ", 1)[0] for t in themes}
    assert groups == {"Consommation durable", "Projets de vie solidaires",
                      "Engagements solidaires"}
    assert any("pédibus" in t for t in themes)


def test_initiative_themes():
    themes = {t.rsplit("/", 1)[1] for t in values(f"SELECT ?t WHERE {{ {INITIATIVE} ess:theme ?t }}")}
    assert {"participation-citoyenne", "finance-solidaire", "commerce-equitable",
            "habitat", "mobilite", "petite-enfance"} <= themes


def test_summary_sentence():
    assert ask(f"""ASK {{ {INITIATIVE} dct:abstract
        "Impliquer les habitants pour un changement de pratiques conduisant à un développement économique plus solidaire."@fr }}""")


# --- what the sheet does not say --------------------------------------------------------------------

def test_nothing_the_sheet_does_not_say():
    # No legal form, founding date, address, website or person is given for ACTIVE.
    for prop in ("ess:legalForm", "schema:foundingDate", "schema:address", "foaf:homepage"):
        assert not ask(f"ASK {{ GRAPH {G} {{ {ACTIVE} {prop} ?x }} }}"), prop
    assert not ask(f"ASK {{ GRAPH {G} {{ ?p a ess:Person }} }}")
    # No partner is named: no partnership, no figure.
    assert not ask(f"ASK {{ GRAPH {G} {{ ?p a ess:Partnership }} }}")
    assert not ask(f"ASK {{ GRAPH {G} {{ ?i a ess:Indicator }} }}")
    # The pilot communes are not named, nor is the "collectivité".
    assert not ask(f"""ASK {{ GRAPH {G} {{ ?x ess:appliesTo|ess:locatedIn ?t .
        FILTER(?t != {CHALON}) }} }}""")
    assert not ask(f"ASK {{ GRAPH {G} {{ ?x a ess:LocalAuthority }} }}")
