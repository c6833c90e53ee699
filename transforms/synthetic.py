"""The embedded synthetic market: seeded raw salary reports and job postings, their source specs
and the ground truth the pipeline is checked against.

Why: `make run` must work offline on data whose true medians, skill premiums and growth rates are
known, so that every published number can be compared with the value it should recover.

Layout written by `generate_market(rows, seed, out)` (same rows + seed -> byte-identical files):

- `raw/salary_reports/part-NNNN.csv`  survey rows (no id): job_title, experience_level (EN/MI/SE/LD),
  salary, salary_currency, pay_period (year/month/hour, a few "yearly"/"annual"/"monthly"/"hourly"),
  location (free text), work_year, skills and certifications (";"-separated, aliases, messy case).
- `raw/board_a/part-NNNN.jsonl`, `raw/board_b/part-NNNN.jsonl`  postings: posting_id, title,
  company, location, salary (free text range in the country's currency), posted_at (ISO date),
  description (free text naming skills and certifications, aliases included). About 5 % of
  board_b rows are cross-posts of board_a rows (same company, title, location and salary text,
  posted 0-5 days later in the same year, another posting_id).
- `sources/{salary_reports,board_a,board_b}.yaml`  specs in the contract's format.
- `truth/truth.json`  seed, rows, years, every model parameter, injected junk / outlier /
  duplicate counts, rows per source.
- `truth/cell_medians.parquet`  population median of clean annual local pay per role_label x
  region x year (generated years and the next one).
- `truth/premiums.parquet`  true skill and certification effects.
- `truth/records/part-NNNN.parquet`  (extra) one row per raw data row with its latent values and
  status (clean / junk / outlier / duplicate), for tests that check parsers row by row.

The model (log annual pay in the country's currency), one draw per genuine data row:
    country level + role effect + seniority effect + city effect
    + growth[role, country] * (year - first year) + shock[role, country, year]
    + sum_k beta_k * has_k + eps,   eps ~ N(0, SIGMA^2)
Role, seniority (given role), city (with its country) and year are drawn independently; skills
are independent Bernoulli draws whose prevalence depends on the role (and for AI skills on the
year), so raw with/without comparisons are confounded by role.

Truth medians are medians of the population distribution (a mixture of lognormals), not of the
sample: each role's skill effect distribution is an exact discrete convolution, the mixture is
laid on a fine grid of log pay (step 0.002) and convolved with the normal, and the median is read
off the cumulative sum (error far below 0.1 %). For the year after the last generated one the
trend is extended with that year's own shock (drawn from a separate seeded stream, so it is what
the market "will do", unknown to any model fitted on the generated years) and the AI-skill
prevalence trend is extended (capped at 95 %).

Everything is vectorised: draws with numpy, strings with Polars expressions over columns (and
lookups into small tables of distinct strings). Rows are produced in chunks of `chunk_rows`, each
from its own seed (seed, chunk index), so memory stays bounded and every chunk is reproducible.
"""
from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa
import yaml
from scipy.signal import fftconvolve
from scipy.special import ndtr

from transforms.fx import yearly_fx
from transforms.reference import City, Country, Reference, Role, SkillEntry, Subdivision, load_reference

# ----------------------------------------------------------------------------------------------
# Market parameters (documented here, copied into truth.json)
# ----------------------------------------------------------------------------------------------
# Residual log-pay spread within the narrowest cell (one role x seniority x city x year x skill
# set). The spread of a published cell is wider: it mixes seniorities, cities, skills and roles.
SIGMA = 0.15
SHOCK_SD = 0.005
GROWTH_NOISE_PCT = 0.5
GRID_STEP = 0.002  # log pay grid of the truth computation
BETA_UNIT = 0.01  # every beta is a multiple of this (exact discrete convolution)

SOURCES = ("salary_reports", "board_a", "board_b")
SOURCE_SHARES = {"salary_reports": 0.40, "board_a": 0.35, "board_b": 0.25}
CROSS_POST_SHARE = 0.05  # of board_b rows

SENIORITIES = ("Junior", "Mid", "Senior", "Lead")
SENIORITY_CODES = ("EN", "MI", "SE", "LD")
SENIORITY_EFFECTS = (-0.35, 0.0, 0.25, 0.45)
SENIORITY_WEIGHTS = (0.20, 0.33, 0.30, 0.17)
MANAGER_SENIORITY_WEIGHTS = (0.05, 0.25, 0.40, 0.30)

# role slug -> (log effect relative to Machine Learning Engineer, sampling weight)
ROLE_PARAMS = {
    "data_scientist": (-0.05, 0.12), "data_engineer": (-0.05, 0.11), "data_analyst": (-0.45, 0.10),
    "machine_learning_engineer": (0.0, 0.12), "machine_learning_manager": (0.20, 0.10),
    "machine_learning_scientist": (0.05, 0.05), "mlops_engineer": (-0.05, 0.06), "ai_engineer": (0.02, 0.07),
    "software_engineer": (-0.08, 0.10), "analytics_engineer": (-0.20, 0.05), "data_architect": (0.05, 0.04),
    "data_science_manager": (0.15, 0.04), "research_scientist": (0.08, 0.04),
}
DEFAULT_ROLE_PARAMS = (0.0, 0.04)
FAMILY_GROWTH_PCT = {"machine_learning": 1.0, "research": 0.5, "analytics": -1.0, "software": -0.5}
ROLE_GROWTH_PCT = {"ai_engineer": 2.0}

# country code -> (exp of the country level: annual pay of a Mid ML engineer with no skills in a
#                  city of effect 0 in the first year, local currency; sampling weight; base growth
#                  %/yr). With a typical ML skill set the first-year median is ~1.35x this (US ~165k).
COUNTRY_PARAMS = {
    "US": (120_000, 0.44, 3.5), "CA": (92_000, 0.20, 3.0), "GB": (58_000, 0.10, 2.5),
    "DE": (54_000, 0.07, 2.5), "FR": (44_000, 0.04, 2.0), "IN": (1_600_000, 0.09, 6.0),
    "AU": (108_000, 0.06, 3.0),
}
DEFAULT_COUNTRY_PARAMS = (75_000, 0.02, 3.0)

# city name -> (relative weight within its country, log effect)
CITY_PARAMS = {
    "Toronto": (0.38, 0.03), "Ottawa": (0.07, -0.01), "Waterloo": (0.07, 0.0), "Vancouver": (0.18, 0.04),
    "Montréal": (0.13, -0.06), "Calgary": (0.07, 0.0), "Edmonton": (0.04, -0.04), "Halifax": (0.03, -0.10),
    "Winnipeg": (0.03, -0.10),
    "San Francisco": (0.16, 0.15), "Los Angeles": (0.07, 0.02), "San Jose": (0.07, 0.13),
    "San Diego": (0.04, -0.02), "New York": (0.16, 0.10), "Seattle": (0.12, 0.08), "Redmond": (0.04, 0.07),
    "Austin": (0.07, -0.03), "Dallas": (0.04, -0.06), "Houston": (0.03, -0.07), "Boston": (0.08, 0.04),
    "Cambridge": (0.03, 0.05), "Chicago": (0.07, -0.04),
    "London": (0.60, 0.10), "Manchester": (0.12, -0.08), "Cambridge UK": (0.10, 0.0), "Edinburgh": (0.10, -0.06),
    "Glasgow": (0.08, -0.10),
    "Berlin": (0.55, 0.0), "Munich": (0.45, 0.06), "Paris": (1.0, 0.0),
    "Bengaluru": (0.45, 0.06), "Mumbai": (0.20, 0.0), "Pune": (0.15, -0.06), "Hyderabad": (0.20, -0.02),
    "Sydney": (0.60, 0.03), "Melbourne": (0.40, -0.02),
}
DEFAULT_CITY_PARAMS = (0.05, 0.0)
BARE_CITY_NAMES = frozenset({
    "Toronto", "Vancouver", "Montréal", "Montreal", "Calgary", "Edmonton", "Winnipeg", "San Francisco", "Seattle",
    "Chicago", "Boston", "London", "Manchester", "Edinburgh", "Glasgow", "Munich", "Paris", "Bengaluru",
    "Bangalore", "Mumbai", "Pune", "Hyderabad", "Sydney", "Melbourne",
})
COUNTRY_SHORT = {"US": "USA", "GB": "UK", "CA": "Canada", "DE": "Germany", "FR": "France", "IN": "India",
                 "AU": "Australia"}
ABBREV_COUNTRIES = frozenset({"US", "CA", "AU"})  # "Toronto, ON", "San Francisco, CA", "Sydney, NSW"
CITY_VISIBLE_SHARE = 0.88  # the rest name only the country ("Canada", "Remote - Canada", "US")

YEAR_WEIGHT_STEP = 0.15  # weight of year i = 1 + 0.15 i
AI_PREVALENCE_START = 0.35  # AI-skill prevalence multiplier in the first year, 1.0 in the last

SKILL_BETAS = {
    "Python": 0.05, "SQL": 0.0, "R": 0.0, "Spark": 0.06, "AWS": 0.04, "Azure": 0.02, "GCP": 0.03,
    "PyTorch": 0.08, "TensorFlow": 0.03, "Kubernetes": 0.05, "Docker": 0.02, "Airflow": 0.03, "dbt": 0.02,
    "Tableau": 0.01, "Power BI": 0.0, "Excel": -0.03, "Java": 0.02, "Scala": 0.04, "Go": 0.04, "LLM": 0.10,
    "Generative AI": 0.04, "LangChain": 0.03, "Hugging Face": 0.03, "Snowflake": 0.03, "Databricks": 0.04,
    "AWS Machine Learning Specialty": 0.07, "AWS Solutions Architect": 0.03,
    "Google Professional ML Engineer": 0.06, "Azure Data Scientist Associate": 0.02,
    "Certified Kubernetes Administrator": 0.04, "PMP": 0.03, "Databricks Certified Data Engineer": 0.03,
}

