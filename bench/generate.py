"""A deterministic, national-scale ESS graph in essgraph's own model, for the benchmark.

    .venv/bin/python bench/generate.py --scale 1m            # -> /tmp/essgraph-bench/1m/data/

The synthetic facts sit on the REAL official territorial reference (every commune, EPCI,
département and région of `essgraph.territories.reference_quads`): actors are located in
real communes (drawn in proportion to their population), policies and labels are held by
the real local authorities (`collectivite/epci/{SIREN}`, `collectivite/commune/{INSEE}`) and
apply to their territory. The terms are those of docs/MODEL.md, so the real build pipeline
(reason, validate, store) and the real named queries run on it unchanged.

One source document per région (`essid:source/1NN`, graph `graph:source/1NN`, file
`1NN_bench-region-{code}.nq`) plus one national document (`source/100`) holding the national
networks. Every resource has `skos:prefLabel`@fr, `prov:wasDerivedFrom` its document and an
`ess:citation` (a citation is shared by the resources of one "section" of ten).

`--scale` counts the triples of the generated source graphs only (the reference, ~484k
triples, and the inferences come on top; `bench/run.py` reports the store's total). Same
seed, same reference, same output, byte for byte. `params.json` next to the data names
entities to use as the bench queries' parameters (a big EPCI, an actor with partners...).
"""

from __future__ import annotations

import argparse
import bisect
import hashlib
import itertools
import json
import random
import re
import sys
import time
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from essgraph import territories, vocab
from essgraph.config import Settings

SCALES = {"10k": 10_000, "100k": 100_000, "1m": 1_000_000, "5m": 5_000_000}
DEFAULT_OUT = Path("/tmp/essgraph-bench")
NATIONAL = 100  # source number of the national document; régions follow

ESS, ID, CONCEPT, GRAPH = vocab.ESS, vocab.ID, vocab.CONCEPT, vocab.GRAPH
RDF_TYPE = vocab.RDF + "type"
P = {
    "type": RDF_TYPE,
    "label": vocab.SKOS + "prefLabel",
    "derived": vocab.PROV + "wasDerivedFrom",
    "citation": ESS + "citation",
    "inDocument": ESS + "inDocument",
    "section": ESS + "section",
    "quote": ESS + "quote",
    "title": vocab.DCT + "title",
    "date": vocab.DCT + "date",
    "spatial": vocab.DCT + "spatial",
    "publisher": vocab.DCT + "publisher",
    "seedFile": ESS + "seedFile",
    "legalForm": ESS + "legalForm",
    "essFamily": ESS + "essFamily",
    "insertionType": ESS + "insertionType",
    "theme": ESS + "theme",
    "locatedIn": ESS + "locatedIn",
    "memberOf": vocab.ORG + "memberOf",
    "foundingDate": vocab.SCHEMA + "foundingDate",
    "address": vocab.SCHEMA + "address",
    "heldBy": ESS + "heldBy",
    "adoptedBy": ESS + "adoptedBy",
    "carriedBy": ESS + "carriedBy",
    "appliesTo": ESS + "appliesTo",
    "lever": ESS + "lever",
    "milestone": ESS + "milestone",
    "milestoneType": ESS + "milestoneType",
    "mdate": ESS + "date",
    "startDate": vocab.SCHEMA + "startDate",
    "organizer": vocab.SCHEMA + "organizer",
    "location": vocab.SCHEMA + "location",
    "superEvent": vocab.SCHEMA + "superEvent",
    "editionNumber": ESS + "editionNumber",
    "party": ESS + "party",
    "provider": ESS + "provider",
    "recipient": ESS + "recipient",
    "nature": ESS + "nature",
    "relatedTo": ESS + "relatedTo",
    "pStartDate": ESS + "startDate",
    "dataSet": vocab.QB + "dataSet",
    "value": ESS + "value",
    "unit": ESS + "unit",
    "measure": ESS + "measure",
    "refPeriod": ESS + "refPeriod",
    "subject": ESS + "subject",
    "status": ESS + "status",
    "within": ESS + "directlyWithin",
    "population": ESS + "population",
    "governs": ESS + "governs",
}
XSD_DATE = vocab.XSD + "date"
XSD_GYEAR = vocab.XSD + "gYear"
XSD_INTEGER = vocab.XSD + "integer"

