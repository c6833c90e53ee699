"""Reference data written for this project (data/reference/*.yaml), loaded once per run."""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

from market_intel.settings import get_settings


@dataclass(frozen=True)
class City:
    name: str
    label: str  # "Toronto, Ontario, Canada"
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Subdivision:
    code: str  # ISO 3166-2, "CA-ON"
    name: str  # "Ontario"
    label: str  # "Ontario, Canada"
    abbrev: tuple[str, ...] = ()
    cities: tuple[City, ...] = ()


@dataclass(frozen=True)
class Country:
    code: str  # ISO 3166-1 alpha-2
    name: str
    currency: str  # ISO 4217
    locale: str
    aliases: tuple[str, ...] = ()
    subdivisions: tuple[Subdivision, ...] = ()


@dataclass(frozen=True)
class Role:
    role: str  # slug
    label: str  # "Machine Learning Engineer"
    family: str
    synthetic: bool = False
    aliases: tuple[str, ...] = ()
    keywords: tuple[tuple[str, ...], ...] = ()
    fields: tuple[str, ...] = ()  # a manager role's fields: "Head of <field>" maps here
    keyword_exceptions: tuple[str, ...] = ()  # phrases that stop this role's keyword rules: "business developer"


@dataclass(frozen=True)
class Seniority:
    name: str  # "Senior"
    prefix: str  # label prefix in role_label: "Senior"
    markers: tuple[str, ...] = ()


@dataclass(frozen=True)
class SkillEntry:
    skill: str
    kind: str  # "skill" | "certification"
    aliases: tuple[str, ...] = ()
    case_sensitive: bool = False
    ai: bool = False
    not_before: tuple[str, ...] = ()  # next words that make a match an ordinary word ("Go to")
    not_after: tuple[str, ...] = ()  # what comes just before a match that makes it another word ("you excel", "A/R")
    # the same two, only where the name is written in lower case ("freedom to excel", "excel at";
    # "not limited to Excel" keeps it)
    not_after_in_lower_case: tuple[str, ...] = ()
    not_before_in_lower_case: tuple[str, ...] = ()


@dataclass(frozen=True)
class Reference:
    countries: tuple[Country, ...]
    roles: tuple[Role, ...]
    catch_all: Role
    seniority_levels: tuple[Seniority, ...]
    skills: tuple[SkillEntry, ...]
    directory: Path = field(default=Path("."))
    seniority_exceptions: tuple[str, ...] = ()  # phrases whose words are not seniority markers
    # usual abbreviations of subdivisions that regions.yaml does not list (names from pycountry):
    # (("CA-PE", ("PEI", "P.E.I.")), ...)
    subdivision_abbrevs: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # cities the location parser knows beyond regions.yaml's subdivisions (not drawn by the synthetic
    # market): (subdivision code, City(name, label "", aliases)) pairs
    parse_only_cities: tuple[tuple[str, City], ...] = ()

    def country(self, code: str) -> Country | None:
        return next((c for c in self.countries if c.code == code), None)

    def seniority_prefix(self, name: str) -> str:
        return next((s.prefix for s in self.seniority_levels if s.name == name), name)

    def role_label(self, seniority: str | None, role_label: str) -> str:
        """'Senior' + 'Machine Learning Manager' -> 'Senior Machine Learning Manager'."""
        return role_label if not seniority else f"{self.seniority_prefix(seniority)} {role_label}"


def _tuple(values) -> tuple[str, ...]:
    return tuple(str(v) for v in (values or ()))


def _load_yaml(path: Path) -> dict:
    with path.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def _countries(doc: dict) -> tuple[Country, ...]:
    countries = []
    for c in doc["countries"]:
        subs = []
        for s in c.get("subdivisions", []):
            sub_label = f"{s['name']}, {c['name']}"
            cities = tuple(
                City(name=ct["name"], label=f"{ct['name']}, {sub_label}", aliases=_tuple(ct.get("aliases")))
                for ct in s.get("cities", [])
            )
            subs.append(Subdivision(code=s["code"], name=s["name"], label=sub_label,
                                    abbrev=_tuple(s.get("abbrev")), cities=cities))
        countries.append(Country(code=c["code"], name=c["name"], currency=c["currency"], locale=c["locale"],
                                 aliases=_tuple(c.get("aliases")), subdivisions=tuple(subs)))
    return tuple(countries)


def _role(entry: dict) -> Role:
    return Role(role=entry["role"], label=entry["label"], family=entry.get("family", "other"),
                synthetic=bool(entry.get("synthetic", False)), aliases=_tuple(entry.get("aliases")),
                keywords=tuple(tuple(k.split()) if isinstance(k, str) else _tuple(k)
                               for k in entry.get("keywords", []) or []),
                fields=_tuple(entry.get("fields")), keyword_exceptions=_tuple(entry.get("keyword_exceptions")))


@lru_cache(maxsize=8)
def load_reference(directory: Path | None = None) -> Reference:
    """Load roles, regions and skills from data/reference (cached per directory)."""
    directory = Path(directory or get_settings().reference_dir)
    roles_doc = _load_yaml(directory / "roles.yaml")
    skills_doc = _load_yaml(directory / "skills.yaml")
    for key in ("skills", "certifications"):
        for e in skills_doc.get(key, []) or []:
            for field_name in ("aliases", "not_before", "not_after", "not_after_in_lower_case", "not_before_in_lower_case"):
                if any(isinstance(v, bool) for v in e.get(field_name) or ()):
                    # YAML 1.1 reads unquoted on / no / yes / off as booleans: "on" had become "True"
                    raise ValueError(f"skills.yaml: {e['skill']}.{field_name} has a boolean; quote the word")
    skills = tuple(
        SkillEntry(skill=e["skill"], kind=kind, aliases=_tuple(e.get("aliases")),
                   case_sensitive=bool(e.get("case_sensitive", False)), ai=bool(e.get("ai", False)),
                   not_before=_tuple(e.get("not_before")), not_after=_tuple(e.get("not_after")),
                   not_after_in_lower_case=_tuple(e.get("not_after_in_lower_case")),
                   not_before_in_lower_case=_tuple(e.get("not_before_in_lower_case")))
        for kind, key in (("skill", "skills"), ("certification", "certifications"))
        for e in skills_doc.get(key, [])
    )
    regions_doc = _load_yaml(directory / "regions.yaml")
    return Reference(
        countries=_countries(regions_doc),
        roles=tuple(_role(r) for r in roles_doc["roles"]),
        catch_all=_role(roles_doc["catch_all"]),
        seniority_levels=tuple(Seniority(name=s["name"], prefix=s["prefix"], markers=_tuple(s.get("markers")))
                               for s in roles_doc["seniority_levels"]),
        skills=skills,
        directory=directory,
        seniority_exceptions=_tuple(roles_doc.get("seniority_exceptions")),
        subdivision_abbrevs=tuple((str(code), _tuple(names))
                                  for code, names in sorted((regions_doc.get("subdivision_abbrevs") or {}).items())),
        parse_only_cities=tuple(
            (str(code), City(name=str(e), label="") if not isinstance(e, dict)
             else City(name=str(e["name"]), label="", aliases=_tuple(e.get("aliases"))))
            for code, entries in sorted((regions_doc.get("parse_only_cities") or {}).items()) for e in entries),
    )
