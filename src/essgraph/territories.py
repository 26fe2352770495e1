"""The official territorial reference (npm `@etalab/decoupage-administratif`) as RDF quads.

Everything goes into the named graph `graph:territoires`, as `pyoxigraph.Quad` objects built
directly (no rdflib on this path: the whole reference is about half a million quads). IRIs
follow docs/MODEL.md. What the package does not say is not stated here either: no
population year (the package names neither the year nor, for Mayotte, the same census), no
invented names for authorities.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from pyoxigraph import Literal, NamedNode, Quad

from . import vocab
from .errors import ReferenceDataInvalid, ReferenceDataMissing

__all__ = [
    "REFERENCE_IRI",
    "package_version",
    "reference_iri",
    "reference_quads",
    "territories_used",
]

FILES = ("regions.json", "departements.json", "communes.json", "epci.json")
SETUP_HINT = "run the set-up (`make setup`, which runs `npm install`) to install it"

T = vocab.ID + "territoire/"
C = vocab.ID + "collectivite/"
COUNTRY = T + "pays/fr"

# Every IRI a data file may point at in the reference (territories_used).
USED_PREFIXES = tuple(
    T + kind + "/"
    for kind in (
        "commune",
        "commune-deleguee",
        "commune-associee",
        "arrondissement-municipal",
        "epci",
        "departement",
        "region",
    )
) + (C,)

# Package type -> (ess class, concept:type-epci/{code}). INSEE's COG counts the Métropole de
# Lyon (DGCL "MET69", a collectivité à statut particulier) among the métropoles.
EPCI_TYPES = {
    "METRO": ("Metropole", "metro"),
    "MET69": ("Metropole", "metro"),
    "CU": ("CommunauteUrbaine", "cu"),
    "CA": ("CommunauteAgglomeration", "ca"),
    "CC": ("CommunauteCommunes", "cc"),
}
SUB_COMMUNES = {
    "commune-deleguee": ("commune-deleguee", "CommuneDeleguee"),
    "commune-associee": ("commune-associee", "CommuneAssociee"),
    "arrondissement-municipal": ("arrondissement-municipal", "MunicipalArrondissement"),
}


# --------------------------------------------------------------------------- terms, built once


class _Terms:
    """NamedNodes of the predicates, classes and graph, built once per process."""

    def __init__(self) -> None:
        n = NamedNode
        self.graph = n(vocab.GRAPH_TERRITORIES)
        self.type = n(vocab.RDF + "type")
        self.pref_label = n(vocab.SKOS + "prefLabel")
        self.code_insee = n(vocab.IGEO + "codeINSEE")
        self.code_iso = n(vocab.IGEO + "codeISO")
        self.within = n(vocab.ESS + "directlyWithin")
        self.population = n(vocab.ESS + "population")
        self.postal_code = n(vocab.SCHEMA + "postalCode")
        self.epci_type = n(vocab.ESS + "epciType")
        self.siren = n(vocab.ESS + "siren")
        self.governs = n(vocab.ESS + "governs")
        self.derived = n(vocab.PROV + "wasDerivedFrom")
        self.title = n(vocab.DCT + "title")
        self.identifier = n(vocab.DCT + "identifier")
        self.license = n(vocab.DCT + "license")
        self.version_info = n(vocab.OWL + "versionInfo")
        self.dataset = n(vocab.DCAT + "Dataset")
        self.entity = n(vocab.PROV + "Entity")
        self.cls = {
            name: n(vocab.ESS + name)
            for name in (
                "Country",
                "Region",
                "Department",
                "Territory",
                "Commune",
                "CommuneDeleguee",
                "CommuneAssociee",
                "MunicipalArrondissement",
                "EPCI",
                "Metropole",
                "CommunauteUrbaine",
                "CommunauteAgglomeration",
                "CommunauteCommunes",
                "LocalAuthority",
            )
        }
        self.epci_concept = {
            code: n(f"{vocab.CONCEPT}type-epci/{code}") for _, code in EPCI_TYPES.values()
        }
        # The package's data are under the Licence Ouverte / Etalab 2.0 (its README:
        # "Données : Licence Ouverte", "Code : MIT"); the dataset node describes the data.
        self.data_license = n("https://spdx.org/licenses/etalab-2.0")


@lru_cache(maxsize=1)
def _terms() -> _Terms:
    return _Terms()


# --------------------------------------------------------------------------- reading the package


def package_version(territories_dir: Path) -> str:
    """The version in the package's package.json (the folder above `data/`)."""
    return _package_json(Path(territories_dir))["version"]


