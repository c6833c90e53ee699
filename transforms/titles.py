"""Job title -> role (slug + label) and seniority, from data/reference/roles.yaml.

Titles are free text ("Sr. ML Engineer", "Director II, Data Science - GRM Actuarial"). The bulk
data has few distinct titles compared with rows, so each distinct title is matched once in
Python (rules, then rapidfuzz) and the caller joins the result back on `job_title`.
The matching steps and the taxonomy decisions are documented at the top of roles.yaml.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import polars as pl
from rapidfuzz import fuzz, process
from rapidfuzz.distance import Levenshtein

from transforms.reference import Reference, Role

FUZZY_CUTOFF = 88.0
FUZZY_CANDIDATES = 10
INFLECTIONS = ("s", "es", "ing")
# a plural job noun ("engineers", "developers", "scientists", "analysts", "architects", "technicians",
# "administrators", "consultants"): the plural names of occupations that official statistics publish
# (BLS OEWS "Software Developers", Job Bank NOC "Software engineers and designers") meet the keyword
# rules in the singular, as the singular title does; "sales", "analytics", "systems" are not such nouns
_PLURAL = re.compile(r"^[a-z]{3,}(?:er|or|ist|yst|ect|ian|ant|ent)s$")
STOPWORDS = frozenset({"of", "the", "for", "in", "a", "an", "at", "with", "and", "to", "on", "or",
                       # Romance-language "of"/"in"/"the": "Gerente de Ingeniería", "Estágio em Ciência de Dados"
                       "de", "del", "la", "los", "da", "do", "das", "dos", "em", "en", "di", "dei", "della",
                       "le", "des", "du"})
_SEGMENT_SPLIT = re.compile(r"\s+[-–—]\s*|\s*[-–—]\s+|[,|:;/]|\s+[-–—]")
_OR_SPLIT = re.compile(r"\s+or\s+")  # "Data scientist or machine learning specialist": the first one first; not "OR Tech"
_PARENS = re.compile(r"\([^)]*\)?|\[[^\]]*\]?")
_NON_WORD = re.compile(r"[^0-9a-z\u00c0-\u024f]+")
_WEAK_MARKER = re.compile(r"^(?:[ivx]+|\d+)$")

OUTPUT_SCHEMA = {
    "job_title": pl.String,
    "role": pl.String,
    "role_name": pl.String,
    "seniority": pl.String,
    "match_method": pl.String,
    "match_score": pl.Float64,
}


# French, German, Spanish, Portuguese, Italian, Polish and Dutch title words (Quebec, European and
# Latin American postings), and a few abbreviations, read as English before matching;
# keyword rules ignore word order, so "Ingénieur logiciel" -> "engineer software" meets [software,
# engineer] and "Analyste de données" -> "analyst de data" meets [data, analyst].
_PHRASES = tuple((re.compile(rf"\b{phrase}\b"), english) for phrase, english in (
    ("apprentissage automatique", "machine learning"), ("intelligence artificielle", "artificial intelligence"),
    ("bases? de données", "database"), ("science des données", "data science"),
    ("chef de projets?", "project manager"), ("gestionnaire de projets?", "project manager"),
    ("chef de produit", "product manager"), ("gestionnaire de produit", "product manager"),
    ("maschinelles lernen", "machine learning"), ("künstliche intelligenz", "artificial intelligence"),
    # Spanish, Portuguese, Italian, Polish
    ("aprendizaje automático", "machine learning"), ("aprendizado de máquina", "machine learning"),
    ("apprendimento automatico", "machine learning"), ("inteligencia artificial", "artificial intelligence"),
    ("inteligência artificial", "artificial intelligence"), ("intelligenza artificiale", "artificial intelligence"),
    ("inteligencia de negocios", "business intelligence"), ("ciencias? de (?:datos|dados)", "data science"),
    ("ciência de dados", "data science"), ("bases? de datos", "database"), ("banco de dados", "database"),
    ("bazy? danych", "database"), ("jefe de proyectos?", "project manager"),
    ("gerente de proyectos?", "project manager"), ("gerente de projetos?", "project manager"),
    ("kierownik projektu", "project manager"), ("l[ií]der t[eé]cnico", "tech lead"),
    # "IA" (AI) after a Romance "of"/"in" or job word only: not the state in "Des Moines, IA"
    (r"(de|em|en|di|d|ingénieur|ingenieur|ingeniero|ingeniera|engenheiro|engenheira|ingegnere|especialista) ia",
     r"\1 ai"),
))
# every phrase above holds one of these words: a title without any (nearly every English one) skips them
_PHRASE_WORDS = frozenset({
    "automatique", "artificielle", "données", "projet", "projets", "produit", "lernen", "intelligenz",
    "automático", "máquina", "automatico", "artificial", "artificiale", "negocios", "datos", "dados", "danych",
    "proyecto", "proyectos", "projeto", "projetos", "projektu", "técnico", "tecnico", "ia"})
_WORDS = {
    "ingénieur": "engineer", "ingénieure": "engineer", "ingenieur": "engineer", "ingenieurin": "engineer",
    "développeur": "developer", "développeuse": "developer", "developpeur": "developer", "entwickler": "developer",
    "entwicklerin": "developer", "analyste": "analyst", "scientifique": "scientist", "données": "data",
    "donnees": "data", "logiciel": "software", "logiciels": "software", "architecte": "architect",
    "chercheur": "researcher", "chercheuse": "researcher", "statisticien": "statistician",
    "statisticienne": "statistician", "administrateur": "administrator", "directeur": "director",
    "directrice": "director", "stagiaire": "intern", "alternant": "apprentice", "alternante": "apprentice",
    "werkstudent": "intern", "praktikant": "intern", "praktikantin": "intern", "confirmé": "experienced",
    "confirmée": "experienced", "expérimenté": "experienced", "expérimentée": "experienced",
    "softwareentwickler": "software developer", "softwareentwicklerin": "software developer",
    "datenanalyst": "data analyst", "datenanalystin": "data analyst", "dateningenieur": "data engineer",
    "datenwissenschaftler": "data scientist", "projektleiter": "project manager",
    "projektmanager": "project manager", "produktmanager": "product manager", "softwarearchitekt": "software architect",
    "datenbankadministrator": "database administrator", "softwareentwicklung": "software development",
    "ki": "ai",  # Künstliche Intelligenz: "KI-Entwickler", "KI-Ingenieur"
    "leiter": "head of", "leiterin": "head of", "teamleiter": "team lead", "teamleiterin": "team lead",
    "eng": "engineer", "engr": "engineer", "mgr": "manager",  # abbreviations: "Sr ML Eng", "Sr Mgr"
    "genai": "generative ai",  # "GenAI Developer" as "Generative AI Developer", not a bare Developer
    # Spanish and Portuguese ("Desarrollador Backend Senior", "Engenheiro de Dados Sênior")
    "desarrollador": "developer", "desarrolladora": "developer", "desenvolvedor": "developer",
    "desenvolvedora": "developer", "programador": "developer", "programadora": "developer",
    "ingeniero": "engineer", "ingeniera": "engineer", "engenheiro": "engineer", "engenheira": "engineer",
    "ingeniería": "engineering", "ingenieria": "engineering", "engenharia": "engineering",
    "datos": "data", "dados": "data", "científico": "scientist", "científica": "scientist",
    "cientifico": "scientist", "cientifica": "scientist", "cientista": "scientist", "analista": "analyst",
    "análisis": "analysis", "analisis": "analysis", "arquitecto": "architect", "arquitecta": "architect",
    "arquiteto": "architect", "arquiteta": "architect", "soluciones": "solutions", "soluções": "solutions",
    "gerente": "manager", "administrador": "administrator", "administradora": "administrator",
    "especialista": "specialist", "consultor": "consultant", "consultora": "consultant",
    "sênior": "senior", "sénior": "senior", "júnior": "junior",
    "practicante": "intern", "pasante": "intern", "estágio": "intern", "estagio": "intern",
    "estagiário": "intern", "estagiária": "intern", "estagiario": "intern", "estagiaria": "intern",
    # Italian
    "ingegnere": "engineer", "sviluppatore": "developer", "sviluppatrice": "developer",
    "programmatore": "developer", "programmatrice": "developer", "dati": "data", "architetto": "architect",
    "tirocinio": "intern", "tirocinante": "intern",
    # Polish
    "programista": "developer", "programistka": "developer", "inżynier": "engineer", "inzynier": "engineer",
    "danych": "data", "analityk": "analyst", "oprogramowania": "software", "starszy": "senior",
    "młodszy": "junior", "mlodszy": "junior", "stażysta": "intern", "stażystka": "intern", "praktykant": "intern",
    # Dutch and German
    "ontwikkelaar": "developer", "softwareontwikkelaar": "software developer", "analist": "analyst",
    "stagiair": "intern", "berater": "consultant", "beraterin": "consultant",
}


_SDE_LEVEL = re.compile(r"\bsde([1-5])\b")


def normalise_title(text: str) -> str:
    """Lower case, accents kept, '&' -> 'and', punctuation folded to single spaces, French and
    German title words in English ("développeur" -> "developer")."""
    text = unicodedata.normalize("NFKC", text).lower().replace("&", " and ")
    text = _NON_WORD.sub(" ", text).strip()
    text = _SDE_LEVEL.sub(r"sde \1", text)  # "SDE2" is "SDE 2"
    if not _PHRASE_WORDS.isdisjoint(text.split()):
        for pattern, english in _PHRASES:
            text = pattern.sub(english, text)
    return " ".join(_WORDS.get(word, word) for word in text.split())


def _tokens(text: str) -> list[str]:
    return [t for t in normalise_title(text).split() if t]


@dataclass(frozen=True)
class _Matcher:
    """Pre-normalised lookup tables built once per Reference."""

    aliases: dict[str, Role]
    keyword_rules: tuple[tuple[tuple[str, ...], Role], ...]
    keyword_exceptions: dict[str, tuple[str, ...]]  # role slug -> " phrase " (padded) stopping its rules
    non_tech: tuple[str, ...]  # " phrase " (padded): the catch-all's keyword_exceptions, see `_match_one`
    fields: dict[str, Role]
    generic_words: dict[str, frozenset[str]]  # generic role slug -> the words of its label and keyword rules
    markers: tuple[tuple[tuple[str, ...], str, int, bool], ...]  # words, level, rank, is_weak
    exceptions: tuple[tuple[str, ...], ...]
    choices: tuple[str, ...]
    choice_roles: tuple[Role, ...]
    marker_index: dict[str, tuple[int, ...]]  # first word -> positions in `markers`
    exception_index: dict[str, tuple[int, ...]]  # first word -> positions in `exceptions`


def _core(words: list[str]) -> str:
    return " ".join(w for w in words if w not in STOPWORDS)


@lru_cache(maxsize=8)
def _matcher(ref: Reference) -> _Matcher:
    aliases: dict[str, Role] = {}
    for role in ref.roles:
        for name in (role.label, *role.aliases):
            aliases.setdefault(_core(_tokens(name)), role)
    markers = _markers(ref)
    exceptions = tuple(phrase for phrase in (tuple(_tokens(p)) for p in ref.seniority_exceptions) if phrase)
    partial = _Matcher(aliases={}, keyword_rules=(), keyword_exceptions={}, non_tech=(), fields={}, generic_words={},
                       markers=markers, exceptions=exceptions,
                       choices=(), choice_roles=(), marker_index=_by_first_word(tuple(mk[0] for mk in markers)),
                       exception_index=_by_first_word(exceptions))
    for role in ref.roles:  # an alias holding a marker ("research associate") is met stripped
        for name in (role.label, *role.aliases):
            stripped = _strip(name, partial)[0]
            if stripped:
                aliases.setdefault(stripped, role)
    rules = [(tuple(_tokens(" ".join(words))), role, order)
             for order, role in enumerate(ref.roles) for words in role.keywords]
    rules.sort(key=lambda r: (-len(r[0]), r[2]))
    fields = {_core(_tokens(f)): role for role in ref.roles for f in role.fields}
    choices = tuple(aliases)
    exceptions_by_role = {role.role: tuple(f" {_core(_tokens(p))} " for p in role.keyword_exceptions)
                          for role in ref.roles if role.keyword_exceptions}
    return _Matcher(aliases=aliases, keyword_rules=tuple((w, r) for w, r, _ in rules),
                    keyword_exceptions=exceptions_by_role,
                    non_tech=tuple(f" {_core(_tokens(p))} " for p in ref.catch_all.keyword_exceptions), fields=fields,
                    generic_words={role.role: frozenset(_tokens(" ".join([role.label, *(w for ws in role.keywords for w in ws)])))
                                   for role in ref.roles if role.family == GENERIC_FAMILY},
                    markers=partial.markers, exceptions=partial.exceptions, choices=choices,
                    choice_roles=tuple(aliases[c] for c in choices), marker_index=partial.marker_index,
                    exception_index=partial.exception_index)


def _markers(ref: Reference) -> tuple[tuple[tuple[str, ...], str, int, bool], ...]:
    """(words, level, rank, is_weak) per marker, longest first so "head of" wins over "head"."""
    markers = []
    for rank, level in enumerate(ref.seniority_levels):
        for marker in level.markers:
            words = tuple(_tokens(marker))
            if words:
                markers.append((words, level.name, rank, bool(_WEAK_MARKER.match(" ".join(words)))))
    return tuple(sorted(markers, key=lambda m: -len(m[0])))


def _find(words: list[str], phrase: tuple[str, ...]) -> list[int]:
    if phrase[0] not in words:  # the common case, answered by one C-level scan
        return []
    n = len(phrase)
    return [i for i in range(len(words) - n + 1) if tuple(words[i:i + n]) == phrase]


def _by_first_word(phrases: tuple[tuple[str, ...], ...]) -> dict[str, tuple[int, ...]]:
    """First word -> positions of the phrases starting with it (in order)."""
    index: dict[str, list[int]] = {}
    for position, phrase in enumerate(phrases):
        index.setdefault(phrase[0], []).append(position)
    return {word: tuple(positions) for word, positions in index.items()}


def _present(index: dict[str, tuple[int, ...]], words: list[str]) -> list[int]:
    """Positions (in order) of the phrases whose first word is among `words`: the others cannot occur."""
    return sorted({p for word in set(words) for p in index.get(word, ())})


_LEVEL_BREAK = re.compile(r"[()\[\]]|\s+or\s+|" + _SEGMENT_SPLIT.pattern)
ROMAN_LEVELS = frozenset({"ii", "iii", "iv"})
LEVEL_WORDS = frozenset({"level", "lvl", "tier", "grade"})  # "Level 3 Software Developer"
# words a number or numeral after them is a version or a name of, not a level: "Python 3", "Title I"
NOT_LEVEL_AFTER = frozenset({"python", "web", "html", "java", "angular", "windows", "php", "type", "title",
                             "phase", "industry", "block", "mk", "mod",
                             # versions: "Vue 3", "Spark 3", "Swift 5", "Unreal Engine 5", ".NET 5", "HTTP/2"
                             "vue", "spark", "swift", "engine", "net", "bootstrap", "http", "soc",
                             # names and places: "Formula 1", "Channel 4", "Team 3", "Region 1", "Shift 2"
                             "formula", "channel", "team", "region", "building", "shift",
                             # pay bands of their own scale: NHS "Band 5" is the first qualified band,
                             # Australian "APS 5" a mid public-service level, not Lead
                             "band", "aps"})


def _words_and_ends(text: str) -> tuple[list[str], frozenset[int]]:
    """Tokens of `text` and the positions of the last token of each segment (split as `_segments`
    does, and at brackets): "Data Scientist II (Remote)" -> II ends its segment."""
    words: list[str] = []
    ends: set[int] = set()
    for piece in _LEVEL_BREAK.split(text):
        piece_words = _tokens(piece) if piece else []
        if piece_words:
            words.extend(piece_words)
            ends.add(len(words) - 1)
    return words, frozenset(ends)


def _level_position(words: list[str], i: int, ends: frozenset[int]) -> bool:
    """Whether a level number or numeral ("II", "3", "V") at `i` stands where a level does: after
    "level"/"tier"/"grade" starting the title or ending a segment ("Level 3 Software
    Developer", "Software Engineer Level 2"; not "Tier 1 Bank", "Level 4 Autonomy"), or last in
    its segment after a word ("Data Scientist II", "SDE-2", "Engineer II, Backend"). Not before
    another word ("3+ yrs exp", "3 Openings",
    "2 days in office", "1 year contract", "Python 3 Developer"), not after a stopword ("V&V"), a
    number or a version's or a name's word ("Python 3", "HTML 5", "Vue 3", "Formula 1", "Team 3"), nor
    after a pay scale's word ("Band 5", "APS 5": NOT_LEVEL_AFTER)."""
    previous = words[i - 1] if i else None
    if previous in LEVEL_WORDS:  # not "Tier 1 Bank", "Level 4 Autonomy"
        return i == 1 or i in ends
    after_word = (previous is not None and previous not in STOPWORDS
                  and previous not in NOT_LEVEL_AFTER and not previous.isdigit())
    # "II" / "III" / "IV" after a word are levels wherever the segment goes on ("Software Engineer
    # II Backend", "Data Scientist II at Amazon"); digits and "I" / "V" only at a segment's end
    return after_word and (i in ends or words[i] in ROMAN_LEVELS)


def _seniority(words: list[str], m: _Matcher, ends: frozenset[int] | None = None) -> tuple[str | None, set[int]]:
    """Seniority level of a tokenised title and the token positions its markers occupy.

    `ends`: positions ending a segment (`_words_and_ends`); a level number or numeral counts only
    in a level position (`_level_position`; every position ends a segment when not given)."""
    if ends is None:
        ends = frozenset(range(len(words)))
    protected: set[int] = set()
    for position in _present(m.exception_index, words):
        phrase = m.exceptions[position]
        for i in _find(words, phrase):
            protected.update(range(i, i + len(phrase)))
    used: set[int] = set()
    strong: list[tuple[int, str]] = []
    weak: list[tuple[int, str]] = []
    for position in _present(m.marker_index, words):
        phrase, level, rank, is_weak = m.markers[position]
        for i in _find(words, phrase):
            span = set(range(i, i + len(phrase)))
            if span & (protected | used) or (is_weak and not _level_position(words, i, ends)):
                continue
            used.update(span)
            (weak if is_weak else strong).append((rank, level))
    found = strong or weak
    return (max(found)[1] if found else None), used


_AI_ML = re.compile(r"\b(ai|ml)\s*/\s*(ai|ml)\b", re.IGNORECASE)  # "AI/ML" is one field, not two segments


def _segments(text: str) -> list[str]:
    """Segments of a title, lower case: split at " - ", ",", "/", "|", ":", ";" and a lower-case " or ";
    not at the slash of "AI/ML" ("AI/ML Data Scientist" is a Data Scientist, not "AI" and "ML Data
    Scientist")."""
    text = _AI_ML.sub(r"\1 \2", text)
    return [s.strip() for part in _OR_SPLIT.split(text) for s in _SEGMENT_SPLIT.split(part.lower()) if s and s.strip()]


GENERIC_FAMILY = "generic"


def _without(core: str, phrases: tuple[str, ...]) -> str:
    """`core` without the (padded) `phrases` it holds."""
    padded = f" {core} "
    for phrase in phrases:
        if phrase in padded:
            padded = padded.replace(phrase, " ")
    return " ".join(padded.split())


HEAD_NOUN_FAMILY = "product"  # product / project manager rules, see `_keyword`


def _keyword(core: str, m: _Matcher, *, generic: bool = False, holding: str | None = None) -> Role | None:
    """First keyword rule whose words all occur; generic roles only when `generic` (after fuzzy);
    only rules holding the word `holding` when given. Among rules of the same length, one of a
    product-family role holding the title's last word comes first: "Machine Learning Product
    Manager" is a Product Manager, not ([machine, learning]) a Machine Learning Engineer.

    A role's `keyword_exceptions` stop its rules: "Curriculum Developer" is not a Software Engineer
    (the alias "developer" still maps a bare "Developer")."""
    words = set(core.split())
    words |= {w[:-1] for w in words if _PLURAL.search(w)}  # "Software developers and programmers"
    padded = f" {core} "
    last = core.rsplit(" ", 1)[-1]
    first: tuple[tuple[str, ...], Role] | None = None
    for kw, role in m.keyword_rules:  # longest first
        if first is not None and len(kw) < len(first[0]):
            break
        if ((role.family == GENERIC_FAMILY) == generic and set(kw) <= words
                and (holding is None or holding in kw)
                and not any(p in padded for p in m.keyword_exceptions.get(role.role, ()))):
            if last in kw and role.family == HEAD_NOUN_FAMILY:
                return role  # "Machine Learning Product Manager", "Big Data Project Manager"
            first = first or (kw, role)
    return first[1] if first else None


def _strip(text: str, m: _Matcher) -> tuple[str, str | None, bool]:
    """Core words of one title segment without seniority markers, its level, exec flag."""
    words, ends = _words_and_ends(text)
    level, used = _seniority(words, m, ends)
    kept = [w for i, w in enumerate(words) if i not in used]
    return _core(kept), level, level == "Executive"


def _same_word(typed: str, meant: str) -> bool:
    """`typed` is `meant` misspelt or inflected: "lerning"/"learning", "controls"/"control", "testing"/"test".

    Both words of 4+ letters with the same first letter, at most one edit apart (two from 8 letters on);
    or one is the other plus s/es/ing. Short words are acronyms and must match exactly: "hair" is
    not "ai", "civil" not "cv", "lab" not "data"."""
    if typed == meant:
        return True
    short, long_ = sorted((typed, meant), key=len)
    if long_.startswith(short) and long_[len(short):] in INFLECTIONS and len(short) >= 4:
        return True
    if min(len(typed), len(meant)) < 4 or typed[0] != meant[0]:
        return False
    return Levenshtein.distance(typed, meant) <= (1 if max(len(typed), len(meant)) < 8 else 2)


def _misspelling_of(typed: list[str], meant: list[str]) -> bool:
    """Whether the title words `typed` are the alias words `meant` with typing slips, not other words.

    A fuzzy score alone matched "Hair Specialist" to "AI Specialist", "Civil Engineer" to "CV
    Engineer" and "Clinical Lab Scientist" to "Clinical Data Scientist" (O*NET's 56,560 alternate
    titles, tests/real/test_real_titles.py). Accepted: the same words in any order, each possibly
    misspelt or inflected (`_same_word`); words run together or split ("back end" / "backend"); one
    extra title word before a two-word alias matched whole ("UX Product Designer")."""
    if "".join(typed) == "".join(meant):
        return True
    left = list(typed)
    for word in meant:  # exact words first, in any order
        if word in left:
            left.remove(word)
    unmatched = [w for w in meant if w not in typed]
    if len(left) == len(unmatched) + 1 and len(meant) >= 2 and not unmatched:
        return True
    if len(left) != len(unmatched):
        return False
    return all(_same_word(t, w) for t, w in zip(left, unmatched))


INVERTED_HEADS_SKIPPED = frozenset({"manager"})  # "Manager, Data Science": a manager role's `fields` decide
INVERTED_HEADS_READ = {"tech": "engineer", "technical": "engineer"}  # "Tech Lead, ML": an ML engineer who leads


def _inverted(segments: list[str], m: _Matcher) -> tuple[Role, str] | None:
    """Role of a comma-inverted title ("Engineer, Machine Learning", "Sr. Scientist, Data",
    "Developer, AI"): a one-word first segment read after the second ("machine learning engineer"),
    when that names a specific role other than the first word's own; by alias, or by a keyword rule
    holding that word ("Lead Engineer, Data Platform" -> Data Engineer by [data, engineer], but not
    "Scientist, Quantitative Sciences" -> Quantitative Analyst by [quantitative]). "Tech"/"Technical"
    (of "Tech Lead, ML") is read "engineer": "ml engineer"."""
    if len(segments) < 2 or len(segments[0].split()) != 1 or segments[0] in INVERTED_HEADS_SKIPPED:
        return None
    head = segments[0]
    own = m.aliases.get(head)
    head = INVERTED_HEADS_READ.get(head, head)
    inverted = f"{segments[1]} {head}"
    role = m.aliases.get(inverted)
    if role is not None and role.family != GENERIC_FAMILY and role != own:
        return role, "alias"
    role = _keyword(inverted, m, holding=head)
    if role is not None and role != own:
        return role, "keyword"
    return None


MANAGER_WORDS = frozenset({"manager", "team", "group", "tech", "technical", "technology"})  # "Tech Manager, Data" is bare


def _field_words(core: str) -> str:
    """A manager/exec segment's core without "manager"/"team"/"tech": what it manages ("" when bare)."""
    return _core([w for w in core.split() if w not in MANAGER_WORDS])


def _field(core: str, m: _Matcher, two: bool = False) -> Role | None:
    """The manager role of the field a manager/exec segment names ("Head of Data Science",
    "Data Engineering Manager"); when `two` (the title holds "and"/"&"), of the first of two
    fields ("VP of Data Science & Analytics", "Director, Data Science & Machine Learning", "Head of
    Data & AI"; not "Analytics Engineering Manager")."""
    words = _field_words(core)
    if words in m.fields:
        return m.fields[words]
    split = words.split() if two else []
    for k in range(1, len(split)):
        head, tail = " ".join(split[:k]), " ".join(split[k:])
        if head in m.fields and tail in m.fields:
            return m.fields[head]
    return None


NOT_A_STAGE_BEFORE = frozenset({"early", "late", "seed", "growth", "multi", "final", "next", "back", "main", "sound"})


def _french_internship(words: list[str]) -> bool:
    """Whether the title holds the French "stage" (internship: "Stage - Data Analyst", "Ingénieur
    logiciel - stage"), not an English stage ("Early Stage", "Stage 2")."""
    return any(w == "stage" and (i == 0 or words[i - 1] not in NOT_A_STAGE_BEFORE)
               and (i + 1 == len(words) or not words[i + 1].isdigit()) for i, w in enumerate(words))


def _match_one(title: str, m: _Matcher, strip=None) -> tuple[Role | None, str | None, str, float]:
    """(role or None for catch-all, seniority, method, score) for one distinct title.

    `strip`: `_strip` for this matcher, possibly memoised (title segments repeat across titles).
    The French "stage" makes a title of a specific role without other marker Junior ("Stage Data
    Scientist"); in a title of a generic role or the catch-all it is an English stage ("Stage
    Manager", "Stage Technician"). "Student" likewise ("Student Data Analyst" is Junior; not
    "Student Success Manager")."""
    role, seniority, method, score = _match_role(title, m, strip)
    if seniority is None and role is not None and role.family != GENERIC_FAMILY:
        words = _tokens(title)
        if ("stage" in words and _french_internship(words)) or "student" in words:
            seniority = "Junior"
    return role, seniority, method, score


def _match_role(title: str, m: _Matcher, strip=None) -> tuple[Role | None, str | None, str, float]:
    """`_match_one` but the French "stage"."""
    strip = strip or (lambda text: _strip(text, m))
    clean = _PARENS.sub(" ", unicodedata.normalize("NFKC", title))
    all_words, ends = _words_and_ends(title)
    seniority, _ = _seniority(all_words, m, ends)
    full_core, _, _ = strip(clean)
    is_exec = seniority == "Executive"
    if (is_exec or "manager" in all_words) and not _field_words(full_core) and clean != title:
        # a bare manager/exec title with its field in brackets: "Manager (Data Science)" reads
        # "Manager, Data Science"
        clean = unicodedata.normalize("NFKC", title).replace("(", ",").replace("[", ",")
        clean = clean.replace(")", " ").replace("]", " ")
        full_core, _, _ = strip(clean)
    if not full_core:  # the title is only a marker word: "Associate", "Lead"
        role = m.aliases.get(_core(all_words))
        return (role, None, "alias", 100.0) if role else (None, seniority, "catch_all", 0.0)
    # a non-tech job is named in the head segment ("Technical Recruiter - Machine Learning", "Data
    # Center Engineer"); later segments and brackets name a team or a product ("Software Engineer,
    # Data Center Infrastructure", "Data Engineer (Recruiter Products)")
    # after a bare manager/exec segment the next one is the head ("Manager, Technical Recruiting
    # Instructor - AI", "Director, Teaching Assistant Program - Data Science")
    head_segments = _segments(clean)
    managing: list[str] = []  # the words of the bare manager/exec segments before the head ("Manager, Recruiter")
    while len(head_segments) > 1 and not _field_words(strip(head_segments[0])[0]):
        managing += strip(head_segments[0])[0].split()
        head_segments = head_segments[1:]
    padded = f" {_core(_tokens(head_segments[0]) if head_segments else all_words)} "
    non_tech = [p for p in m.non_tech if p in padded]
    head_nouns = {(strip(head_segments[0])[0].split() or [""])[-1], *managing} if non_tech and head_segments else set()

    def allowed(role: Role | None, alias: str | None = None) -> bool:
        """A title naming a non-tech job ("Data Science Recruiter", "Data Center Engineer") gets no
        specific role but by an alias holding that phrase itself ("Sales Engineer"), and a generic
        one only by its head noun or a bare manager segment before it ("Data Center Engineer" is an
        Engineer, "Manager, Recruiter - ML" a Manager, "Data Scientist Recruiter" no Scientist)."""
        if role is None or not non_tech:
            return role is not None
        if role.family == GENERIC_FAMILY:
            return bool(head_nouns & m.generic_words.get(role.role, frozenset()))
        return alias is not None and all(p in f" {alias} " for p in non_tech)

    parts = [strip(s) for s in _segments(clean)]
    segments = [core for core, _, _ in parts if core]
    cores = [full_core] + segments
    named_head = False  # the first segment is a manager/exec segment naming something not a field
    if is_exec or "manager" in all_words:  # "Head of Data Science", "Sr. Manager, Data Science"
        # head segments hold the manager or executive word; another segment's field counts only
        # after a bare head ("Sr. Manager, Data Science", "Director II, Data Science"), not after
        # one naming something else ("Technical Product Manager, AI", "Director of Sales, AI")
        heads = [core for core, _, exec_ in parts if exec_ or "manager" in core.split()]
        bare = not heads or any(not _field_words(core) for core in heads)
        named_head = bool(parts) and parts[0][0] in heads and not bare
        named_core = parts[0][0] if named_head else ""
        if bare and len(parts) > 2 and parts[0][0] in heads and not _field_words(parts[0][0]):
            # a bare head followed by a segment naming something not a field: that segment is what
            # is managed, the later ones a team or product ("Director, Sales Engineering - AI",
            # "Director, Talent Acquisition - Data Science")
            second = parts[1][0]
            if (_field_words(second) and second not in heads and second not in m.aliases
                    and _field(second, m, two="and" in all_words) is None):  # not "Director, Research - AI"
                heads, bare, named_head = [second], False, True
                named_core = f"{parts[0][0]} {second}".strip()
        for i, core in enumerate(cores):
            if i and "manager" in core.split():  # "Product Manager, AI": the manager segment names a role of its own
                role = m.aliases.get(core)
                if role is not None and role.family != GENERIC_FAMILY and allowed(role, core):
                    return role, seniority, "alias", 100.0
            if i and not bare and core not in heads:
                continue
            role = _field(core, m, two="and" in all_words)
            if role is not None and allowed(role):
                return role, seniority, "alias", 100.0
    # a manager role's one-word field alias ("Data Lead", "Head of Data") names it in a title that manages
    managerial = is_exec or seniority == "Lead" or "manager" in all_words
    whole = full_core
    if named_head and len(segments) > 1:  # the other segments name what is sold, made or managed
        whole, segments, cores = named_core, [], [named_core]
    inverted = _inverted(segments, m)
    if inverted is not None and allowed(inverted[0], f"{segments[1]} {segments[0]}" if inverted[1] == "alias" else None):
        return inverted[0], seniority, inverted[1], 100.0
    first, rest = (segments[:1], segments[1:]) if len(segments) > 1 else ([], [])
    for core, rule in ([(whole, "alias")] + [(c, "alias") for c in first] + [(c, "keyword") for c in first]
                       + [(whole, "keyword")] + [(c, "alias") for c in rest] + [(c, "keyword") for c in rest]):
        if rule == "alias":
            role = m.aliases.get(core)
        elif core is whole and len(segments) > 1:  # a later segment's non-tech phrase lends no words:
            role = _keyword(_without(whole, m.non_tech), m)  # "Electrical Engineer - Data Centers"
        else:
            role = _keyword(core, m)
        if rule == "alias" and role is not None and m.fields.get(core) is role and not managerial:
            role = m.aliases.get(f"{core} specialist")  # "Data Intern", "Data Associate": not the Data Manager
        if role is not None and role.family == GENERIC_FAMILY and core in rest:
            continue  # "Environmental Engineer/Scientist": a later bare "Scientist" must not win
        if allowed(role, core if rule == "alias" else None):
            return role, seniority, rule, 100.0
    query = cores[1] if len(cores) > 1 else cores[0]
    for choice, score, index in process.extract(query, m.choices, scorer=fuzz.token_sort_ratio,
                                                score_cutoff=FUZZY_CUTOFF, limit=FUZZY_CANDIDATES):
        if m.fields.get(choice) is m.choice_roles[index] and not managerial:
            continue  # "Engineering Assistant": a field alias names the manager role only in a title that manages
        if _misspelling_of(query.split(), choice.split()) and allowed(m.choice_roles[index], choice):
            return m.choice_roles[index], seniority, "fuzzy", float(score)
    for core in first + [whole] + rest:  # "Spectral Scientist": a generic role is the last resort
        role = _keyword(core, m, generic=True)
        if role is not None and allowed(role):
            return role, seniority, "keyword", 100.0
    return None, seniority, "catch_all", 0.0


# Distinct titles whose answers `map_titles` remembers per Reference, across calls. A raw file is
# staged piece by piece (transforms.staging.stage_chunks) and the same titles recur in every piece
# and every file: at 1M rows a board's 350,000 postings hold 7,851 distinct titles, but its 8 pieces
# matched ~5,000 each: 2.1 of the 8.4 s the file took to stage and normalise (benchmarks, issue 9). Bounded: when
# full it starts again empty (~250 bytes a title, ~25 MB at the bound).
TITLE_MEMO_SIZE = 100_000


@lru_cache(maxsize=8)
def _remembered(ref: Reference) -> dict[str, tuple[Role | None, str | None, str, float]]:
    """title -> `_match_one`'s answer under `ref` (the answer depends on the title and `ref` only)."""
    return {}


def map_titles(values: pl.Series, ref: Reference) -> pl.DataFrame:
    """One row per distinct title: role slug, role_name, seniority (null if unknown), method, score.

    Null or blank titles map to the catch-all role. Python runs once per distinct title only, and
    not again for a title an earlier call matched (up to TITLE_MEMO_SIZE titles are remembered).
    """
    m = _matcher(ref)
    strip = lru_cache(maxsize=None)(lambda text: _strip(text, m))  # for this call's titles only
    memo = _remembered(ref)
    distinct = values.cast(pl.String).unique().sort(nulls_last=True)
    rows = []
    for title in distinct.to_list():
        if title is None or not title.strip():
            role, seniority, method, score = None, None, "catch_all", 0.0
        else:
            answer = memo.get(title)
            if answer is None:
                answer = _match_one(title, m, strip)
                if len(memo) >= TITLE_MEMO_SIZE:
                    memo.clear()
                memo[title] = answer
            role, seniority, method, score = answer
        role = role or ref.catch_all
        rows.append((title, role.role, role.label, seniority, method, score))
    return pl.DataFrame(rows, schema=OUTPUT_SCHEMA, orient="row")