# (class, share, legal forms, ESS family, name prefixes); families and forms are codes of
# the concept schemes in ontology/schemes.ttl (checked by `check_concepts`).
ACTOR_KINDS = [
    ("Association", 56, ["association"], "association", ["Association", "Collectif", "Amis de"]),
    ("Cooperative", 12, ["scop", "scic", "cae", "cooperative"], "cooperative",
     ["Scop", "SCIC", "Coopérative"]),
    ("InsertionStructure", 8, ["association"], "association",
     ["Chantier d'insertion", "Entreprise d'insertion", "Atelier"]),
    ("ESSCompany", 6, ["sas", "sarl"], "societe-commerciale-ess", ["Entreprise solidaire"]),
    ("ThirdPlace", 5, ["association", "scic"], None, ["Tiers-lieu", "La Fabrique"]),
    ("Mutuelle", 3, ["mutuelle"], "mutuelle", ["Mutuelle"]),
    ("Foundation", 3, ["fondation", "fonds-de-dotation"], "fondation", ["Fondation"]),
    ("Network", 6, ["association"], "association", ["Réseau", "Fédération", "Union"]),
    ("PTCE", 1, ["association", "scic"], None, ["PTCE"]),
]
SIAE_TYPES = ["aci", "ei", "etti", "ai"]
THEMES = [
    "reemploi", "alimentation-durable", "insertion", "commerce-equitable",
    "innovation-sociale", "mesure-impact", "tiers-lieux", "economie-circulaire", "mobilite",
    "culture", "numerique", "energie", "habitat", "emploi", "finance-solidaire",
    "agriculture", "circuits-courts", "education", "handicap", "jeunesse", "lien-social",
    "dechets", "inclusion", "cooperation",
]
LEVERS = ["commande-publique", "financement", "foncier", "accompagnement", "sensibilisation",
          "co-construction", "emploi-insertion", "subvention", "labellisation"]
MILESTONE_TYPES = ["deliberation", "adoption", "lancement", "obtention-label",
                   "renouvellement", "signature", "candidature", "premiere-edition"]
NATURES = ["financement", "foncier-locaux", "accompagnement", "co-organisation", "co-pilotage",
           "adhesion", "signature", "approvisionnement", "orientation", "commande-publique",
           "mise-a-disposition", "representation"]
MEASURES = [("emplois", "emploi"), ("heures-insertion", "heure"), ("chiffre-affaires", "euro"),
            ("beneficiaires", "personne"), ("adherents", "membre"), ("evenements", "evenement")]
STATUSES = ["constate", "objectif"]
CONCEPTS_USED = {
    "forme-juridique": sorted({f for k in ACTOR_KINDS for f in k[2]}),
    "famille-ess": sorted({k[3] for k in ACTOR_KINDS if k[3]}),
    "type-siae": SIAE_TYPES,
    "theme": THEMES,
    "levier": LEVERS,
    "type-jalon": MILESTONE_TYPES,
    "nature-partenariat": NATURES,
    "mesure": [m for m, _ in MEASURES],
    "unite": [u for _, u in MEASURES],
    "statut-indicateur": STATUSES,
}
POLICY_KINDS = [("PublicPolicy", "Politique ESS"), ("Label", "Label Territoire ESS"),
                ("SupportScheme", "Dispositif local d'accompagnement"),
                ("Roadmap", "Feuille de route ESS")]
WORDS = ["Jardins", "Ateliers", "Ressourcerie", "Épicerie solidaire", "Recyclerie",
         "Maison", "Cafés", "Vélos", "Savoirs", "Solidarités", "Transitions", "Pousses",
         "Communs", "Paniers", "Énergies", "Habitats", "Passerelles", "Chantiers", "Liens",
         "Saveurs", "Fabrique", "Tisserands", "Boussole", "Grain de sel", "Ruche"]
EVENT_WORDS = ["Forum", "Rencontres", "Atelier", "Marché", "Festival", "Journée", "Salon",
               "Assemblée", "Apéro", "Conférence"]


# --------------------------------------------------------------------------- reference


@dataclass
class Commune:
    code: str
    name: str
    population: int
    departement: str
    epci: str | None
    authority: bool