FAMILIES = ("machine_learning", "data_science", "data_engineering", "analytics", "software", "research")
# skill -> prevalence per family, in FAMILIES order
FAMILY_PREVALENCE = {
    "Python": (0.90, 0.85, 0.75, 0.35, 0.45, 0.85), "SQL": (0.45, 0.70, 0.85, 0.85, 0.40, 0.20),
    "R": (0.05, 0.30, 0.03, 0.20, 0.02, 0.15), "Spark": (0.30, 0.30, 0.65, 0.10, 0.10, 0.10),
    "AWS": (0.45, 0.30, 0.50, 0.10, 0.45, 0.20), "Azure": (0.20, 0.20, 0.30, 0.15, 0.25, 0.05),
    "GCP": (0.20, 0.15, 0.25, 0.05, 0.20, 0.15), "PyTorch": (0.70, 0.30, 0.03, 0.05, 0.08, 0.75),
    "TensorFlow": (0.40, 0.25, 0.03, 0.03, 0.06, 0.40), "Kubernetes": (0.35, 0.05, 0.30, 0.02, 0.40, 0.08),
    "Docker": (0.45, 0.15, 0.45, 0.05, 0.55, 0.20), "Airflow": (0.20, 0.10, 0.55, 0.20, 0.10, 0.02),
    "dbt": (0.03, 0.08, 0.35, 0.45, 0.03, 0.01), "Tableau": (0.03, 0.25, 0.10, 0.50, 0.02, 0.02),
    "Power BI": (0.02, 0.15, 0.10, 0.45, 0.02, 0.01), "Excel": (0.05, 0.25, 0.10, 0.75, 0.05, 0.05),
    "Java": (0.15, 0.05, 0.30, 0.02, 0.50, 0.05), "Scala": (0.08, 0.03, 0.30, 0.01, 0.15, 0.03),
    "Go": (0.05, 0.01, 0.08, 0.01, 0.25, 0.02), "LLM": (0.45, 0.25, 0.05, 0.05, 0.15, 0.50),
    "Generative AI": (0.35, 0.20, 0.05, 0.08, 0.15, 0.35), "LangChain": (0.20, 0.08, 0.02, 0.01, 0.08, 0.10),
    "Hugging Face": (0.30, 0.12, 0.02, 0.01, 0.05, 0.40), "Snowflake": (0.05, 0.15, 0.45, 0.30, 0.05, 0.01),
    "Databricks": (0.15, 0.20, 0.40, 0.10, 0.03, 0.03),
    "AWS Machine Learning Specialty": (0.15, 0.06, 0.03, 0.01, 0.02, 0.03),
    "AWS Solutions Architect": (0.08, 0.03, 0.12, 0.01, 0.15, 0.01),
    "Google Professional ML Engineer": (0.12, 0.06, 0.02, 0.01, 0.02, 0.03),
    "Azure Data Scientist Associate": (0.05, 0.10, 0.03, 0.03, 0.01, 0.01),
    "Certified Kubernetes Administrator": (0.06, 0.01, 0.05, 0.005, 0.08, 0.01),
    "PMP": (0.03, 0.03, 0.03, 0.06, 0.04, 0.01),
    "Databricks Certified Data Engineer": (0.02, 0.03, 0.15, 0.03, 0.005, 0.005),
}
DEFAULT_PREVALENCE = 0.03
ROLE_PREVALENCE = {
    "machine_learning_manager": {"PMP": 0.25},
    "data_science_manager": {"PMP": 0.20},
    "analytics_engineer": {"dbt": 0.80, "Snowflake": 0.50},
    "ai_engineer": {"LLM": 0.85, "Generative AI": 0.70, "LangChain": 0.50},
    "mlops_engineer": {"Kubernetes": 0.75, "Docker": 0.80, "Certified Kubernetes Administrator": 0.20},
}

PAY_PERIOD_SHARES = {"year": 0.86, "month": 0.07, "hour": 0.07}
PERIOD_WORDS = {"year": ("year", "year", "year", "year", "yearly", "annual"),
                "month": ("month", "month", "monthly"), "hour": ("hour", "hour", "hourly")}
ANNUALISATION = {"year": 1.0, "month": 12.0, "hour": 2080.0}
FOREIGN_CURRENCY = {"CA": ("USD", 0.05), "IN": ("USD", 0.04), "GB": ("USD", 0.02), "AU": ("USD", 0.02)}
HOURLY_POSTING_SHARE = 0.04
HOURLY_POSTING_COUNTRIES = frozenset({"US", "CA", "GB", "AU"})
DOLLAR_COUNTRIES = frozenset({"US", "CA", "AU"})

# junk kinds per source (share of that source's rows); every kind makes a row unusable
JUNK_RATES = {
    "salary_reports": {"missing_title": 0.002, "non_numeric_pay": 0.002, "non_positive_pay": 0.002,
                       "unknown_currency": 0.002, "future_year": 0.002},
    "board_a": {"missing_title": 0.002, "non_numeric_pay": 0.003, "non_positive_pay": 0.0015,
                "unknown_currency": 0.0015, "remote_no_country": 0.003, "future_date": 0.0015,
                "malformed_date": 0.002},
}
JUNK_RATES["board_b"] = dict(JUNK_RATES["board_a"])
OUTLIER_RATE = 0.003
OUTLIER_KINDS = {"salary_reports": ("pay_times_10", "pay_divided_by_10", "hourly_in_annual_column"),
                 "board_a": ("pay_times_10", "pay_divided_by_10"),
                 "board_b": ("pay_times_10", "pay_divided_by_10")}
FUTURE_YEAR_OFFSET = 5
NON_NUMERIC_PAY = ("competitive", "Competitive", "DOE", "Negotiable", "N/A")
NON_NUMERIC_POSTING_PAY = ("Competitive", "Competitive salary", "Depends on experience", "Negotiable",
                           "Not disclosed")
MALFORMED_DATES = ("2024-13-45", "31/02/2023", "last week", "N/A", "2023-00-10", "soon")

# title mess: (prefix, suffix, carries a seniority marker) per seniority, in SENIORITIES order
TITLE_SENIORITY_FORMS = (
    (("Junior ", "", True), ("Jr. ", "", True), ("Entry Level ", "", True)),
    (("", "", False), ("", " II", True), ("Intermediate ", "", True)),
    (("Senior ", "", True), ("Sr. ", "", True), ("Sr ", "", True), ("", " III", True)),
    (("Lead ", "", True), ("Staff ", "", True), ("Principal ", "", True)),
)
# role name variants used in titles; only those that are aliases of the role in roles.yaml are used
TITLE_ALIASES = {
    "data_scientist": ("Applied Data Scientist", "Decision Scientist"),
    "data_engineer": ("Big Data Engineer", "ETL Developer", "Data Platform Engineer"),
    "data_analyst": ("Business Data Analyst", "Insights Analyst"),
    "machine_learning_engineer": ("ML Engineer", "Machine Learning Developer", "Deep Learning Engineer"),
    "machine_learning_manager": ("ML Manager", "ML Engineering Manager", "Machine Learning Engineering Manager"),
    "machine_learning_scientist": ("ML Scientist", "Machine Learning Researcher"),
    "mlops_engineer": ("ML Ops Engineer", "ML Platform Engineer", "Machine Learning Platform Engineer"),
    "ai_engineer": ("Artificial Intelligence Engineer", "GenAI Engineer", "LLM Engineer"),
    "software_engineer": ("Software Developer", "Backend Engineer", "Full Stack Developer"),
    "analytics_engineer": ("Analytics Developer", "Data Analytics Engineer"),
    "data_architect": ("Data Solutions Architect", "Big Data Architect"),
    "data_science_manager": ("Data Scientist Manager", "Manager of Data Science"),
    "research_scientist": ("AI Research Scientist", "Applied Research Scientist"),
}
TITLE_EXTRA_SUFFIXES = ("", "", "", "", "", "", "", "", " - Remote", " - Hybrid", " (NLP)", " (Fintech)")

COMPANY_WORDS = ("Northwind", "Maple", "Harbor", "Summit", "Cedar", "Granite", "Aurora", "Silver", "Orchid",
                 "Lumen", "Vertex", "Quantum", "Nimbus", "Atlas", "Beacon", "Cobalt", "Evergreen", "Falcon",
                 "Helix", "Juniper", "Kestrel", "Lattice", "Meridian", "Nova", "Onyx", "Pinnacle", "Quill",
                 "Redwood", "Sierra", "Tidal", "Vantage", "Willow", "Zenith", "Birch", "Coral", "Fjord")
COMPANY_NOUNS = ("Analytics", "Labs", "Systems", "Health", "Bank", "Robotics", "Insights", "Logistics", "Energy",
                 "Retail", "Media", "Software", "Capital", "Dynamics", "Networks", "Bio")
COMPANY_SUFFIXES = ("", " Inc.", " Ltd", "", " Group", " Technologies")

# descriptions never repeat the title: title suffixes such as "(NLP)" would read as skills
DESCRIPTION_INTROS = ("{c} is hiring.", "Join {c}.", "{c} is growing its team.", "About the role at {c}:")
DESCRIPTION_SKILL_FORMS = ("Experience with {s} required.", "Tech stack: {s}.", "You know {s}.",
                           "Must have hands-on experience with {s}.")
DESCRIPTION_CERT_FORMS = ("{s} preferred.", "Nice to have: {s}.", "Certifications: {s}.")
DESCRIPTION_OUTROS = ("We offer flexible hours and a learning budget.", "Hybrid work and great benefits.",
                      "Competitive pay, health cover and a yearly bonus.", "Apply today.", "",
                      "We value curiosity and kindness.")

# pay-text styles: (prefix, before low, before high, after each amount, range separator, number
# format, period text); formats: K "120K", k "70k", comma "120,000", dot "60.000", lakh
# "25,00,000", cents "55.50" (hourly)
PAY_STYLES_ANNUAL = {
    "US": ((3, "", "$", "$", "", "-", "K", ""), (3, "", "$", "$", "", " - ", "comma", " a year"),
           (1, "Employer Provided Salary:", "$", "$", "", "-", "K", ""),
           (1, "", "USD ", "", "", " - ", "comma", " per year")),
    "CA": ((3, "", "CA$", "CA$", "", " - ", "comma", " a year"), (2, "", "$", "$", "", "-", "K", ""),
           (1, "", "C$", "C$", "", "–", "comma", ""), (1, "", "CAD ", "", "", " - ", "comma", " per year")),
    "GB": ((3, "", "£", "£", "", "-", "k", ""), (2, "", "£", "£", "", " - ", "comma", " per annum"),
           (1, "", "GBP ", "", "", "-", "comma", "")),
    "DE": ((3, "", "€", "€", "", "–", "dot", ""), (2, "", "", "", " €", " - ", "dot", ""),
           (1, "", "EUR ", "", "", " - ", "comma", " per year")),
    "FR": ((3, "", "€", "€", "", "–", "dot", ""), (2, "", "", "", " €", " - ", "dot", ""),
           (1, "", "EUR ", "", "", " - ", "comma", " per year")),
    "IN": ((3, "", "₹", "₹", "", " - ", "lakh", " per annum"), (1, "", "INR ", "", "", " - ", "comma", " a year")),
    "AU": ((2, "", "A$", "A$", "", " - ", "comma", ""), (2, "", "$", "$", "", "-", "K", ""),
           (1, "", "AUD ", "", "", " - ", "comma", " a year")),
}
PAY_STYLES_HOURLY = {
    "US": ((1, "", "$", "$", "", " - ", "cents", " an hour"),),
    "CA": ((1, "", "$", "$", "", " - ", "cents", " an hour"), (1, "", "CA$", "CA$", "", " - ", "cents", " an hour")),
    "GB": ((1, "", "£", "£", "", " - ", "cents", " an hour"),),
    "AU": ((1, "", "$", "$", "", " - ", "cents", " an hour"),),
}
PAY_FORMATS = ("K", "k", "comma", "dot", "lakh", "cents")