def reference_iri(territories_dir: Path) -> str:
    """essid:reference/decoupage-administratif-{version} for the package in this folder."""
    return f"{vocab.ID}reference/decoupage-administratif-{package_version(territories_dir)}"


REFERENCE_IRI: str  # provided by __getattr__ below


def __getattr__(name: str) -> str:
    # REFERENCE_IRI is read from the installed package on first use, not at import time, so
    # that importing essgraph works before `npm install` has run.
    if name == "REFERENCE_IRI":
        return _default_reference_iri()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@lru_cache(maxsize=1)
def _default_reference_iri() -> str:
    from .config import Settings

    return reference_iri(Settings.load().territories_dir)


def _package_json(territories_dir: Path) -> dict[str, Any]:
    path = territories_dir.parent / "package.json"
    data = _read_json(path)
    if not isinstance(data, dict) or not isinstance(data.get("version"), str):
        raise ReferenceDataInvalid("package.json has no version string", where=str(path))
    return data


def _read_json(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as e:
        raise ReferenceDataMissing(
            f"the official territorial reference is missing ({path.name} not found): " + SETUP_HINT,
            where=str(path),
        ) from e
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise ReferenceDataInvalid(
            f"{path.name} is not valid JSON ({e.msg}); reinstall it: " + SETUP_HINT,
            where=f"{path}:{e.lineno}:{e.colno}",
        ) from e


@dataclass
class _Commune:
    code: str
    name: str
    kind: str
    departement: str
    parent: str | None
    siren: str | None
    population: int | None
    postal_codes: list[str]


@dataclass
class _Epci:
    siren: str
    name: str
    kind: str
    population: int | None
    members: list[str]


@dataclass
class _Reference:
    version: str
    identifier: str
    regions: list[tuple[str, str]] = field(default_factory=list)  # code, name
    departements: list[tuple[str, str, str | None]] = field(default_factory=list)  # +region
    communes: list[_Commune] = field(default_factory=list)
    epcis: list[_Epci] = field(default_factory=list)


def _records(territories_dir: Path, name: str) -> list[dict[str, Any]]:
    path = territories_dir / name
    data = _read_json(path)
    if not isinstance(data, list):
        raise ReferenceDataInvalid(f"{name} should hold a JSON array", where=str(path))
    return data


def _load(territories_dir: Path) -> _Reference:
    territories_dir = Path(territories_dir)
    if not territories_dir.is_dir():
        raise ReferenceDataMissing(
            f"the official territorial reference is missing ({territories_dir} is not a "
            "folder): " + SETUP_HINT,
            where=str(territories_dir),
        )
    package = _package_json(territories_dir)
    name = package.get("name", "@etalab/decoupage-administratif")
    ref = _Reference(version=package["version"], identifier=f"{name}@{package['version']}")
    for file in FILES:
        path = territories_dir / file
        records = _records(territories_dir, file)
        record: Any = None
        try:
            for record in records:
                _read_record(ref, file, record)
        except (KeyError, TypeError, ValueError, AttributeError) as e:
            code = record.get("code") if isinstance(record, dict) else None
            raise ReferenceDataInvalid(
                f"{file}: unexpected record {code or record!r} ({type(e).__name__}: {e})",
                where=str(path),
            ) from e
    return ref


def _read_record(ref: _Reference, file: str, r: dict[str, Any]) -> None:
    if file == "regions.json":
        # The package lists each collectivité d'outre-mer (zone "com") as its own région
        # and département; a COM is neither, so only its "département" record is kept.
        if r.get("zone") != "com":
            ref.regions.append((str(r["code"]), str(r["nom"])))
    elif file == "departements.json":
        region = None if r.get("zone") == "com" else str(r["region"])
        ref.departements.append((str(r["code"]), str(r["nom"]), region))
    elif file == "communes.json":
        kind = r["type"]
        if kind != "commune-actuelle" and kind not in SUB_COMMUNES:
            raise ValueError(f"unknown commune type {kind!r}")
        population = r.get("population")
        ref.communes.append(
            _Commune(
                code=str(r["code"]),
                name=str(r["nom"]),
                kind=kind,
                departement=str(r["departement"]),
                # communes déléguées/associées name their commune in chefLieu,
                # arrondissements municipaux in commune.
                parent=r.get("chefLieu") or r.get("commune"),
                siren=r.get("siren"),
                population=None if population is None else int(population),
                postal_codes=[str(p) for p in r.get("codesPostaux") or ()],
            )
        )
    else:
        if r["type"] not in EPCI_TYPES:
            raise ValueError(f"unknown EPCI type {r['type']!r}")
        # populationMunicipale, the same measure as the communes' `population` (the
        # package's build takes INSEE's PMUN), rather than populationTotale.
        population = r.get("populationMunicipale")
        ref.epcis.append(
            _Epci(
                siren=str(r["code"]),
                name=str(r["nom"]),
                kind=r["type"],
                population=None if population is None else int(population),
                members=[str(m["code"]) for m in r["membres"]],
            )
        )


# --------------------------------------------------------------------------- containment


def _containers(ref: _Reference) -> dict[str, list[str]]:
    """IRI -> the IRIs it needs: the territories that directly contain it, and for an
    authority the territory it governs. The closure of `only` follows these edges."""
    up: dict[str, list[str]] = {}
    for code, _ in ref.regions:
        up[T + "region/" + code] = [COUNTRY]
        up[C + "region/" + code] = [T + "region/" + code]
    for code, _, region in ref.departements:
        up[T + "departement/" + code] = [T + "region/" + region] if region else [COUNTRY]
        if region:
            up[C + "departement/" + code] = [T + "departement/" + code]
    epci_of = _epci_of_commune(ref)
    epci_up = _epci_containers(ref)
    for e in ref.epcis:
        up[T + "epci/" + e.siren] = epci_up[e.siren]
        up[C + "epci/" + e.siren] = [T + "epci/" + e.siren]
    for c in ref.communes:
        up[_commune_iri(c)] = _commune_containers(c, epci_of)
        if c.kind == "commune-actuelle" and c.siren:
            up[C + "commune/" + c.code] = [T + "commune/" + c.code]
    up[COUNTRY] = []
    return up


def _closure(only: set[str], up: dict[str, list[str]]) -> set[str]:
    keep: set[str] = set()
    todo = [iri for iri in only if iri in up]
    while todo:
        iri = todo.pop()
        if iri not in keep:
            keep.add(iri)
            todo.extend(up[iri])
    return keep


def _epci_of_commune(ref: _Reference) -> dict[str, str]:
    return {member: e.siren for e in ref.epcis for member in e.members}


def _epci_containers(ref: _Reference) -> dict[str, list[str]]:
    """SIREN -> the smallest official territory holding every member commune of the EPCI.

    Not a fact of the package but one computed from it: an EPCI whose members all lie in
    one département is within it; one that spans départements of a single région is within
    the région; otherwise only within France. So a query on a région or on France reaches
    what is said of an EPCI, and never of an EPCI that merely touches it.
    """
    dept_of = {c.code: c.departement for c in ref.communes if c.kind == "commune-actuelle"}
    region_of = {code: region for code, _, region in ref.departements}
    out: dict[str, list[str]] = {}
    for e in ref.epcis:
        depts = {dept_of[m] for m in e.members if m in dept_of}
        regions = {region_of.get(d) for d in depts}
        if len(depts) == 1:
            out[e.siren] = [T + "departement/" + depts.pop()]
        elif len(regions) == 1 and None not in regions:
            out[e.siren] = [T + "region/" + regions.pop()]
        else:
            out[e.siren] = [COUNTRY]
    return out


def _commune_iri(c: _Commune) -> str:
    path = "commune" if c.kind == "commune-actuelle" else SUB_COMMUNES[c.kind][0]
    return f"{T}{path}/{c.code}"


def _commune_containers(c: _Commune, epci_of: dict[str, str]) -> list[str]:
    if c.kind == "commune-actuelle":
        out = [T + "departement/" + c.departement]
        if c.code in epci_of:
            out.append(T + "epci/" + epci_of[c.code])
        return out
    if c.parent:
        return [T + "commune/" + c.parent]
    return [T + "departement/" + c.departement]


# --------------------------------------------------------------------------- quads


def reference_quads(territories_dir: Path, *, only: set[str] | None = None) -> Iterator[Quad]:
    """The official reference as quads in graph:territoires.

    `only` (IRIs, as strings) keeps the listed territories and authorities, everything that
    contains them (commune -> département -> région -> pays, commune -> EPCI), the territory
    a listed authority governs, and the reference dataset node. IRIs the package does not
    know are ignored. Raises ReferenceDataMissing / ReferenceDataInvalid before yielding.
    """
    ref = _load(territories_dir)
    keep = None if only is None else _closure(set(only), _containers(ref))
    return _emit(ref, keep)


def _emit(ref: _Reference, keep: set[str] | None) -> Iterator[Quad]:
    t = _terms()
    g = t.graph
    source = NamedNode(f"{vocab.ID}reference/decoupage-administratif-{ref.version}")
    nodes: dict[str, NamedNode] = {}

    def node(iri: str) -> NamedNode:
        n = nodes.get(iri)
        if n is None:
            n = nodes[iri] = NamedNode(iri)
        return n

    def wanted(iri: str) -> bool:
        return keep is None or iri in keep

    def territory(iri: str, cls: NamedNode, name: str, code: str | None) -> Iterator[Quad]:
        s = node(iri)
        yield Quad(s, t.type, cls, g)
        yield Quad(s, t.pref_label, Literal(name, language="fr"), g)
        if code is not None:
            yield Quad(s, t.code_insee, Literal(code), g)
        yield Quad(s, t.derived, source, g)

    def authority(iri: str, name: str, siren: str | None, governs: str) -> Iterator[Quad]:
        s = node(iri)
        yield Quad(s, t.type, t.cls["LocalAuthority"], g)
        yield Quad(s, t.pref_label, Literal(name, language="fr"), g)
        if siren:
            yield Quad(s, t.siren, Literal(siren), g)
        yield Quad(s, t.governs, node(governs), g)
        yield Quad(s, t.derived, source, g)

    def within(iri: str, containers: Iterable[str]) -> Iterator[Quad]:
        s = node(iri)
        for c in containers:
            yield Quad(s, t.within, node(c), g)

    # The reference dataset itself.
    yield Quad(source, t.type, t.dataset, g)
    yield Quad(source, t.type, t.entity, g)
    yield Quad(source, t.title, Literal("Découpage administratif (COG)", language="fr"), g)
    yield Quad(source, t.version_info, Literal(ref.version), g)
    yield Quad(source, t.identifier, Literal(ref.identifier), g)
    yield Quad(source, t.license, t.data_license, g)

    if wanted(COUNTRY):
        fr = node(COUNTRY)
        yield Quad(fr, t.type, t.cls["Country"], g)
        yield Quad(fr, t.pref_label, Literal("France", language="fr"), g)
        yield Quad(fr, t.pref_label, Literal("France", language="en"), g)
        yield Quad(fr, t.code_iso, Literal("FR"), g)
        yield Quad(fr, t.derived, source, g)

    for code, name in ref.regions:
        iri = T + "region/" + code
        if wanted(iri):
            yield from territory(iri, t.cls["Region"], name, code)
            yield from within(iri, (COUNTRY,))

    for code, name, region in ref.departements:
        iri = T + "departement/" + code
        if wanted(iri):
            # A collectivité d'outre-mer has no région: a plain ess:Territory in France.
            cls = t.cls["Department"] if region else t.cls["Territory"]
            yield from territory(iri, cls, name, code)
            yield from within(iri, (T + "region/" + region,) if region else (COUNTRY,))

    epci_up = _epci_containers(ref)
    for e in ref.epcis:
        iri = T + "epci/" + e.siren
        if wanted(iri):
            cls_name, concept = EPCI_TYPES[e.kind]
            yield from territory(iri, t.cls["EPCI"], e.name, e.siren)
            yield from within(iri, epci_up[e.siren])
            s = node(iri)
            yield Quad(s, t.type, t.cls[cls_name], g)
            yield Quad(s, t.epci_type, t.epci_concept[concept], g)
            if e.population is not None:
                yield Quad(s, t.population, Literal(e.population), g)
        if wanted(C + "epci/" + e.siren):
            yield from authority(C + "epci/" + e.siren, e.name, e.siren, iri)

    epci_of = _epci_of_commune(ref)
    for c in ref.communes:
        iri = _commune_iri(c)
        if wanted(iri):
            cls = "Commune" if c.kind == "commune-actuelle" else SUB_COMMUNES[c.kind][1]
            yield from territory(iri, t.cls[cls], c.name, c.code)
            yield from within(iri, _commune_containers(c, epci_of))
            s = node(iri)
            if c.population is not None:
                yield Quad(s, t.population, Literal(c.population), g)
            for postal_code in c.postal_codes:
                yield Quad(s, t.postal_code, Literal(postal_code), g)
        # Only communes the package gives a SIREN get an authority: the 94 communes of the
        # collectivités d'outre-mer have none (and some, like the TAAF districts, none exists).
        if c.kind == "commune-actuelle" and c.siren and wanted(C + "commune/" + c.code):
            yield from authority(C + "commune/" + c.code, c.name, c.siren, iri)


# --------------------------------------------------------------------------- data -> reference


def territories_used(quads: Iterable[Any]) -> set[str]:
    """Every reference territory or authority IRI (essid:territoire/{commune, ..., region}/…,
    essid:collectivite/…) that these quads (or triples) mention as subject or object."""
    used: set[str] = set()
    for q in quads:
        for term in (q.subject, q.object):
            if isinstance(term, NamedNode):
                value = term.value
                if value.startswith(USED_PREFIXES):
                    used.add(value)
    return used