@dataclass
class Reference:
    regions: dict[str, str] = field(default_factory=dict)  # code -> name
    region_of_dept: dict[str, str] = field(default_factory=dict)
    epci_names: dict[str, str] = field(default_factory=dict)
    communes: list[Commune] = field(default_factory=list)


def read_reference(territories_dir: Path) -> Reference:
    """The part of the official reference the generator needs, from the real quads."""
    t = vocab.ID + "territoire/"
    c = vocab.ID + "collectivite/"
    labels: dict[str, str] = {}
    types: dict[str, str] = {}
    up: dict[str, list[str]] = defaultdict(list)
    population: dict[str, int] = {}
    authorities: set[str] = set()
    for q in territories.reference_quads(territories_dir):
        s, p, o = q.subject.value, q.predicate.value, q.object
        if p == P["label"]:
            labels[s] = o.value
        elif p == RDF_TYPE:
            types[s] = o.value
        elif p == P["within"]:
            up[s].append(o.value)
        elif p == P["population"]:
            population[s] = int(o.value)
        elif p == P["governs"] and s.startswith(c):
            authorities.add(s)
    ref = Reference()
    for iri, cls in types.items():
        if cls == ESS + "Region":
            ref.regions[iri.removeprefix(t + "region/")] = labels[iri]
        elif cls == ESS + "Department":
            regions = [u for u in up[iri] if u.startswith(t + "region/")]
            if regions:
                ref.region_of_dept[iri.removeprefix(t + "departement/")] = (
                    regions[0].removeprefix(t + "region/")
                )
        elif cls.startswith(ESS) and iri.startswith(t + "epci/"):
            ref.epci_names[iri.removeprefix(t + "epci/")] = labels[iri]
    for iri, cls in types.items():
        if cls != ESS + "Commune":
            continue
        code = iri.removeprefix(t + "commune/")
        dept = next((u.removeprefix(t + "departement/") for u in up[iri]
                     if u.startswith(t + "departement/")), None)
        if dept is None or dept not in ref.region_of_dept:
            continue  # collectivités d'outre-mer: no région
        epci = next((u.removeprefix(t + "epci/") for u in up[iri] if u.startswith(t + "epci/")),
                    None)
        ref.communes.append(Commune(code, labels[iri], population.get(iri, 0), dept, epci,
                                    c + "commune/" + code in authorities))
    ref.communes.sort(key=lambda x: x.code)
    return ref


def check_concepts(ontology_dir: Path) -> None:
    """Fail early if a concept the generator uses is not in the project's schemes."""
    store = ox.Store()
    for path in sorted(Path(ontology_dir).glob("*.ttl")):
        store.load(path=str(path), format=ox.RdfFormat.TURTLE)
    in_scheme = ox.NamedNode(vocab.SKOS + "inScheme")
    known = {q.subject.value for q in store.quads_for_pattern(None, in_scheme, None)}
    missing = [f"{scheme}/{code}" for scheme, codes in CONCEPTS_USED.items() for code in codes
               if f"{CONCEPT}{scheme}/{code}" not in known]
    if missing:
        sys.exit(f"generate: concepts missing from ontology/schemes.ttl: {', '.join(missing)}")


# --------------------------------------------------------------------------- writing


def iri(value: str) -> str:
    return f"<{value}>"


_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r"})


def fr(text: str) -> str:
    return f'"{text.translate(_ESCAPES)}"@fr'


def plain(text: str) -> str:
    return f'"{text.translate(_ESCAPES)}"'


def typed(text: str, datatype: str) -> str:
    return f'"{text}"^^<{datatype}>'


def slug(text: str) -> str:
    ascii_ = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", ascii_).strip("-")