# ----------------------------------------------------------------------------------------------
# The market (parameters drawn once per seed)
# ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CityInfo:
    country: Country
    subdivision: Subdivision
    city: City


@dataclass(frozen=True)
class Market:
    """All parameters of one seeded market, as arrays indexed by role/seniority/city/country/year."""

    seed: int
    years: tuple[int, ...]  # generated years
    next_year: int
    roles: tuple[Role, ...]
    role_effect: np.ndarray  # (R,)
    role_weight: np.ndarray  # (R,)
    seniority_weight: np.ndarray  # (R, 4)
    seniority_effect: np.ndarray  # (4,)
    countries: tuple[Country, ...]
    country_level: np.ndarray  # (K,) log
    cities: tuple[CityInfo, ...]
    city_country: np.ndarray  # (C,) index into countries
    city_effect: np.ndarray  # (C,)
    city_weight: np.ndarray  # (C,) absolute probabilities
    growth: np.ndarray  # (R, K) log slope per year
    shock: np.ndarray  # (R, K, Y + 1), last column: the next year's shock
    skills: tuple[SkillEntry, ...]  # skills then certifications
    beta: np.ndarray  # (S,)
    prevalence: np.ndarray  # (R, S, Y + 1)
    year_weight: np.ndarray  # (Y,)

    @property
    def all_years(self) -> tuple[int, ...]:
        return (*self.years, self.next_year)

    def location(self, role: np.ndarray, seniority: np.ndarray, city: np.ndarray, year_index: np.ndarray) -> np.ndarray:
        """Mean log annual pay (local currency) before skills and noise."""
        country = self.city_country[city]
        return (self.country_level[country] + self.role_effect[role] + self.seniority_effect[seniority]
                + self.city_effect[city] + self.growth[role, country] * year_index
                + self.shock[role, country, year_index])


def _seed_sequence(seed: int, *key: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(entropy=seed, spawn_key=key))


def build_market(ref: Reference, seed: int, years: tuple[int, int] = (2021, 2025)) -> Market:
    """The parameters of the market for one seed: fixed effects from the tables above, growth
    noise and year shocks drawn from a generator seeded by (seed, 0)."""
    first, last = years
    if last < first:
        raise ValueError(f"years must be increasing, got {years}")
    rng = _seed_sequence(seed, 0)
    roles = tuple(r for r in ref.roles if r.synthetic)
    countries = tuple(c for c in ref.countries if c.subdivisions)
    cities = tuple(CityInfo(c, s, ct) for c in countries for s in c.subdivisions for ct in s.cities)
    n_years = last - first + 1

    role_params = np.array([ROLE_PARAMS.get(r.role, DEFAULT_ROLE_PARAMS) for r in roles], dtype=float)
    role_weight = role_params[:, 1] / role_params[:, 1].sum()
    manager = np.array(["manager" in r.role for r in roles])
    sen_weight = np.where(manager[:, None], np.array(MANAGER_SENIORITY_WEIGHTS), np.array(SENIORITY_WEIGHTS))
    sen_weight = sen_weight / sen_weight.sum(axis=1, keepdims=True)

    country_params = np.array([COUNTRY_PARAMS.get(c.code, DEFAULT_COUNTRY_PARAMS) for c in countries], dtype=float)
    country_weight = country_params[:, 1] / country_params[:, 1].sum()
    city_country = np.array([countries.index(ci.country) for ci in cities])
    city_params = np.array([CITY_PARAMS.get(ci.city.name, DEFAULT_CITY_PARAMS) for ci in cities], dtype=float)
    within = city_params[:, 0] / np.bincount(city_country, weights=city_params[:, 0])[city_country]
    city_weight = within * country_weight[city_country]

    role_growth = np.array([FAMILY_GROWTH_PCT.get(r.family, 0.0) + ROLE_GROWTH_PCT.get(r.role, 0.0) for r in roles])
    growth_pct = country_params[None, :, 2] + role_growth[:, None] + rng.normal(0, GROWTH_NOISE_PCT,
                                                                                (len(roles), len(countries)))
    growth = np.log1p(np.clip(np.round(growth_pct, 3), 1.0, 7.0) / 100)
    shock = np.zeros((len(roles), len(countries), n_years + 1))
    shock[:, :, :n_years] = np.round(rng.normal(0, SHOCK_SD, (len(roles), len(countries), n_years)), 6)
    # the next year's shock comes from its own stream, so the generated years do not depend on it
    shock[:, :, n_years] = np.round(_seed_sequence(seed, 0, 1).normal(0, SHOCK_SD, (len(roles), len(countries))), 6)

    known = [s for s in ref.skills if s.skill in SKILL_BETAS]  # the market's skills, as roles.yaml spells them
    skills = tuple(s for s in known if s.kind == "skill") + tuple(s for s in known if s.kind != "skill")
    beta = np.array([SKILL_BETAS[s.skill] for s in skills])
    family_index = np.array([FAMILIES.index(r.family) if r.family in FAMILIES else -1 for r in roles])
    base_prev = np.array([[FAMILY_PREVALENCE[s.skill][f] if s.skill in FAMILY_PREVALENCE and f >= 0
                           else DEFAULT_PREVALENCE for s in skills] for f in family_index])
    for i, role in enumerate(roles):
        for j, skill in enumerate(skills):
            base_prev[i, j] = ROLE_PREVALENCE.get(role.role, {}).get(skill.skill, base_prev[i, j])
    year_pos = np.arange(n_years + 1) / max(n_years - 1, 1)
    ai_multiplier = AI_PREVALENCE_START + (1 - AI_PREVALENCE_START) * year_pos
    is_ai = np.array([s.ai for s in skills])
    multiplier = np.where(is_ai[:, None], ai_multiplier[None, :], 1.0)
    prevalence = np.clip(base_prev[:, :, None] * multiplier[None, :, :], 0.0, 0.95)

    return Market(
        seed=seed, years=tuple(range(first, last + 1)), next_year=last + 1, roles=roles,
        role_effect=role_params[:, 0], role_weight=role_weight, seniority_weight=sen_weight,
        seniority_effect=np.array(SENIORITY_EFFECTS), countries=countries,
        country_level=np.log(country_params[:, 0]), cities=cities, city_country=city_country,
        city_effect=city_params[:, 1], city_weight=city_weight, growth=growth, shock=shock, skills=skills,
        beta=beta, prevalence=prevalence, year_weight=1 + YEAR_WEIGHT_STEP * np.arange(n_years),
    )


# ----------------------------------------------------------------------------------------------
# Population draws
# ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Draws:
    """Latent values of n genuine data rows."""

    year_index: np.ndarray
    role: np.ndarray
    seniority: np.ndarray
    city: np.ndarray
    has_skill: np.ndarray  # (n, S) bool
    log_pay: np.ndarray

    def take(self, index: np.ndarray) -> "Draws":
        return Draws(self.year_index[index], self.role[index], self.seniority[index], self.city[index],
                     self.has_skill[index], self.log_pay[index])

    def __len__(self) -> int:
        return len(self.role)


def draw_population(market: Market, n: int, rng: np.random.Generator) -> Draws:
    """n independent draws of (year, role, seniority, city, skills, log pay)."""
    year_index = rng.choice(len(market.years), size=n, p=market.year_weight / market.year_weight.sum())
    role = rng.choice(len(market.roles), size=n, p=market.role_weight)
    cum = np.cumsum(market.seniority_weight, axis=1)[role]
    seniority = np.minimum((rng.random(n)[:, None] > cum).sum(axis=1), len(SENIORITIES) - 1)
    city = rng.choice(len(market.cities), size=n, p=market.city_weight)
    has_skill = np.empty((n, len(market.skills)), dtype=bool)
    skill_effect = np.zeros(n)
    for k in range(len(market.skills)):  # loop over skill columns, each vectorised over rows
        has_skill[:, k] = rng.random(n) < market.prevalence[role, k, year_index]
        skill_effect += market.beta[k] * has_skill[:, k]
    log_pay = market.location(role, seniority, city, year_index) + skill_effect + rng.normal(0, SIGMA, n)
    return Draws(year_index, role, seniority, city, has_skill, log_pay)


# ----------------------------------------------------------------------------------------------
# Small tables of distinct strings (built once, indexed per row)
# ----------------------------------------------------------------------------------------------
def _title_names(role: Role) -> list[str]:
    """The role's label, then the TITLE_ALIASES that roles.yaml knows as aliases of this role."""
    known = {a.lower() for a in role.aliases}
    return [role.label] + [a for a in TITLE_ALIASES.get(role.role, ()) if a.lower() in known]


@dataclass(frozen=True)
class Lookup:
    """Flattened variants per group: strings[offset[g] + i] for i < count[g]."""

    strings: pl.Series
    offset: np.ndarray
    count: np.ndarray

    @staticmethod
    def build(groups: list[list[str]]) -> "Lookup":
        count = np.array([len(g) for g in groups])
        offset = np.concatenate([[0], np.cumsum(count)[:-1]])
        return Lookup(pl.Series([s for g in groups for s in g], dtype=pl.String), offset, count)

    def pick(self, group: np.ndarray, u: np.ndarray) -> np.ndarray:
        """Index of a uniformly chosen variant of each row's group (u uniform in [0, 1))."""
        return self.offset[group] + np.minimum((u * self.count[group]).astype(np.int64), self.count[group] - 1)

    def gather(self, index: np.ndarray) -> pl.Series:
        return self.strings.gather(index)