class Document:
    """The N-Quads of one source document, its citations and a triple count."""

    def __init__(self, number: int, title: str, spatial: str | None, out: list[str]):
        self.number = f"{number:03d}"
        self.iri = f"{ID}source/{self.number}"
        self.graph = iri(f"{GRAPH}source/{self.number}")
        self.out = out
        self.count = 0
        self.sections: dict[str, int] = defaultdict(int)
        seed = hashlib.sha256(title.encode()).hexdigest()[:16]
        s = self.iri
        self.add(s, P["type"], iri(ESS + "SourceDocument"))
        self.add(s, P["title"], fr(title))
        self.add(s, P["label"], fr(title))
        self.add(s, P["date"], typed("2025-01-15", XSD_DATE))
        self.add(s, P["seedFile"], plain(f"{self.number}_{seed}.txt"))
        if spatial:
            self.add(s, P["spatial"], iri(spatial))
        self.add(s, P["derived"], iri(s))
        self.add(s, P["citation"], iri(self.cite("titre", title)))

    def add(self, s: str, p: str, o: str) -> None:
        self.out.append(f"<{s}> <{p}> {o} {self.graph} .\n")
        self.count += 1

    def cite(self, section: str, quote: str) -> str:
        """A citation shared by the resources of one section of ten; created on first use.

        Counted by slug: two communes of a région may share a name up to accents or case
        (Peseux, Péseux), and their sections must not make two citations of one IRI."""
        key = slug(section)
        n = self.sections[key]
        self.sections[key] = n + 1
        c = f"{ID}citation/{self.number}/{key}-{n // 10}"
        if n % 10 == 0:
            self.add(c, P["type"], iri(ESS + "Citation"))
            self.add(c, P["inDocument"], iri(self.iri))
            self.add(c, P["section"], plain(section))
            self.add(c, P["quote"], plain(" ".join(quote.split()[:20])))
        return c

    def resource(self, s: str, cls: str, label: str, section: str) -> None:
        """Type, label, provenance and citation: what every resource of a document has."""
        self.add(s, P["type"], iri(ESS + cls))
        self.add(s, P["label"], fr(label))
        self.add(s, P["derived"], iri(self.iri))
        self.add(s, P["citation"], iri(self.cite(section, label)))


def concept(scheme: str, code: str) -> str:
    return iri(f"{CONCEPT}{scheme}/{code}")


# --------------------------------------------------------------------------- generation