@dataclass(frozen=True)
class Tables:
    role_names: Lookup  # per role: label, then clean aliases
    city_forms: Lookup  # per city: free-text forms that name the city
    country_forms: Lookup  # per country: forms that name only the country
    skill_forms: Lookup  # per skill: canonical name, then aliases
    companies: pl.Series
    company_p: np.ndarray


def _city_forms(ci: CityInfo) -> list[str]:
    names = [ci.city.name] + [a for a in ci.city.aliases if a[:1].isupper()]
    forms = []
    for i, name in enumerate(names):
        if ci.country.code in ABBREV_COUNTRIES and ci.subdivision.abbrev:
            forms.append(f"{name}, {ci.subdivision.abbrev[0]}")
        if i == 0:
            forms.append(f"{name}, {ci.subdivision.name}, {ci.country.name}")
        forms.append(f"{name}, {COUNTRY_SHORT.get(ci.country.code, ci.country.name)}")
        if name in BARE_CITY_NAMES:
            forms.append(name)
    return forms


def _country_forms(country: Country, ref: Reference) -> list[str]:
    abbrevs = {a for c in ref.countries for s in c.subdivisions for a in s.abbrev}
    forms = [country.name, f"Remote - {country.name}", COUNTRY_SHORT.get(country.code, country.name)]
    if country.code not in abbrevs:  # "CA" alone could be California
        forms.append(country.code)
    return forms


def build_tables(market: Market, ref: Reference) -> Tables:
    companies = [f"{w} {n}{COMPANY_SUFFIXES[(i * 7 + j) % len(COMPANY_SUFFIXES)]}"
                 for i, w in enumerate(COMPANY_WORDS) for j, n in enumerate(COMPANY_NOUNS)]
    ranks = np.arange(len(companies))
    company_p = 1.0 / (ranks + 10.0)
    return Tables(
        role_names=Lookup.build([_title_names(r) for r in market.roles]),
        city_forms=Lookup.build([_city_forms(ci) for ci in market.cities]),
        country_forms=Lookup.build([_country_forms(c, ref) for c in market.countries]),
        skill_forms=Lookup.build([[s.skill, *s.aliases] for s in market.skills]),
        companies=pl.Series(companies, dtype=pl.String),
        company_p=company_p / company_p.sum(),
    )


# ----------------------------------------------------------------------------------------------
# Column builders (vectorised)
# ----------------------------------------------------------------------------------------------
def _choose(rng: np.random.Generator, n: int, weights) -> np.ndarray:
    weights = np.asarray(weights, dtype=float)
    return rng.choice(len(weights), size=n, p=weights / weights.sum())


def _locations(market: Market, tables: Tables, draws: Draws, rng: np.random.Generator) -> tuple[pl.Series, np.ndarray]:
    """Free-text location per row and whether it names the city."""
    n = len(draws)
    city_visible = rng.random(n) < CITY_VISIBLE_SHARE
    u = rng.random(n)
    city_idx = tables.city_forms.pick(draws.city, u)
    country_idx = tables.country_forms.pick(market.city_country[draws.city], u)
    city_text = tables.city_forms.gather(city_idx)
    country_text = tables.country_forms.gather(country_idx)
    text = pl.select(pl.when(pl.Series(city_visible)).then(city_text).otherwise(country_text).alias("location"))
    return text.to_series(), city_visible


def _join_pieces(pieces: pl.Series, rows: np.ndarray, n: int) -> pl.Series:
    """Concatenate string pieces per row (pieces sorted by row) into one string per row; rows
    without pieces get null. Builds the list column from offsets (no group_by, no join)."""
    counts = np.bincount(rows, minlength=n)
    offsets = pa.array(np.concatenate([[0], np.cumsum(counts)]).astype(np.int64), type=pa.int64())
    lists = pl.from_arrow(pa.LargeListArray.from_arrays(offsets, pieces.to_arrow().cast(pa.large_string())))
    return pl.select(pl.when(pl.Series(counts) > 0).then(pl.lit(lists).list.join("")).alias("text")).to_series()


def _skill_lists(market: Market, tables: Tables, has_skill: np.ndarray, kind: str, rng: np.random.Generator,
                 separator: str, messy_case: bool, prose: bool) -> pl.Series:
    """Per row, the skills (or certifications) it has, as surface forms joined into one string.

    prose=True joins "a, b and c"; otherwise with `separator`. Rows without any: null. The order
    of skills within a row follows a column order shuffled once per call."""
    n = has_skill.shape[0]
    columns = rng.permutation(np.array([i for i, s in enumerate(market.skills) if s.kind == kind]))
    rows, pos = np.nonzero(has_skill[:, columns])  # row-major: sorted by row
    skill = columns[pos]
    m = len(rows)
    canonical = rng.random(m) < 0.6
    variant = np.where(canonical, tables.skill_forms.offset[skill], tables.skill_forms.pick(skill, rng.random(m)))
    case_sensitive = np.array([s.case_sensitive for s in market.skills])[skill]
    case = np.where(case_sensitive | (not messy_case), 0, _choose(rng, m, (0.6, 0.25, 0.15)))
    counts = np.bincount(rows, minlength=n)
    start = np.repeat(np.cumsum(counts) - counts, counts)
    position = np.arange(m) - start
    per_row = counts[rows]
    if prose:
        sep = np.where(position == 0, 0, np.where(position == per_row - 1, 1, 2))
        sep_strings = ("", " and ", ", ")
    else:
        sep = np.where(position == 0, 0, 1)
        sep_strings = ("", separator)
    pieces = pl.DataFrame({"case": case, "sep_text": pl.Series(sep_strings, dtype=pl.String).gather(sep),
                           "surface": tables.skill_forms.gather(variant)}).select(
        pl.concat_str(
            pl.col("sep_text"),
            pl.when(pl.col("case") == 1).then(pl.col("surface").str.to_lowercase())
            .when(pl.col("case") == 2).then(pl.col("surface").str.to_uppercase())
            .otherwise(pl.col("surface")),
        ).alias("piece")
    ).to_series()
    return _join_pieces(pieces, rows, n)


def _skill_names(market: Market, has_skill: np.ndarray, kind: str) -> pl.Series:
    """Canonical sorted names per row as list[str] (for the truth records)."""
    columns = [i for i, s in enumerate(market.skills) if s.kind == kind]
    names = [market.skills[i].skill for i in columns]
    order = np.argsort(names)
    rows, pos = np.nonzero(has_skill[:, np.array(columns)[order]])
    values = pl.Series([names[i] for i in order], dtype=pl.String).gather(pos)
    counts = np.bincount(rows, minlength=has_skill.shape[0])
    offsets = pa.array(np.concatenate([[0], np.cumsum(counts)]).astype(np.int64), type=pa.int64())
    return pl.from_arrow(pa.LargeListArray.from_arrays(offsets, values.to_arrow().cast(pa.large_string())))


def _grouped(x: pl.Expr, sep: str) -> pl.Expr:
    """Integer with thousands separators: 1234567 -> '1,234,567'."""
    millions, thousands, units = x // 1_000_000, (x // 1000) % 1000, x % 1000
    z3 = lambda e: e.cast(pl.String).str.zfill(3)  # noqa: E731
    return (pl.when(millions > 0).then(pl.concat_str(millions.cast(pl.String), pl.lit(sep), z3(thousands), pl.lit(sep), z3(units)))
            .when(thousands > 0).then(pl.concat_str(thousands.cast(pl.String), pl.lit(sep), z3(units)))
            .otherwise(units.cast(pl.String)))


def _lakh(x: pl.Expr) -> pl.Expr:
    """Indian grouping: 2500000 -> '25,00,000'."""
    crore, lakh, thousand, units = x // 10_000_000, (x // 100_000) % 100, (x // 1000) % 100, x % 1000
    z = lambda e, w: e.cast(pl.String).str.zfill(w)  # noqa: E731
    return (pl.when(crore > 0).then(pl.concat_str(crore.cast(pl.String), pl.lit(","), z(lakh, 2), pl.lit(","),
                                                  z(thousand, 2), pl.lit(","), z(units, 3)))
            .when(lakh > 0).then(pl.concat_str(lakh.cast(pl.String), pl.lit(","), z(thousand, 2), pl.lit(","), z(units, 3)))
            .when(thousand > 0).then(pl.concat_str(thousand.cast(pl.String), pl.lit(","), z(units, 3)))
            .otherwise(units.cast(pl.String)))