class Generator:
    def __init__(self, ref: Reference, seed: int):
        self.ref = ref
        self.rng = random.Random(seed)
        self.counter = itertools.count(1)
        self.params: dict[str, object] = {}
        self.stats: dict[str, int] = defaultdict(int)
        self.partners: dict[str, int] = defaultdict(int)  # actor -> partnerships
        self.indicated: dict[str, int] = defaultdict(int)  # subject -> indicators
        self.kind_weights = list(itertools.accumulate(k[1] for k in ACTOR_KINDS))

    def uid(self) -> str:
        return format(next(self.counter), "x")

    def pick_commune(self, communes: list[Commune], cumulative: list[int]) -> Commune:
        x = self.rng.random() * cumulative[-1]
        return communes[bisect.bisect_right(cumulative, x)]

    def national(self, out: list[str], networks: int) -> tuple[Document, list[str]]:
        doc = Document(NATIONAL, "Annuaire national des têtes de réseau de l'ESS (banc d'essai)",
                       f"{ID}territoire/pays/fr", out)
        iris = []
        for i in range(networks):
            word = WORDS[i % len(WORDS)]
            name = f"Réseau national {word} {i + 1}"
            s = f"{ID}organisation/{slug(name)}-{self.uid()}"
            doc.resource(s, "Network", name, "Têtes de réseau")
            doc.add(s, P["legalForm"], concept("forme-juridique", "association"))
            doc.add(s, P["theme"], concept("theme", THEMES[i % len(THEMES)]))
            doc.add(s, P["locatedIn"], iri(f"{ID}territoire/commune/75056"))
            iris.append(s)
        self.stats["networks"] += networks
        return doc, iris

    def region(self, number: int, code: str, communes: list[Commune], budget: int,
               national_networks: list[str], out: list[str]) -> Document:
        """One région's document: actors first (55% of the budget), then the rest."""
        rng = self.rng
        name = self.ref.regions[code]
        doc = Document(number, f"Panorama de l'ESS en {name} (banc d'essai)",
                       f"{ID}territoire/region/{code}", out)
        cumulative = list(itertools.accumulate(max(c.population, 1) for c in communes))
        epcis = sorted({c.epci for c in communes if c.epci})
        actors: list[tuple[str, Commune]] = []
        networks: list[str] = []
        # Actors.
        while doc.count < budget * 0.55:
            kind = ACTOR_KINDS[bisect.bisect_right(self.kind_weights,
                                                    rng.random() * self.kind_weights[-1])]
            cls, _share, forms, family, prefixes = kind
            commune = self.pick_commune(communes, cumulative)
            label = f"{rng.choice(prefixes)} {rng.choice(WORDS)} de {commune.name}"
            s = f"{ID}organisation/{slug(label)}-{self.uid()}"
            doc.resource(s, cls, label, f"Acteurs de {commune.name}")
            doc.add(s, P["legalForm"], concept("forme-juridique", rng.choice(forms)))
            if family:
                doc.add(s, P["essFamily"], concept("famille-ess", family))
            if cls == "InsertionStructure":
                doc.add(s, P["insertionType"], concept("type-siae", rng.choice(SIAE_TYPES)))
            for theme in rng.sample(THEMES, rng.choice((1, 1, 2, 2, 3))):
                doc.add(s, P["theme"], concept("theme", theme))
            doc.add(s, P["locatedIn"], iri(f"{ID}territoire/commune/{commune.code}"))
            if rng.random() < 0.4:
                doc.add(s, P["foundingDate"], typed(str(rng.randint(1901, 2024)), XSD_GYEAR))
            if rng.random() < 0.3:
                doc.add(s, P["address"], plain(f"{rng.randint(1, 120)} rue {rng.choice(WORDS)}, "
                                               f"{commune.name}"))
            if networks and rng.random() < 0.45:
                doc.add(s, P["memberOf"], iri(rng.choice(networks)))
            if national_networks and rng.random() < 0.1:
                doc.add(s, P["memberOf"], iri(rng.choice(national_networks)))
            if cls == "Network":
                networks.append(s)
            actors.append((s, commune))
            self.stats["actors"] += 1
        # Policies and labels of the local authorities, with milestones.
        policies: list[str] = []
        while doc.count < budget * 0.65:
            commune = self.pick_commune(communes, cumulative)
            if commune.epci and rng.random() < 0.6:
                holder = f"{ID}collectivite/epci/{commune.epci}"
                territory = f"{ID}territoire/epci/{commune.epci}"
                where = self.ref.epci_names[commune.epci]
            elif commune.authority:
                holder = f"{ID}collectivite/commune/{commune.code}"
                territory = f"{ID}territoire/commune/{commune.code}"
                where = commune.name
            else:
                continue
            cls, prefix = rng.choice(POLICY_KINDS)
            label = f"{prefix} {where} {self.uid()}"
            s = f"{ID}politique/{slug(label)}"
            doc.resource(s, cls, label, f"Politiques de {where}")
            doc.add(s, P["heldBy" if cls == "Label" else "adoptedBy"], iri(holder))
            doc.add(s, P["appliesTo"], iri(territory))
            doc.add(s, P["theme"], concept("theme", rng.choice(THEMES)))
            doc.add(s, P["lever"], concept("levier", rng.choice(LEVERS)))
            year = rng.randint(2012, 2025)
            for k in range(rng.choice((1, 2, 3))):
                m = f"{ID}jalon/{slug(label)}-{k + 1}"
                mtype = rng.choice(MILESTONE_TYPES)
                doc.resource(m, "Milestone", f"{label} : {mtype}", f"Politiques de {where}")
                doc.add(m, P["milestoneType"], concept("type-jalon", mtype))
                date = f"{year + k}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
                doc.add(m, P["mdate"], typed(date, XSD_DATE))
                doc.add(s, P["milestone"], iri(m))
            policies.append(s)
            self.stats["policies"] += 1
        # Events: a regional series with yearly editions, and one-off events.
        series = f"{ID}evenement/{slug('mois-de-l-ess-' + name)}"
        doc.resource(series, "EventSeries", f"Mois de l'ESS en {name}", "Agenda")
        events: list[str] = []
        edition = 0
        while doc.count < budget * 0.77:
            organizer, commune = rng.choice(actors)
            year = rng.randint(2015, 2025)
            label = f"{rng.choice(EVENT_WORDS)} {rng.choice(WORDS)} {commune.name} {year}"
            s = f"{ID}evenement/{slug(label)}-{self.uid()}"
            doc.resource(s, "Event", label, "Agenda")
            date = f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
            doc.add(s, P["startDate"], typed(date, XSD_DATE))
            doc.add(s, P["organizer"], iri(organizer))
            if commune.authority and rng.random() < 0.3:
                doc.add(s, P["organizer"], iri(f"{ID}collectivite/commune/{commune.code}"))
            doc.add(s, P["location"], iri(f"{ID}territoire/commune/{commune.code}"))
            doc.add(s, P["theme"], concept("theme", rng.choice(THEMES)))
            if rng.random() < 0.15:
                edition += 1
                doc.add(s, P["superEvent"], iri(series))
                doc.add(s, P["editionNumber"], typed(str(edition), XSD_INTEGER))
            events.append(s)
            self.stats["events"] += 1
        # Partnerships between actors (mostly near each other) and local authorities.
        while doc.count < budget * 0.90:
            a, commune = rng.choice(actors)
            parties = {a}
            for _ in range(rng.choice((1, 1, 1, 2))):
                parties.add(rng.choice(actors)[0])
            if commune.epci and rng.random() < 0.35:
                parties.add(f"{ID}collectivite/epci/{commune.epci}")
            if len(parties) < 2:
                continue
            nature = rng.choice(NATURES)
            label = f"Partenariat {nature} {commune.name} {self.uid()}"
            s = f"{ID}partenariat/{slug(label)}"
            doc.resource(s, "Partnership", label, f"Partenariats de {commune.name}")
            for party in sorted(parties):
                doc.add(s, P["party"], iri(party))
                self.partners[party] += 1
            doc.add(s, P["nature"], concept("nature-partenariat", nature))
            if nature == "financement" and len(parties) == 2:
                provider, recipient = sorted(parties)
                doc.add(s, P["provider"], iri(provider))
                doc.add(s, P["recipient"], iri(recipient))
            year = rng.randint(2015, 2025)
            doc.add(s, P["pStartDate"], typed(str(year), XSD_GYEAR))
            if policies and rng.random() < 0.2:
                doc.add(s, P["relatedTo"], iri(rng.choice(policies)))
            elif events and rng.random() < 0.2:
                doc.add(s, P["relatedTo"], iri(rng.choice(events)))
            self.stats["partnerships"] += 1
        # Indicators about actors, policies and EPCI.
        while doc.count < budget:
            r = rng.random()
            if r < 0.6:
                subject = rng.choice(actors)[0]
            elif r < 0.85 and policies:
                subject = rng.choice(policies)
            elif epcis:
                subject = f"{ID}territoire/epci/{rng.choice(epcis)}"
            else:
                subject = rng.choice(actors)[0]
            measure, unit = rng.choice(MEASURES)
            year = rng.randint(2018, 2025)
            label = f"Indicateur {measure} {year} {self.uid()}"
            s = f"{ID}indicateur/{doc.number}-{slug(label)}"
            doc.resource(s, "Indicator", label, "Chiffres clés")
            doc.add(s, P["dataSet"], iri(f"{ID}jeu-de-donnees/indicateurs"))
            doc.add(s, P["value"], typed(str(rng.randint(1, 5000)), XSD_INTEGER))
            doc.add(s, P["unit"], concept("unite", unit))
            doc.add(s, P["measure"], concept("mesure", measure))
            doc.add(s, P["refPeriod"], typed(str(year), XSD_GYEAR))
            doc.add(s, P["subject"], iri(subject))
            self.indicated[subject] += 1
            doc.add(s, P["status"], concept("statut-indicateur", rng.choice(STATUSES)))
            self.stats["indicators"] += 1
        self.stats["documents"] += 1
        self._remember(code, actors, networks, policies, events, series)
        return doc

    def _remember(self, code, actors, networks, policies, events, series) -> None:
        """Parameters for the bench queries: taken from the most populous région."""
        if self.params.get("region_actors", 0) >= len(actors):
            return
        self.params.update(
            region=f"{ID}territoire/region/{code}",
            region_actors=len(actors),
            actor=max((a for a, _ in actors), key=lambda a: (self.partners[a], a)),
            network=networks[0] if networks else None,
            series=series,
            policy=policies[0] if policies else None,
            event=events[0] if events else None,
        )


def generate(scale: int, out_dir: Path, *, seed: int = 20251123,
             territories_dir: Path | None = None, ontology_dir: Path | None = None) -> dict:
    """Write the data files into out_dir/data and params.json; return a summary."""
    settings = Settings.load()
    check_concepts(ontology_dir or settings.ontology_dir)
    started = time.perf_counter()
    ref = read_reference(territories_dir or settings.territories_dir)
    data_dir = out_dir / "data"
    data_dir.mkdir(parents=True, exist_ok=True)
    for old in data_dir.glob("*.nq"):
        old.unlink()
    gen = Generator(ref, seed)
    by_region: dict[str, list[Commune]] = defaultdict(list)
    for c in ref.communes:
        by_region[ref.region_of_dept[c.departement]].append(c)
    regions = sorted(by_region)
    population = {r: sum(c.population for c in by_region[r]) for r in regions}
    total_population = sum(population.values())
    written = 0
    out: list[str] = []
    doc, national_networks = gen.national(out, max(5, scale // 20_000))
    written += _flush(out, data_dir / f"{doc.number}_bench-national.nq")
    for i, code in enumerate(regions, start=1):
        budget = max(200, round(scale * population[code] / total_population))
        doc = gen.region(NATIONAL + i, code, by_region[code], budget, national_networks, out)
        written += _flush(out, data_dir / f"{doc.number}_bench-region-{code}.nq")
        print(f"generate: région {code} {ref.regions[code]}: {doc.count} triples",
              file=sys.stderr)
    # The EPCI and commune with the most actors of the chosen région, for territory queries.
    params = dict(gen.params)
    params.update(_busiest(out_dir, params["region"]))
    params["indicator_subject"] = max(gen.indicated, key=lambda s: (gen.indicated[s], s))
    params["search"] = "ressourcerie de paris"
    params["theme"] = f"{CONCEPT}theme/reemploi"
    params["legal_form"] = f"{CONCEPT}forme-juridique/scop"
    params["nature"] = f"{CONCEPT}nature-partenariat/financement"
    params["year"] = "2024"
    summary = {"scale": scale, "seed": seed, "triples": written, "stats": dict(gen.stats),
               "seconds": round(time.perf_counter() - started, 1), "params": params}
    (out_dir / "params.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False))
    return summary


def _flush(out: list[str], path: Path) -> int:
    n = len(out)
    path.write_text("".join(out), encoding="utf-8")
    out.clear()
    return n


def _busiest(out_dir: Path, region: str) -> dict[str, str]:
    """The commune and EPCI of `region` with most located actors, read back from the files."""
    code = region.rsplit("/", 1)[-1]
    path = next((out_dir / "data").glob(f"*_bench-region-{code}.nq"))
    located = f"<{P['locatedIn']}>"
    communes: dict[str, int] = defaultdict(int)
    with path.open(encoding="utf-8") as f:
        for line in f:
            if located in line:
                communes[line.split(" ")[2][1:-1]] += 1
    commune = max(communes, key=lambda c: (communes[c], c))
    return {"commune": commune, "epci": _epci_of(commune)}


def _epci_of(commune_iri: str) -> str:
    settings = Settings.load()
    ref = territories.reference_quads(settings.territories_dir, only={commune_iri})
    for q in ref:
        if q.subject.value == commune_iri and q.predicate.value == P["within"] and (
                "/epci/" in q.object.value):
            return q.object.value
    raise SystemExit(f"generate: no EPCI for {commune_iri}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", choices=sorted(SCALES), default="100k",
                        help="triples of generated ESS data (the reference comes on top)")
    parser.add_argument("--out", type=Path, default=None,
                        help=f"output folder (default {DEFAULT_OUT}/<scale>)")
    parser.add_argument("--seed", type=int, default=20251123)
    args = parser.parse_args(argv)
    out_dir = args.out or DEFAULT_OUT / args.scale
    summary = generate(SCALES[args.scale], out_dir, seed=args.seed)
    print(json.dumps({k: v for k, v in summary.items() if k != "params"}))
    print(f"generate: {summary['triples']} triples in {out_dir / 'data'} "
          f"({summary['seconds']} s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