def _format_amount(value: pl.Expr, fmt: pl.Expr) -> pl.Expr:
    """One amount in its style's number format (annual formats round to whole thousands)."""
    thousands = (value / 1000).round(0).cast(pl.Int64)
    whole = thousands * 1000
    cents = (value * 100).round(0).cast(pl.Int64)
    return (pl.when(fmt == PAY_FORMATS.index("K")).then(pl.concat_str(thousands.cast(pl.String), pl.lit("K")))
            .when(fmt == PAY_FORMATS.index("k")).then(pl.concat_str(thousands.cast(pl.String), pl.lit("k")))
            .when(fmt == PAY_FORMATS.index("comma")).then(_grouped(whole, ","))
            .when(fmt == PAY_FORMATS.index("dot")).then(_grouped(whole, "."))
            .when(fmt == PAY_FORMATS.index("lakh")).then(_lakh(whole))
            .otherwise(pl.concat_str((cents // 100).cast(pl.String), pl.lit("."),
                                     (cents % 100).cast(pl.String).str.zfill(2))))


def _written_amount(value: np.ndarray, fmt: np.ndarray) -> np.ndarray:
    """The number a reader recovers from `_format_amount` (same rounding, numpy)."""
    cents = PAY_FORMATS.index("cents")
    # Polars rounds half away from zero; amounts here are positive
    thousands = np.floor(value / 1000 + 0.5) * 1000
    hundredths = np.floor(value * 100 + 0.5) / 100
    return np.where(fmt == cents, hundredths, thousands)


REMOTE_DOLLAR_STYLE = ("", "$", "$", "", "-", "K", "")  # "$120K-$140K" for rows located just "Remote"


@dataclass(frozen=True)
class StylePicker:
    """Per country, style ids and their cumulative probabilities (padded to a rectangle)."""

    ids: np.ndarray  # (K, m)
    cum: np.ndarray  # (K, m)

    def pick(self, group: np.ndarray, u: np.ndarray) -> np.ndarray:
        pos = np.minimum((u[:, None] >= self.cum[group]).sum(axis=1), self.ids.shape[1] - 1)
        return self.ids[group, pos]


def pay_styles(market: Market) -> tuple[pl.DataFrame, StylePicker, StylePicker, int]:
    """All pay-text styles as one frame, pickers for annual and hourly styles per country, and the
    id of the bare-dollar style used for "Remote" junk rows."""
    rows: list[tuple] = []
    pickers = []
    for table in (PAY_STYLES_ANNUAL, PAY_STYLES_HOURLY):
        ids, cums = [], []
        for country in market.countries:
            styles = table.get(country.code) or PAY_STYLES_ANNUAL.get(country.code) or (
                (1, "", f"{country.currency} ", f"{country.currency} ", "", " - ", "comma", ""),)
            weights = np.array([s[0] for s in styles], dtype=float)
            ids.append([len(rows) + i for i in range(len(styles))])
            cums.append(list(np.cumsum(weights) / weights.sum()))
            rows.extend(tuple(s[1:]) for s in styles)
        width = max(len(i) for i in ids)
        pickers.append(StylePicker(np.array([i + [i[-1]] * (width - len(i)) for i in ids]),
                                   np.array([c[:-1] + [1.0] * (width - len(c) + 1) for c in cums])))
    remote_id = len(rows)
    rows.append(REMOTE_DOLLAR_STYLE)
    frame = pl.DataFrame(rows, schema=["prefix", "before_lo", "before_hi", "after", "range_sep", "fmt", "period_text"],
                         orient="row")
    frame = frame.with_columns(pl.col("fmt").replace_strict(list(PAY_FORMATS), list(range(len(PAY_FORMATS))),
                                                            return_dtype=pl.Int64))
    return frame, pickers[0], pickers[1], remote_id


# ----------------------------------------------------------------------------------------------
# Junk, outliers
# ----------------------------------------------------------------------------------------------
def _assign_issues(n: int, kinds: list[tuple[str, float]], rng: np.random.Generator,
                   eligible: dict[str, np.ndarray] | None = None, taken: np.ndarray | None = None) -> np.ndarray:
    """Issue code per row (0 none, i + 1 for kinds[i]): round(rate * n) distinct rows per kind,
    never a row already `taken` or given another kind."""
    code = np.zeros(n, dtype=np.int64)
    for i, (name, rate) in enumerate(kinds):  # loop over a handful of kinds
        free = code == 0
        if taken is not None:
            free &= ~taken
        if eligible and name in eligible:
            free &= eligible[name]
        candidates = np.flatnonzero(free)
        k = min(int(round(rate * n)), len(candidates))
        if k:
            code[rng.choice(candidates, size=k, replace=False)] = i + 1
    return code


def _issue_names(codes: np.ndarray, names: list[str]) -> pl.Series:
    """Issue codes -> names, null where 0."""
    return pl.select(pl.when(pl.Series(codes) > 0).then(pl.Series(["", *names], dtype=pl.String).gather(codes))
                     .alias("issue")).to_series()


@dataclass(frozen=True)
class Issues:
    """Junk and outlier assignment of one source chunk."""

    junk: np.ndarray
    junk_kinds: list[str]
    outlier: np.ndarray
    outlier_kinds: list[str]

    def junk_name(self) -> pl.Series:
        return _issue_names(self.junk, self.junk_kinds)

    def outlier_is(self, kind: str) -> np.ndarray:
        return self.outlier == self.outlier_kinds.index(kind) + 1

    def record_columns(self) -> list[pl.Series]:
        junk, outlier = self.junk_name(), _issue_names(self.outlier, self.outlier_kinds)
        status = np.where(self.junk > 0, "junk", np.where(self.outlier > 0, "outlier", "clean"))
        return [pl.Series("status", status, dtype=pl.String),
                pl.select(pl.coalesce(junk, outlier).alias("issue")).to_series()]


def assign_issues(source: str, n: int, rng: np.random.Generator,
                  eligible: dict[str, np.ndarray] | None = None) -> Issues:
    junk_kinds = list(JUNK_RATES[source])
    junk = _assign_issues(n, list(JUNK_RATES[source].items()), rng, eligible)
    outlier_kinds = list(OUTLIER_KINDS[source])
    outlier = _assign_issues(n, [(k, OUTLIER_RATE / len(outlier_kinds)) for k in outlier_kinds], rng,
                             taken=junk > 0)
    return Issues(junk, junk_kinds, outlier, outlier_kinds)


# ----------------------------------------------------------------------------------------------
# Sources
# ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SourceChunk:
    raw: pl.DataFrame  # exactly the columns written
    records: pl.DataFrame  # one row per raw row: latent values and status


RECORD_COLUMNS = (
    "source", "source_file", "row_number", "record_id", "status", "issue", "duplicate_of", "role", "role_name",
    "seniority", "role_label", "title_has_seniority", "country_code", "country", "subdivision", "city",
    "location_names_city", "year", "currency_local", "pay_annual_local", "currency_original", "pay_period",
    "pay_annual_written_local", "skills", "certifications",
)


def _base_records(market: Market, draws: Draws, ref: Reference, city_visible: np.ndarray,
                  has_marker: np.ndarray) -> pl.DataFrame:
    """Latent values per row, shared by all sources."""
    labels = pl.Series([ref.role_label(s, r.label) for r in market.roles for s in SENIORITIES], dtype=pl.String)
    country = market.city_country[draws.city]
    return pl.DataFrame({
        "role": pl.Series([r.role for r in market.roles], dtype=pl.String).gather(draws.role),
        "role_name": pl.Series([r.label for r in market.roles], dtype=pl.String).gather(draws.role),
        "seniority": pl.Series(SENIORITIES, dtype=pl.String).gather(draws.seniority),
        "role_label": labels.gather(draws.role * len(SENIORITIES) + draws.seniority),
        "title_has_seniority": has_marker,
        "country_code": pl.Series([c.code for c in market.countries], dtype=pl.String).gather(country),
        "country": pl.Series([c.name for c in market.countries], dtype=pl.String).gather(country),
        "subdivision": pl.Series([ci.subdivision.label for ci in market.cities], dtype=pl.String).gather(draws.city),
        "city": pl.Series([ci.city.label for ci in market.cities], dtype=pl.String).gather(draws.city),
        "location_names_city": city_visible,
        "year": np.asarray(market.years, dtype=np.int32)[draws.year_index],
        "currency_local": pl.Series([c.currency for c in market.countries], dtype=pl.String).gather(country),
        "pay_annual_local": np.exp(draws.log_pay),
        "skills": _skill_names(market, draws.has_skill, "skill"),
        "certifications": _skill_names(market, draws.has_skill, "certification"),
    })


def _finish_records(base: pl.DataFrame, source: str, file_name: str, record_id: pl.Series | None,
                    issues: Issues, extra: list[pl.Series]) -> pl.DataFrame:
    n = base.height
    return base.with_columns(
        pl.lit(source).alias("source"), pl.lit(file_name).alias("source_file"),
        pl.Series("row_number", np.arange(1, n + 1, dtype=np.int64)),
        (record_id.alias("record_id") if record_id is not None else pl.lit(None, dtype=pl.String).alias("record_id")),
        *issues.record_columns(), pl.lit(None, dtype=pl.String).alias("duplicate_of"), *extra,
    ).select(RECORD_COLUMNS)


def _fx_usd_per_unit(market: Market) -> dict[str, np.ndarray]:
    """Yearly average USD per unit of each currency the market uses, per generated year."""
    yearly = yearly_fx()
    currencies = sorted({c.currency for c in market.countries} | {f for f, _ in FOREIGN_CURRENCY.values()})
    out = {}
    for currency in currencies:
        rates = dict(yearly.filter(pl.col("currency") == currency).select("year", "usd_per_unit").iter_rows())
        missing = [y for y in market.years if y not in rates]
        if missing:
            raise ValueError(f"no ECB yearly rate for {currency} in {missing}: the generator never invents a rate")
        out[currency] = np.array([rates[y] for y in market.years])
    return out


def salary_reports_chunk(market: Market, ref: Reference, tables: Tables, draws: Draws, rng: np.random.Generator,
                         file_name: str, fx: dict[str, np.ndarray]) -> SourceChunk:
    """Survey rows: one annual / monthly / hourly amount, mostly in the local currency."""
    n = len(draws)
    country = market.city_country[draws.city]
    codes = np.array([c.code for c in market.countries])[country]
    local_cur = np.array([c.currency for c in market.countries])[country]
    cur = local_cur.copy()
    for code, (foreign_cur, share) in FOREIGN_CURRENCY.items():  # loop over a few countries
        cur = np.where((codes == code) & (rng.random(n) < share), foreign_cur, cur)
    usd_local, usd_orig = np.zeros(n), np.zeros(n)
    for currency, rates in fx.items():  # loop over a few currencies
        usd_local = np.where(local_cur == currency, rates[draws.year_index], usd_local)
        usd_orig = np.where(cur == currency, rates[draws.year_index], usd_orig)
    pay_local = np.exp(draws.log_pay)
    pay_orig = pay_local * usd_local / usd_orig

    periods = list(PAY_PERIOD_SHARES)
    period = _choose(rng, n, list(PAY_PERIOD_SHARES.values()))
    issues = assign_issues("salary_reports", n, rng)
    hourly_in_annual = issues.outlier_is("hourly_in_annual_column")
    period = np.where(hourly_in_annual, periods.index("year"), period)
    factor = np.array([ANNUALISATION[p] for p in periods])[period]
    hourly_amount = (factor == ANNUALISATION["hour"]) | hourly_in_annual
    amount = np.where(hourly_in_annual, pay_orig / ANNUALISATION["hour"], pay_orig / factor)
    amount = amount * np.where(issues.outlier_is("pay_times_10"), 10.0, 1.0)
    amount = amount / np.where(issues.outlier_is("pay_divided_by_10"), 10.0, 1.0)
    amount = np.where(hourly_amount, np.round(amount, 2), np.round(amount))
    word_tables = Lookup.build([list(PERIOD_WORDS[p]) for p in periods])
    period_word = word_tables.gather(word_tables.pick(period, rng.random(n)))

    title_idx = np.where(rng.random(n) < 0.75, tables.role_names.offset[draws.role],
                         tables.role_names.pick(draws.role, rng.random(n)))
    location, city_visible = _locations(market, tables, draws, rng)
    year = np.asarray(market.years)[draws.year_index]
    frame = pl.DataFrame({
        "title": tables.role_names.gather(title_idx), "level": pl.Series(SENIORITY_CODES).gather(draws.seniority),
        "amount": amount, "hourly_amount": hourly_amount, "currency": cur, "period": period_word,
        "location": location, "year": year,
        "skills": _skill_lists(market, tables, draws.has_skill, "skill", rng, ";", True, False),
        "certs": _skill_lists(market, tables, draws.has_skill, "certification", rng, ";", False, False),
        "issue": issues.junk_name(),
        "non_numeric": pl.Series(NON_NUMERIC_PAY).gather(rng.integers(0, len(NON_NUMERIC_PAY), n)),
        "non_positive": np.where(rng.random(n) < 0.5, 0, -np.round(pay_orig)).astype(np.int64),
    })
    issue = pl.col("issue")
    amount_text = (pl.when(pl.col("hourly_amount")).then(pl.col("amount").round(2).cast(pl.String))
                   .otherwise(pl.col("amount").round(0).cast(pl.Int64).cast(pl.String)))
    raw = frame.select(
        pl.when(issue == "missing_title").then(pl.lit(None, dtype=pl.String)).otherwise(pl.col("title"))
        .alias("job_title"),
        pl.col("level").alias("experience_level"),
        pl.when(issue == "non_numeric_pay").then(pl.col("non_numeric"))
        .when(issue == "non_positive_pay").then(pl.col("non_positive").cast(pl.String))
        .otherwise(amount_text).alias("salary"),
        pl.when(issue == "unknown_currency").then(pl.lit("XYZ")).otherwise(pl.col("currency")).alias("salary_currency"),
        pl.col("period").alias("pay_period"),
        pl.col("location"),
        pl.when(issue == "future_year").then(pl.lit(market.years[-1] + FUTURE_YEAR_OFFSET)).otherwise(pl.col("year"))
        .cast(pl.Int64).alias("work_year"),
        pl.col("skills"),
        pl.col("certs").alias("certifications"),
    )
    base = _base_records(market, draws, ref, city_visible, np.ones(n, dtype=bool))
    records = _finish_records(base, "salary_reports", file_name, None, issues, [
        pl.Series("currency_original", cur, dtype=pl.String),
        pl.Series("pay_period", periods, dtype=pl.String).gather(period).alias("pay_period"),
        pl.Series("pay_annual_written_local", amount * factor * usd_orig / usd_local),
    ])
    return SourceChunk(raw, records)


def postings_chunk(market: Market, ref: Reference, tables: Tables, draws: Draws, rng: np.random.Generator,
                   source: str, file_name: str, id_prefix: str, id_start: int) -> SourceChunk:
    """Job postings: messy titles, a pay range as free text around the latent pay, a description."""
    n = len(draws)
    country = market.city_country[draws.city]
    codes = np.array([c.code for c in market.countries])[country]
    form_lookup = Lookup.build([[str(i) for i in range(len(f))] for f in TITLE_SENIORITY_FORMS])
    flat_forms = [f for forms in TITLE_SENIORITY_FORMS for f in forms]
    form = form_lookup.pick(draws.seniority, rng.random(n))
    has_marker = np.array([f[2] for f in flat_forms])[form]
    name_idx = np.where(rng.random(n) < 0.7, tables.role_names.offset[draws.role],
                        tables.role_names.pick(draws.role, rng.random(n)))

    hourly = np.isin(codes, list(HOURLY_POSTING_COUNTRIES)) & (rng.random(n) < HOURLY_POSTING_SHARE)
    styles, annual, hourly_picker, remote_style = pay_styles(market)
    u = rng.random(n)
    style = np.where(hourly, hourly_picker.pick(country, u), annual.pick(country, u))
    issues = assign_issues(source, n, rng, eligible={"remote_no_country": np.isin(codes, list(DOLLAR_COUNTRIES))
                                                     & ~hourly})
    remote = issues.junk == issues.junk_kinds.index("remote_no_country") + 1
    style = np.where(remote, remote_style, style)
    fmt = styles["fmt"].to_numpy()[style]
    spread = rng.uniform(0.05, 0.15, n)
    factor = np.where(hourly, ANNUALISATION["hour"], 1.0)
    scale = np.where(issues.outlier_is("pay_times_10"), 10.0, np.where(issues.outlier_is("pay_divided_by_10"), 0.1, 1.0))
    pay = np.exp(draws.log_pay)
    low, high = pay * (1 - spread) / factor * scale, pay * (1 + spread) / factor * scale

    location, city_visible = _locations(market, tables, draws, rng)
    year = np.asarray(market.years)[draws.year_index]
    day = np.floor(rng.random(n) * np.where(_is_leap(year), 366, 365)).astype(np.int64)
    flat = pl.DataFrame({"prefix": [f[0] for f in flat_forms], "suffix": [f[1] for f in flat_forms]})
    frame = pl.DataFrame({
        "id_number": np.arange(id_start, id_start + n, dtype=np.int64),
        "name": tables.role_names.gather(name_idx), "sen_prefix": flat["prefix"].gather(form),
        "sen_suffix": flat["suffix"].gather(form),
        "extra_suffix": pl.Series(TITLE_EXTRA_SUFFIXES).gather(rng.integers(0, len(TITLE_EXTRA_SUFFIXES), n)),
        "case": _choose(rng, n, (0.8, 0.1, 0.1)),
        "fmt": fmt, "low": low, "high": high, "location": location, "year": year, "day": day,
        "company": tables.companies.gather(_choose(rng, n, tables.company_p)), "issue": issues.junk_name(),
        "non_numeric": pl.Series(NON_NUMERIC_POSTING_PAY).gather(rng.integers(0, len(NON_NUMERIC_POSTING_PAY), n)),
        "bad_date": pl.Series(MALFORMED_DATES).gather(rng.integers(0, len(MALFORMED_DATES), n)),
        "skills_text": _skill_lists(market, tables, draws.has_skill, "skill", rng, ", ", False, True),
        "certs_text": _skill_lists(market, tables, draws.has_skill, "certification", rng, ", ", False, True),
        "intro": rng.integers(0, len(DESCRIPTION_INTROS), n),
        "skill_form": rng.integers(0, len(DESCRIPTION_SKILL_FORMS), n),
        "cert_form": rng.integers(0, len(DESCRIPTION_CERT_FORMS), n),
        "outro": rng.integers(0, len(DESCRIPTION_OUTROS), n),
    }).with_columns(styles.drop("fmt")[pl.Series(style)])
    title = pl.concat_str("sen_prefix", "name", "sen_suffix", "extra_suffix")
    title = (pl.when(pl.col("case") == 1).then(title.str.to_uppercase())
             .when(pl.col("case") == 2).then(title.str.to_lowercase()).otherwise(title))
    pay_text = pl.concat_str(
        "prefix", "before_lo", _format_amount(pl.col("low"), pl.col("fmt")), "after", "range_sep",
        "before_hi", _format_amount(pl.col("high"), pl.col("fmt")), "after", "period_text")
    date = pl.date(pl.col("year"), 1, 1) + pl.duration(days=pl.col("day"))
    future = pl.date(pl.lit(market.years[-1] + FUTURE_YEAR_OFFSET), 1, 1) + pl.duration(days=pl.col("day") % 365)
    frame = frame.with_columns(title.alias("title_text"), pay_text.alias("pay_text"),
                               date.dt.to_string("%Y-%m-%d").alias("date_text"),
                               future.dt.to_string("%Y-%m-%d").alias("future_text"))
    description = pl.concat_str(
        _template(DESCRIPTION_INTROS, "intro", c=pl.col("company")),
        pl.when(pl.col("skills_text").is_not_null())
        .then(pl.concat_str(pl.lit(" "), _template(DESCRIPTION_SKILL_FORMS, "skill_form", s=pl.col("skills_text"))))
        .otherwise(pl.lit("")),
        pl.when(pl.col("certs_text").is_not_null())
        .then(pl.concat_str(pl.lit(" "), _template(DESCRIPTION_CERT_FORMS, "cert_form", s=pl.col("certs_text"))))
        .otherwise(pl.lit("")),
        pl.concat_str(pl.lit(" "), _template(DESCRIPTION_OUTROS, "outro")),
    ).str.strip_chars_end()
    thousands = lambda c: (pl.col(c) / 1000).round(0).cast(pl.Int64) * 1000  # noqa: E731
    issue = pl.col("issue")
    raw = frame.select(
        pl.concat_str(pl.lit(id_prefix), pl.col("id_number").cast(pl.String).str.zfill(9)).alias("posting_id"),
        pl.when(issue == "missing_title").then(pl.lit(None, dtype=pl.String)).otherwise(pl.col("title_text"))
        .alias("title"),
        pl.col("company"),
        pl.when(issue == "remote_no_country").then(pl.lit("Remote")).otherwise(pl.col("location")).alias("location"),
        pl.when(issue == "non_numeric_pay").then(pl.col("non_numeric"))
        .when(issue == "non_positive_pay").then(pl.concat_str("before_lo", pl.lit("0"), "after"))
        .when(issue == "unknown_currency").then(pl.concat_str(pl.lit("XYZ "), _grouped(thousands("low"), ","),
                                                              pl.lit(" - "), _grouped(thousands("high"), ",")))
        .otherwise(pl.col("pay_text")).alias("salary"),
        pl.when(issue == "future_date").then(pl.col("future_text"))
        .when(issue == "malformed_date").then(pl.col("bad_date"))
        .otherwise(pl.col("date_text")).alias("posted_at"),
        description.alias("description"),
    )
    written = (_written_amount(low, fmt) + _written_amount(high, fmt)) / 2 * factor
    base = _base_records(market, draws, ref, city_visible, has_marker)
    records = _finish_records(base, source, file_name, raw["posting_id"], issues, [
        pl.Series("currency_original", [c.currency for c in market.countries], dtype=pl.String).gather(country),
        pl.Series("pay_period", np.where(hourly, "hour", "year"), dtype=pl.String),
        pl.Series("pay_annual_written_local", written),
    ])
    return SourceChunk(raw, records)


def _template(forms: tuple[str, ...], index_column: str, **values: pl.Expr) -> pl.Expr:
    """Pick one of `forms` per row by an index column and fill its {name} slots from expressions."""
    expr = None
    for i, form in enumerate(forms):
        parts, rest = [], form
        while "{" in rest:
            head, tail = rest.split("{", 1)
            name, rest = tail.split("}", 1)
            parts += [pl.lit(head), values[name]]
        parts.append(pl.lit(rest))
        filled = pl.concat_str(parts)
        expr = (pl.when(pl.col(index_column) == i).then(filled) if expr is None
                else expr.when(pl.col(index_column) == i).then(filled))
    return expr.otherwise(pl.lit(""))


def _is_leap(year: np.ndarray) -> np.ndarray:
    return ((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0)


def add_cross_posts(board_a: SourceChunk, board_b: SourceChunk, n_cross: int, rng: np.random.Generator,
                    id_prefix: str, id_start: int) -> SourceChunk:
    """board_b plus n_cross copies of clean board_a postings (same company, title, location, salary
    and description; new id; posted 0-5 days later within the same year), shuffled into board_b."""
    clean = np.flatnonzero((board_a.records["status"] == "clean").to_numpy())
    n_cross = min(n_cross, len(clean))
    picked = np.sort(rng.choice(clean, size=n_cross, replace=False))
    originals = board_a.raw[picked]
    moved = pl.DataFrame({"posted_at": originals["posted_at"], "delay": rng.integers(0, 6, n_cross),
                          "id_number": np.arange(id_start, id_start + n_cross, dtype=np.int64)}).select(
        pl.concat_str(pl.lit(id_prefix), pl.col("id_number").cast(pl.String).str.zfill(9)).alias("posting_id"),
        pl.min_horizontal(
            pl.col("posted_at").str.to_date("%Y-%m-%d") + pl.duration(days=pl.col("delay")),
            pl.date(pl.col("posted_at").str.to_date("%Y-%m-%d").dt.year(), 12, 31),
        ).dt.to_string("%Y-%m-%d").alias("posted_at"),
    )
    copies = originals.with_columns(moved["posting_id"], moved["posted_at"]).select(board_a.raw.columns)
    copy_records = board_a.records[picked].with_columns(
        pl.lit("board_b").alias("source"), moved["posting_id"].alias("record_id"),
        pl.lit("duplicate").alias("status"), pl.lit("cross_post").alias("issue"),
        originals["posting_id"].alias("duplicate_of"),
    )
    order = rng.permutation(board_b.raw.height + n_cross)
    raw = pl.concat([board_b.raw, copies])[order]
    file_name = board_b.records["source_file"][0] if board_b.records.height else board_a.records["source_file"][0]
    records = pl.concat([board_b.records, copy_records.select(board_b.records.columns)])[order].with_columns(
        pl.lit(file_name).alias("source_file"),
        pl.Series("row_number", np.arange(1, raw.height + 1, dtype=np.int64)),
    )
    return SourceChunk(raw, records)


# ----------------------------------------------------------------------------------------------
# Truth: population medians
# ----------------------------------------------------------------------------------------------
def _skill_effect_pmf(beta_units: np.ndarray, prevalence: np.ndarray, lo: int, hi: int) -> np.ndarray:
    """Exact distribution of sum_k beta_k * Bernoulli(p_k) on integer units lo..hi."""
    pmf = np.zeros(hi - lo + 1)
    pmf[-lo] = 1.0
    for units, p in zip(beta_units, prevalence):  # loop over skills (32), vectorised over support
        if p == 0 or units == 0:
            continue
        shifted = np.roll(pmf, units)
        pmf = (1 - p) * pmf + p * shifted
    return pmf


def region_cells(market: Market) -> list[tuple[str, str, int, np.ndarray]]:
    """(label, level, country index, member city indices) for every city, subdivision, country."""
    cells = []
    for k, country in enumerate(market.countries):
        members = np.flatnonzero(market.city_country == k)
        cells.append((country.name, "country", k, members))
        for sub in country.subdivisions:
            cells.append((sub.label, "subdivision", k,
                          np.array([i for i in members if market.cities[i].subdivision.code == sub.code])))
        cells.extend((market.cities[i].city.label, "city", k, np.array([i])) for i in members)
    return cells


def population_medians(market: Market, ref: Reference) -> pl.DataFrame:
    """The exact population median of clean annual local pay per role_label x region x year."""
    h = GRID_STEP
    step = int(round(BETA_UNIT / h))
    units = np.round(market.beta / BETA_UNIT).astype(int)
    if not np.allclose(units * BETA_UNIT, market.beta):
        raise ValueError("every beta must be a multiple of BETA_UNIT for the exact convolution")
    b_lo, b_hi = int(units[units < 0].sum()), int(units[units > 0].sum())
    n_years = len(market.all_years)
    R, S4, C = len(market.roles), len(SENIORITIES), len(market.cities)
    r_i, s_i, c_i = np.meshgrid(np.arange(R), np.arange(S4), np.arange(C), indexing="ij")
    rel = np.stack([market.location(r_i, s_i, c_i, np.full_like(r_i, y)) - market.country_level[market.city_country[c_i]]
                    for y in range(n_years)])  # (Y+1, R, 4, C) relative to the country level
    half = int(math.ceil(8 * SIGMA / h))
    lo = rel.min() - h
    n_grid = int(math.ceil((rel.max() + h - lo) / h)) + 2
    normal = np.diff(ndtr((np.arange(-half, half + 2) - 0.5) * h / SIGMA))  # bin masses k = -half..half
    cells = region_cells(market)
    G = len(cells)
    member = np.zeros((G, C))
    for g, (_, _, _, members) in enumerate(cells):
        member[g, members] = market.city_weight[members]
    # full-convolution coordinates: index i <-> log pay lo + (i + b_lo * step - half) * h
    x0 = lo + (b_lo * step - half) * h
    s_idx, c_idx = np.meshgrid(np.arange(S4), np.arange(C), indexing="ij")
    region_meta = [(label, level, market.countries[k]) for label, level, k, _ in cells]
    rows = []

    def emit(medians: np.ndarray, y: int, label: str, level: str, role: Role | None, seniority: str | None) -> None:
        for g, (region, region_level, country) in enumerate(region_meta):
            k = market.countries.index(country)
            rows.append((label, level, role.role if role else None, role.label if role else None, seniority, region,
                         region_level, country.code, market.all_years[y], country.currency,
                         float(np.exp(market.country_level[k] + medians[g]))))

    for y in range(n_years):
        all_roles = None
        for r, role in enumerate(market.roles):
            pmf = _skill_effect_pmf(units, market.prevalence[r, :, y], b_lo, b_hi)
            kernel = np.zeros((b_hi - b_lo) * step + 1)
            kernel[::step] = pmf
            kernel = np.convolve(kernel, normal)
            pos = (rel[y, r] - lo) / h  # (4, C) grid positions of the components
            j = np.floor(pos).astype(int)
            f = pos - j
            atoms = np.zeros((S4, C, n_grid))
            atoms[s_idx, c_idx, j] += 1 - f
            atoms[s_idx, c_idx, j + 1] += f
            weights = market.role_weight[r] * market.seniority_weight[r][:, None, None] * member[None, :, :]
            hist = np.einsum("sgc,scx->sgx", weights, atoms)  # (4, G, grid)
            mass = np.clip(fftconvolve(hist, kernel[None, None, :], axes=-1), 0.0, None)
            medians = _grid_median(mass, x0, h)  # (4, G)
            for s, seniority in enumerate(SENIORITIES):
                emit(medians[s], y, ref.role_label(seniority, role.label), "role_label", role, seniority)
            role_mass = mass.sum(axis=0)
            emit(_grid_median(role_mass, x0, h), y, role.label, "role", role, None)
            all_roles = role_mass if all_roles is None else all_roles + role_mass
        emit(_grid_median(all_roles, x0, h), y, "All roles", "all", None, None)
    frame = pl.DataFrame(rows, orient="row", schema={
        "role_label": pl.String, "role_level": pl.String, "role": pl.String, "role_name": pl.String,
        "seniority": pl.String, "region": pl.String, "region_level": pl.String, "country_code": pl.String,
        "year": pl.Int32, "currency": pl.String, "true_median": pl.Float64})
    return frame.sort(["role_level", "role_label", "region_level", "region", "year"])


def _grid_median(mass: np.ndarray, x0: float, h: float) -> np.ndarray:
    """Median along the last axis of masses at x0 + i h, each spread over its bin of width h."""
    cum = np.cumsum(mass, axis=-1)
    target = cum[..., -1:] / 2
    j = np.argmax(cum >= target, axis=-1)[..., None]
    c_hi = np.take_along_axis(cum, j, axis=-1)
    c_lo = np.take_along_axis(cum, np.maximum(j - 1, 0), axis=-1)
    frac = np.where(c_hi > c_lo, (target - c_lo) / np.where(c_hi > c_lo, c_hi - c_lo, 1.0), 0.5)
    return (x0 + (j - 0.5 + frac) * h)[..., 0]


def premiums_frame(market: Market) -> pl.DataFrame:
    return pl.DataFrame({
        "skill": [s.skill for s in market.skills], "kind": [s.kind for s in market.skills],
        "beta": market.beta, "premium_pct": 100 * np.expm1(market.beta),
    }).sort(["kind", "skill"])


def market_parameters(market: Market) -> dict:
    """Every parameter needed to recompute the truth, in plain JSON types."""
    years = list(market.all_years)
    return {
        "sigma": SIGMA, "shock_sd": SHOCK_SD, "beta_unit": BETA_UNIT,
        "roles": [{"role": r.role, "role_name": r.label, "family": r.family, "effect": float(market.role_effect[i]),
                   "weight": float(market.role_weight[i]),
                   "seniority_weights": dict(zip(SENIORITIES, map(float, market.seniority_weight[i])))}
                  for i, r in enumerate(market.roles)],
        "seniority_effects": dict(zip(SENIORITIES, map(float, market.seniority_effect))),
        "seniority_codes": dict(zip(SENIORITY_CODES, SENIORITIES)),
        "countries": [{"country_code": c.code, "country": c.name, "currency": c.currency,
                       "level": float(market.country_level[k]),
                       "weight": float(market.city_weight[market.city_country == k].sum())}
                      for k, c in enumerate(market.countries)],
        "cities": [{"city": ci.city.label, "subdivision": ci.subdivision.label, "country_code": ci.country.code,
                    "effect": float(market.city_effect[i]), "weight": float(market.city_weight[i])}
                   for i, ci in enumerate(market.cities)],
        "year_weights": dict(zip(map(str, market.years), map(float, market.year_weight / market.year_weight.sum()))),
        "growth": [{"role": r.role, "role_name": r.label, "country_code": c.code, "growth_log": float(market.growth[i, k]),
                    "growth_pct": float(100 * np.expm1(market.growth[i, k]))}
                   for i, r in enumerate(market.roles) for k, c in enumerate(market.countries)],
        "shocks": [{"role": r.role, "country_code": c.code, "year": years[y], "shock": float(market.shock[i, k, y])}
                   for i, r in enumerate(market.roles) for k, c in enumerate(market.countries)
                   for y in range(len(years))],
        "premiums": {s.skill: {"kind": s.kind, "beta": float(market.beta[j]),
                               "premium_pct": float(100 * np.expm1(market.beta[j]))}
                     for j, s in enumerate(market.skills)},
        "prevalence": [{"role": r.role, "skill": s.skill, "year": years[y], "prevalence": float(market.prevalence[i, j, y])}
                       for i, r in enumerate(market.roles) for j, s in enumerate(market.skills)
                       for y in range(len(years))],
    }


# ----------------------------------------------------------------------------------------------
# Specs
# ----------------------------------------------------------------------------------------------
def source_specs() -> dict[str, dict]:
    """The three source specs in the contract's format (paths relative to data/sources/)."""
    return {
        "salary_reports": {
            "name": "salary_reports", "kind": "salary_report", "format": "csv",
            "path": "../raw/salary_reports/*.csv",
            "fields": {"job_title": "job_title", "pay": "salary", "currency": "salary_currency",
                       "pay_period": "pay_period", "location": "location", "year": "work_year",
                       "seniority": "experience_level", "skills": "skills", "certifications": "certifications"},
            "values": {"seniority": dict(zip(SENIORITY_CODES, SENIORITIES))},
        },
        **{name: {
            "name": name, "kind": "job_posting", "format": "jsonl", "path": f"../raw/{name}/*.jsonl",
            "fields": {"record_id": "posting_id", "job_title": "title", "company": "company", "location": "location",
                       "pay_text": "salary", "date": "posted_at", "description": "description"},
        } for name in ("board_a", "board_b")},
    }


# ----------------------------------------------------------------------------------------------
# Entry point
# ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class GenerateResult:
    out: Path
    rows: int
    seed: int
    years: tuple[int, int]
    chunks: int
    rows_per_source: dict[str, int]
    raw_files: tuple[Path, ...]
    spec_files: tuple[Path, ...]
    truth_dir: Path
    seconds: float

    def __str__(self) -> str:
        per = ", ".join(f"{k} {v:,}" for k, v in self.rows_per_source.items())
        return (f"{self.rows:,} rows ({per}) in {self.chunks} chunk(s), seed {self.seed}, years "
                f"{self.years[0]}-{self.years[1]}; specs in {self.out / 'sources'}, truth in {self.truth_dir}; "
                f"{self.seconds:.1f} s")


def _chunk_sizes(rows: int) -> dict[str, int]:
    n_sr = int(round(rows * SOURCE_SHARES["salary_reports"]))
    n_a = int(round(rows * SOURCE_SHARES["board_a"]))
    n_b = rows - n_sr - n_a
    n_cross = int(round(n_b * CROSS_POST_SHARE))
    return {"salary_reports": n_sr, "board_a": n_a, "board_b_fresh": n_b - n_cross, "cross_posts": n_cross}


def generate_chunk(market: Market, ref: Reference, tables: Tables, fx: dict[str, np.ndarray], seed: int,
                   chunk: int, rows: int, chunk_rows: int) -> dict[str, SourceChunk]:
    """One chunk of rows of every source, from its own generator seeded by (seed, 1, chunk)."""
    rng = _seed_sequence(seed, 1, chunk)
    sizes = _chunk_sizes(rows)
    n_draws = sizes["salary_reports"] + sizes["board_a"] + sizes["board_b_fresh"]
    draws = draw_population(market, n_draws, rng)
    a_end = sizes["salary_reports"] + sizes["board_a"]
    part = f"part-{chunk:04d}"
    salary = salary_reports_chunk(market, ref, tables, draws.take(np.arange(sizes["salary_reports"])), rng,
                                  f"{part}.csv", fx)
    id_start = chunk * chunk_rows
    board_a = postings_chunk(market, ref, tables, draws.take(np.arange(sizes["salary_reports"], a_end)), rng,
                             "board_a", f"{part}.jsonl", "A", id_start)
    board_b = postings_chunk(market, ref, tables, draws.take(np.arange(a_end, n_draws)), rng,
                             "board_b", f"{part}.jsonl", "B", id_start)
    board_b = add_cross_posts(board_a, board_b, sizes["cross_posts"], rng, "B", id_start + sizes["board_b_fresh"])
    return {"salary_reports": salary, "board_a": board_a, "board_b": board_b}


def _write_raw(source: str, chunk: SourceChunk, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if source == "salary_reports":
        chunk.raw.write_csv(path)
    else:
        chunk.raw.write_ndjson(path)


def _clear(directory: Path, pattern: str) -> None:
    """Remove our own earlier part files so that a smaller rerun leaves no stale parts behind."""
    if directory.exists():
        for stale in directory.glob(pattern):
            stale.unlink()


def generate_market(rows: int, seed: int, out: Path, years: tuple[int, int] = (2021, 2025),
                    chunk_rows: int = 1_000_000, ref: Reference | None = None) -> GenerateResult:
    """Write the seeded synthetic market under `out`: raw/, sources/ and truth/ (see module doc)."""
    started = time.perf_counter()
    if rows < 1 or chunk_rows < 1:
        raise ValueError("rows and chunk_rows must be positive")
    out = Path(out)
    ref = ref or load_reference()
    market = build_market(ref, seed, years)
    tables = build_tables(market, ref)
    fx = _fx_usd_per_unit(market)
    raw_dir, truth_dir, sources_dir = out / "raw", out / "truth", out / "sources"
    for source, ext in (("salary_reports", "csv"), ("board_a", "jsonl"), ("board_b", "jsonl")):
        _clear(raw_dir / source, f"part-*.{ext}")
    _clear(truth_dir / "records", "part-*.parquet")

    n_chunks = max(1, math.ceil(rows / chunk_rows))
    per_source = {s: 0 for s in SOURCES}
    clean = {s: 0 for s in SOURCES}
    junk: dict[str, dict[str, int]] = {s: {} for s in SOURCES}
    outliers: dict[str, dict[str, int]] = {s: {} for s in SOURCES}
    cross_posts = 0
    foreign = 0
    raw_files = []
    for chunk in range(n_chunks):
        size = min(chunk_rows, rows - chunk * chunk_rows)
        parts = generate_chunk(market, ref, tables, fx, seed, chunk, size, chunk_rows)
        records = []
        for source, part in parts.items():
            ext = "csv" if source == "salary_reports" else "jsonl"
            path = raw_dir / source / f"part-{chunk:04d}.{ext}"
            _write_raw(source, part, path)
            raw_files.append(path)
            records.append(part.records)
            rec = part.records
            per_source[source] += rec.height
            clean[source] += int((rec["status"] == "clean").sum())
            for status, counter in (("junk", junk[source]), ("outlier", outliers[source])):
                for kind, n in rec.filter(pl.col("status") == status).group_by("issue").len().iter_rows():
                    counter[kind] = counter.get(kind, 0) + n
            cross_posts += int((rec["status"] == "duplicate").sum())
            foreign += int((rec["currency_original"] != rec["currency_local"]).sum())
        truth_records = pl.concat(records).sort(["source", "row_number"])
        (truth_dir / "records").mkdir(parents=True, exist_ok=True)
        truth_records.write_parquet(truth_dir / "records" / f"part-{chunk:04d}.parquet", compression="zstd",
                                    statistics=True)

    sources_dir.mkdir(parents=True, exist_ok=True)
    spec_files = []
    for name, spec in source_specs().items():
        path = sources_dir / f"{name}.yaml"
        path.write_text(yaml.safe_dump(spec, sort_keys=True, allow_unicode=True, default_flow_style=False),
                        encoding="utf-8")
        spec_files.append(path)

    truth_dir.mkdir(parents=True, exist_ok=True)
    population_medians(market, ref).write_parquet(truth_dir / "cell_medians.parquet", compression="zstd",
                                                  statistics=True)
    premiums_frame(market).write_parquet(truth_dir / "premiums.parquet", compression="zstd", statistics=True)
    junk_totals: dict[str, int] = {}
    outlier_totals: dict[str, int] = {}
    for source in SOURCES:
        for kind, n in junk[source].items():
            junk_totals[kind] = junk_totals.get(kind, 0) + n
        for kind, n in outliers[source].items():
            outlier_totals[kind] = outlier_totals.get(kind, 0) + n
    params = market_parameters(market)
    truth = {
        "seed": seed, "rows": rows, "rows_total": sum(per_source.values()), "years": list(years),
        "projection_year": market.next_year, "chunk_rows": chunk_rows, "chunks": n_chunks,
        "rows_per_source": per_source, "clean_rows_per_source": clean,
        "junk": junk_totals, "junk_by_source": junk, "junk_total": sum(junk_totals.values()),
        "outliers": sum(outlier_totals.values()), "outliers_by_kind": outlier_totals, "outliers_by_source": outliers,
        "cross_post_duplicates": cross_posts, "foreign_currency_rows": foreign,
        "premiums": params.pop("premiums"), "growth": params.pop("growth"), "parameters": params,
        "model": {
            "log_pay": "country level + role effect + seniority effect + city effect + growth[role,country] * "
                       "(year - first year) + shock[role,country,year] + sum_k beta_k has_k + N(0, sigma^2)",
            "premium_pct": "100 * (exp(beta) - 1)",
            "projection_year": "trend plus that year's own shock (a separate seeded stream); AI-skill prevalence "
                               "trend extended, capped at 95 %",
            "truth_medians": "population medians of clean annual local pay (mixture of lognormals), not sample "
                             "medians; junk rows, injected outliers and cross-posts excluded",
            "fx": "foreign-currency salary reports converted with the yearly average ECB rate of work_year "
                  "(transforms.fx.yearly_fx)",
        },
    }
    (truth_dir / "truth.json").write_text(json.dumps(_rounded(truth), indent=2, sort_keys=True, ensure_ascii=False)
                                          + "\n", encoding="utf-8")
    return GenerateResult(out=out, rows=rows, seed=seed, years=tuple(years), chunks=n_chunks,
                          rows_per_source=per_source, raw_files=tuple(raw_files), spec_files=tuple(spec_files),
                          truth_dir=truth_dir, seconds=time.perf_counter() - started)


def _rounded(value):
    """Floats rounded to 12 significant digits so that truth.json reads well and stays stable."""
    if isinstance(value, float):
        return float(f"{value:.12g}")
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_rounded(v) for v in value]
    return value
