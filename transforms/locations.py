"""Locations (ISO codes, country names, free text) -> country / subdivision / city codes.

Accepted forms: ISO 3166-1 alpha-2/alpha-3 ("CA" is Canada when it stands alone), country
names and aliases ("United States", "UK"), free text "City, ST" ("San Francisco, CA" - a two-
letter code after a city is read as a US state or Canadian province first, so "CA" there is
California), "City, Province, Country", "Remote - Canada", known city names alone
("Bengaluru"), US state names alone ("Maryland"), "Province, Country" ("Ontario, Canada": the
province, no city). A two-letter code that is also a country's ISO code is that country when the
city before it is a known city of it and not of the state ("Berlin, DE" is Germany, "Toronto, CA"
Canada; "Dover, DE" stays Delaware). Abbreviations of three letters or more ("Ont", "PEI", "NWT",
regions.yaml's `subdivision_abbrevs`) name a province too. Countries beyond regions.yaml come from
pycountry; US and Canadian subdivisions not in regions.yaml come from pycountry's ISO 3166-2
list, so "Albuquerque, NM" gives US-NM and city "Albuquerque", "Denver, CO, USA" US-CO. regions.yaml's
`parse_only_cities` adds cities for parsing only, some under a country alone: "Tel Aviv, IL" is Israel
(not Illinois), "Amsterdam, NL" the Netherlands (not Newfoundland), "Dublin" Ireland; a known city's own
subdivision code or `subdivision_abbrevs` abbreviation wins ("Perth, WA"; "Recife, PE" is Brazil's Pernambuco, not
Prince Edward Island, "Belo Horizonte, MG" not Madagascar, "Monterrey, NL" Mexico's Nuevo León, not Newfoundland).
"Georgia" after a city is the US state unless the city is the country's ("Atlanta, Georgia"; "Tbilisi, Georgia").
Postal codes are dropped ("Denver, CO 80202", "Toronto, ON M5V 2T6", "75001 Paris").

Country first ("USA, NY, New York", "United States - New York - New York", "Remote - USA - Texas", "Germany
(Berlin)", "US-Remote (TX)", "Canada - Toronto, ON"): a first part naming a country, the last not, is read (country,
subdivision, city) in that order when the second part is a subdivision of it (a fourth part on is dropped:
"USA-CA-San Francisco-Office" is San Francisco), else the rest as written, then the country, whose part is so no
city. Not when the rest places another country ("Jersey, NJ", "Mexico, MO", "Peru, IN" stay US; "USA, CA" is
California), nor for a code shared with a state before neither a subdivision nor a known city ("DE, Leipzig"), nor
before an unknown upper-case code ("Canada, NAT", Job Bank's national rows, stays unplaced). A list of state codes
alone is the country ("Remote (NY, NJ, CT)", "Remote: CA, OR, WA": no subdivision, no city). Places excluded in
brackets are no place ("Remote - US Only (excluding CA, NY)" is the US; "Remote (except NY)" the excluded states'
country).

A subdivision of a country regions.yaml lists beyond the US and Canada (its hierarchy or `subdivision_abbrevs`: Mexico's
"Guadalajara, Jalisco"), after a city no other rule placed, names it:
regions.yaml's names and abbreviations ("Nuremberg, Bayern", "Geelong VIC", `subdivision_abbrevs` gives the German
Länder English names: "Dresden, Saxony"), pycountry's top-level names ("Cairns, Queensland", "Ahmedabad, Gujarat",
"Lille, Hauts-de-France") and upper-case codes of three letters or more ("Townsville, QLD"); only a name no other
country's subdivision has ("Chandigarh, Punjab": India's and Pakistan's, stays unplaced) and never before the US and
Canadian readings ("Victoria, BC", "Atlanta, Georgia"); counties are no names ("Raleigh, Durham" stays unplaced).
Once the country is named these names (and codes of two letters) name its subdivision whatever other countries share
them: "Queensland, Australia", "Punjab, India", "WA, Australia" are the province, no city; "Cairns, Queensland,
Australia" keeps AU-QLD (both had been city "Queensland" / no subdivision).

A code shared by a state and a country is the country, too, when the part before it names a subdivision of
that country and not of the state's ("Kingston, ON, CA", "Alberta, CA" are Canada; "Kochi, Kerala, IN" India, by
pycountry's subdivision names, which give a subdivision code only for regions.yaml's countries as above: IN-KL, but
"Córdoba, AR" is Argentina alone; "Ontario, CA" stays Ontario, California). ISO alpha-3 codes count only in upper case ("PER" is Peru, "and" / "per" are words).

Work arrangements ("Hybrid - Toronto, ON", "On-site") and leading prepositions ("Remote in Canada",
"Based in Berlin") are dropped. So are time zones, upper case only, with their offsets and words ("Remote (EST)",
"Toronto, ON (EST)", "UTC+1", "EST hours", "Eastern Time", "(WET)": EST had been Estonia), and a list of zone names
at the end ("Remote - US, Eastern or Central"); two-letter zones (PT, ET, CT,
MT: Portugal, Ethiopia, Malta), one or a list ("(ET, CT)", "(ET/PT)", "(CT or ET)"), only at the end, in
parentheses or after a dash, after remote work alone, a country or a state code ("Remote (PT)", "San Francisco, CA
(PT)", "Remote, US - ET", "New York, NY (ET, CT)"), or after a comma at the end after a country or a state code
("Remote, US, ET"; after remote work alone only ET: "Remote, ET" is no Ethiopia, "Remote, PT" stays Portugal), so
"PT", "Lisbon, PT" and "Billings (MT)" keep their codes. AT (Atlantic Time; Austria) is a zone only after Canada or
a province of it ("Halifax, NS (AT)"; "Remote (AT)" stays Austria). A code that is a state and a country outside
North America, left alone before a dropped zone, is the state ("Remote, MT (MT)" is Montana). A part that is only
"or" / "and" ("Toronto, ON, or Remote": not Oregon), an "or" / "and" between Remote and the value's start or end
("Portland, OR or Remote", "Remote or Toronto") and the missing-value marker "NA" (not Namibia; "Namibia", "NAM"
are) are dropped. A lone upper-case two-letter code that is no ISO country is a US state or Canadian province
("Remote, TX", "Remote - BC"; not "Remote OK"), one that is both stays the country ("Remote - DE"), as does ISO's
reading of a bare code generally.

Alternatives ("New York, NY; San Francisco, CA", "US/Canada", "Ottawa or Toronto, ON", "Toronto, ON / Montreal,
QC", "Seattle, WA and Portland, OR", "Berlin oder München", split at ";", "|", "/", " or ", ", or", ", and", "and" /
"&" after a two-letter upper-case code, German, French and Portuguese " oder ", " und ", " ou ") are read one by one: when they
agree on the country it is
kept, with the subdivision and the city only where they all agree; when they name different countries the
location is unplaced with "multiple_countries" (normalise rejects it as unknown_country, like any unplaced
location). Bare two-letter codes all subdivisions of one of the US and Canada, not all ISO countries, name that
country ("Remote - WA/OR/CA": CA is California; "CA/US", "DE/AT" stay multiple_countries). A bare two-letter code
that is a known city of a country another alternative names is that city ("SF/NYC/LA": Los Angeles, not Laos).
The rule holds only when
each alternative places on its own - the last one without the tail after its comma when no other has one
("Frankfurt/Main, Germany": "Main" does not): otherwise the whole value is read as one ("Minneapolis/St. Paul, MN"
is Minneapolis, US-MN; "Seattle or Portland" places nothing), unless the alternatives that place name a country
only, which is kept ("Mexico/LATAM", "Remote (EU/UK)"), or the whole places nothing and the alternatives that
place, all by a code or a subdivision rather than a known city alone, agree on a country, which is kept
("DC/Baltimore", "DC/NoVA"; "Seattle or Portland", "Bath or Bristol" stay unplaced). "Remote" itself is removed
first ("Toronto/Remote"); so are "possible" / "optional" after it ("Remote possible (Berlin)").

Filler words are no city: "Hybrid work in Boston, MA", "Temporarily Remote in Vancouver, BC", "Remote
(Must be based in Canada)", "Remote within the US" ("the" before a country's name), "US only", "Canada-wide",
"Deutschlandweit", "US Nationwide", "Remote within 50 miles of Chicago, IL", and parts that are no place: "Multiple
Locations, US", "Corporate Office - Chicago, IL", "Field Based - Texas", "Remote (US only) - must reside in PST".
Remote work in other languages counts ("100% remoto", "Teletrabajo", "Fernarbeit",
"Home-Office", "Mobiles Arbeiten", "Thuiswerken", "Praca zdalna", "work remotely", "Remote friendly"), as do country
names
pycountry lacks ("Holland", "Russia", "Turkey", "UAE", "Korea", "Italia", "Brasil", "Österreich", "Schweiz",
"Suisse", "Estados Unidos", "EE.UU.", "Alemania", "Reino Unido", "Sverige", "Danmark", "Irlande", "Japon":
`_EXTRA_COUNTRY_NAMES`) and pycountry's names with a comma ("Korea, Republic of"). A known city
named with another country's subdivision ("Hyderabad, Sindh": Pakistan's; "Cambridge, Cambridgeshire")
names no country rather than the city's usual one; a known city whose name is also its own state's, last after
an unknown place, is the state ("Santos, São Paulo": city Santos, not São Paulo). Two or more different known
cities are a list, not a city
("Bangalore, Chennai, Hyderabad", "Berlin, Hamburg": the country, the subdivision only when all share it, "Toronto,
Ottawa, ON" CA-ON; cities of different countries, "London, Paris", are "multiple_countries"), unless the last names
the others' subdivision ("Campinas, São Paulo"). A metro name before a country or a subdivision is its known city
("Greater Toronto Area, Canada", "Greater Manchester, England, United Kingdom").

A value nothing placed is tried once more as a subdivision abbreviation after a space ("Sydney NSW",
"Washington DC", "Surry Hills, Sydney NSW": city Surry Hills), a metro name around a known city, by the city's name
("Greater Toronto Area", "Seattle Metro Area", "LA Metro": not Laos), a
hyphenated metro's first known city ("Ottawa-Gatineau") or first "City ST" ("Washington DC-Baltimore
Area" is Washington, US-DC), or Workday's country first ("US-CA-San Francisco",
"CA-ON-Toronto", "USA - Atlanta"; a code shared with a state or province, "CA" / "DE", only before a
subdivision or a known city of the country: "DE - Leipzig" stays unplaced); what still names no country
stays unplaced ("Multiple locations").

Each distinct value is parsed once in Python; the caller joins back on `location`.
Errors: "no_country" (nothing names a country, e.g. "Remote"), "multiple_countries" (alternatives in
different countries, e.g. "US/Canada").
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import polars as pl
import pycountry

from transforms.reference import Reference

OUTPUT_SCHEMA = {
    "location": pl.String,
    "country_code": pl.String,
    "subdivision_code": pl.String,
    "city_name": pl.String,
    "is_remote": pl.Boolean,
    "location_error": pl.String,
}
_REMOTE = re.compile(r"(?:\b100\s*%\s*)?\b(?:fully\s+)?(?:remote(?:ly)?(?:[\s\-](?:first|friendly)|\s+(?:possible|optional))?"
                     r"|anywhere|work\s+from\s+home|wfh"
                     r"|telecommute|t[ée]l[ée]travail|home[\s\-]?office|[àa]\s+distance|work(?:ing)?\s+remotely"
                     # Spanish, Italian, Portuguese, German, Dutch, Polish: "100% remoto", "Fernarbeit"
                     r"|(?:(?:trabajo|trabalho|lavoro)\s+)?(?:(?:en|da)\s+)?remot[oa]|teletrabajo|tele-?arbeit"
                     r"|fernarbeit"
                     r"|mobiles?\s+arbeiten|thuiswerken|praca\s+zdalna|zdalnie|smart\s+working)\b", re.IGNORECASE)
_ARRANGEMENT = re.compile(r"\b(?:hybrid|hybride|on[\s\-]?site|in[\s\-]office|in[\s\-]person|office[\s\-]based|sur\s+site"
                          r"|en\s+pr[ée]sentiel)\b", re.IGNORECASE)
# "Hybrid work in Boston", "Temporarily Remote in Vancouver", "Remote (Must be based in Canada)": no city
# "work in Boston"
_LEADING_WORDS = re.compile(r"^(?:(?:must\s+be|based|located|work|working|temporarily|currently)\s+)*"
                            r"(?:in|within|across|from|throughout|au|aux|en|à|dans)\s+"
                            r"(?:\d+\s*(?:miles?|mi|km|kilomet(?:er|re)s?)\s+(?:of|from)\s+)?",  # "within 50 miles of"
                            re.IGNORECASE)
_METRO_WORDS = re.compile(r"^(?:greater|ville\s+de|city\s+of)\s+|\s+(?:metropolitan(?:\s+(?:area|region))?|metro(?:plex)?(?:\s+area)?|(?:bay\s+)?area|region)$",
                          re.IGNORECASE)
# postal codes, dropped before parsing: US ZIP ("CO 80202"), Canadian ("ON M5V 2T6"), British ("SW1A 2AA"),
# Dutch ("1012 AB"), and the 4-6 digit codes of Australia, Germany, France, India ("NSW 2000", "10115 Berlin")
_POSTAL = re.compile(r"\b(?:\d{5}-\d{4}|\d{4}\s?[A-Z]{2}(?![A-Za-z])|\d{4,6}"
                     r"|[ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z][\s\-]?\d[ABCEGHJ-NPRSTV-Z]\d"
                     r"|[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2})\b")
_SPLIT = re.compile(r"\s*[,;|/]\s*|\s+[-–—]\s+|\s*\(\s*|\s*\)\s*")
# time zones, dropped before parsing: "EST" is Estonia's alpha-3 code, "PT" Portugal's. Upper case only; with an
# offset ("UTC+1") and the words around them ("EST hours", "Eastern Time Zone", "+/- 3 hrs EST").
_TIMEZONE = re.compile(
    r"(?:[+±]\s*/?\s*-?\s*\d{1,2}\s*(?:hrs?|hours)\s+(?:of\s+)?)?"
    r"\b(?:[ECMPA]K?[SD]T|HST|GMT|UTC|CET|CEST|BST|IST|AEST|AEDT|ACST|ACDT|AWST|NZST|NZDT|SGT|JST|EET|EEST|WET|HKT|KST)"
    r"(?:\s*[+\-−±]\s*\d{1,2}(?::?\d{2})?)?(?![A-Za-z])(?:\s*(?:to|-|–)\s*(?=UTC|GMT))?"
    r"|(?i:\b(?:eastern|central|mountain|pacific|atlantic)(?:\s+(?:standard|daylight))?\s+time(?:\s*zones?)?\b)"
    r"|(?i:\b(?:eastern|central|mountain|pacific)\b(?=[^()]*\)))"  # "Remote - US (Eastern or Central)"
    # a list of them at the end: "Remote - US, Eastern or Central" (had been city "Eastern or Central")
    r"|(?i:\b(?:eastern|central|mountain|pacific)"
    r"(?:\s*(?:,|/|&|\bor\b|\band\b)\s*(?:eastern|central|mountain|pacific))+\s*$)"
    r"|(?i:(?<=[A-Z]{3})\s+(?:time\s*zones?|timezones?|tz|hours|hrs|working\s+hours|business\s+hours"
    r"|preferred|only)\b)")
# a two-letter time zone ("PT", "ET", "CT", "MT": Portugal, Ethiopia, -, Malta) at the end, in parentheses or after
# a dash; dropped only when what precedes it is remote work alone or ends in a country or a state/province code
# ("Remote (PT)", "San Francisco, CA (PT)", "Remote, US - ET"), not after a city ("Billings (MT)" is Montana)
# A list of them ("(ET, CT)", "(ET/PT)", "(CT or ET)") is dropped whole; "AT" (Atlantic Time, Austria) only after
# Canada or a Canadian province ("Halifax, NS (AT)"); after a comma at the very end only after a country or a state
# code ("Remote, US, ET"), or "ET" after remote work alone ("Remote, ET": not Ethiopia; "Remote, PT" stays Portugal)
_ZONE2 = r"(?:PT|ET|CT|MT|AT)"
_ZONES2 = _ZONE2 + r"(?:\s*(?:[,/&]|\b(?i:or|and)\b)\s*" + _ZONE2 + r")*"
_TIMEZONE2 = re.compile(r"(?:\s*\(\s*|\s+[-–—]\s+|(?P<comma>\s*[,:]\s*))(?P<zones>" + _ZONES2
                        + r")\s*(?P<close>\))?\s*$")
# alternatives: "New York, NY; San Francisco, CA", "US/Canada", "Ottawa or Toronto", "Toronto, ON, or Remote"
_ALTERNATIVES = re.compile(r"\s*[;|/]\s*|\s+(?:or|oder|und|ou)\s+|\s*,\s*(?:or|and)\s+"  # "Berlin oder München"
                           r"|(?<=\b[A-Z]{2})\s+(?:and|&)\s+")  # "Seattle, WA and Portland, OR"
# "or" / "and" between Remote and the end or the start of the value: "Portland, OR or Remote" ("OR or" had been no
# place), "PORTLAND, OR OR REMOTE", "Remote or Toronto"; Remote between alternatives keeps its "or" ("Remote, US or
# Remote, Canada")
_REMOTE_CONJUNCTION = re.compile(r"\s+(?:or|and|&|oder|und|ou)\s+(?:" + _REMOTE.pattern + r")\s*$|^\s*(?:"
                                 + _REMOTE.pattern + r")\s+(?:or|and|&|oder|und|ou)\s+", re.IGNORECASE)
# places excluded, in brackets: "Remote - US Only (excluding CA, NY)" (had been US-NY, city "US")
_EXCLUDED = re.compile(r"\(\s*(?:excluding|except|excl\.|not\s+in)\s+(?P<places>[^()]*)\)", re.IGNORECASE)
_CONJUNCTION = re.compile(r"^(?:or|and|&)(?:\s+|$)")  # a part "or" / "and Remote"; not "OR" (Oregon), "Or Yehuda"
_TRAILING_WORDS = re.compile(r"\s+(?:only|nationwide)$|(?:\s+|-)?(?:wide|weit)$", re.IGNORECASE)  # "US only",
# "Canada-wide", "US Nationwide"
# parts that are no place and no city: "Multiple Locations, US", "Corporate Office - Chicago, IL", "Field Based -
# Texas", "Remote (US only) - must reside in PST" (had been cities "Multiple Locations", "Corporate Office", ...)
_FILLER_PARTS = re.compile(r"(?:multiple|various|several|many|all|other|\d+)\s+locations?|nationwide"
                           r"|(?:corporate\s+|head\s+|main\s+)?(?:office|headquarters|hq)|field[\s\-]based"
                           r"|(?:must\s+)?(?:reside|live|be\s+based|be\s+located)\s+in(?:\s+(?:or|and))?",
                           re.IGNORECASE)
_MISSING = frozenset({"na"})  # "NA", "n/a" after "/" is split: a missing value, not Namibia

# country names pycountry and regions.yaml lack: common English ones and those in the country's own language
_EXTRA_COUNTRY_NAMES = {
    "Holland": "NL", "Nederland": "NL", "Russia": "RU", "Turkey": "TR", "UAE": "AE", "U.A.E.": "AE", "KSA": "SA",
    "Korea": "KR", "Republic of Korea": "KR", "España": "ES", "Espagne": "ES", "Spanien": "ES", "Italia": "IT",
    "Italie": "IT", "Italien": "IT", "Brasil": "BR", "Brésil": "BR", "Brasilien": "BR", "Österreich": "AT",
    "Autriche": "AT", "Schweiz": "CH", "Suisse": "CH", "Svizzera": "CH", "Belgique": "BE", "België": "BE",
    "Belgien": "BE", "Polska": "PL", "Polen": "PL", "Pologne": "PL", "Vatican": "VA", "Vatican City": "VA",
    "Ivory Coast": "CI", "Cape Verde": "CV", "Macau": "MO", "Hong Kong SAR": "HK", "Burma": "MM",
    "Swaziland": "SZ", "Palestine": "PS",
    # Spanish, Portuguese, French, Nordic: "Estados Unidos" and "EE.UU." had placed nothing
    "Estados Unidos": "US", "EE.UU.": "US", "EE. UU.": "US", "EEUU": "US", "Estados Unidos de América": "US",
    "Alemania": "DE", "Alemanha": "DE", "Reino Unido": "GB", "Sverige": "SE", "Suecia": "SE", "Suède": "SE",
    "Schweden": "SE", "Danmark": "DK", "Dinamarca": "DK", "Danemark": "DK", "Dänemark": "DK", "Irlande": "IE",
    "Irlanda": "IE", "Irland": "IE", "Japon": "JP", "Japão": "JP", "Francia": "FR", "Norge": "NO", "Suomi": "FI",
}
CODE_FIRST_COUNTRIES = ("US", "CA")  # "City, XX": XX is read as a state/province of these first
# cities of a state whose name is also a subdivision of the country sharing the state's code: "Ontario, CA" is
# Ontario, California, though "Alberta, CA" and "Quebec, CA" are Canada's provinces
_STATE_CITIES_NAMED_AS_REGIONS = frozenset({("US", "ontario")})


def _key(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


@dataclass(frozen=True)
class _Sub:
    country: str
    code: str


@dataclass(frozen=True)
class _Tables:
    countries: dict[str, str]  # name/alias/alpha-3 key -> alpha-2
    alpha3_only: frozenset[str]  # keys that are pycountry alpha-3 codes and no name: upper case only ("and", "est")
    alpha2: frozenset[str]
    sub_by_abbrev: dict[tuple[str, str], str]  # (country, abbrev key) -> subdivision code
    sub_by_name: dict[str, _Sub]  # name key -> subdivision (US/CA and regions.yaml)
    sub_names_in: dict[tuple[str, str], str]  # (country, name key) -> code
    cities: dict[str, tuple[str, str, str]]  # city key -> (country, subdivision code, canonical name)
    cities_in: dict[tuple[str, str], tuple[str, str]]  # (country, city key) -> (sub code, name)


@lru_cache(maxsize=8)
def _tables(ref: Reference) -> _Tables:
    countries: dict[str, str] = {}
    named: set[str] = set()
    for c in pycountry.countries:
        for name in (c.name, getattr(c, "official_name", None), getattr(c, "common_name", None), c.alpha_3):
            if name:
                countries.setdefault(_key(name), c.alpha_2)
                if name != c.alpha_3:
                    named.add(_key(name))
    for c in ref.countries:  # regions.yaml names win
        for name in (c.name, *c.aliases):
            countries[_key(name)] = c.code
            named.add(_key(name))
    for name, code in _EXTRA_COUNTRY_NAMES.items():
        countries.setdefault(_key(name), code)
        named.add(_key(name))
    alpha3_only = frozenset(_key(c.alpha_3) for c in pycountry.countries) - named
    sub_by_abbrev: dict[tuple[str, str], str] = {}
    sub_by_name: dict[str, _Sub] = {}
    sub_names_in: dict[tuple[str, str], str] = {}
    for country in CODE_FIRST_COUNTRIES:
        for s in pycountry.subdivisions.get(country_code=country) or []:
            abbrev = s.code.split("-", 1)[1]
            sub_by_abbrev[(country, _key(abbrev))] = s.code
            sub_by_name.setdefault(_key(s.name), _Sub(country, s.code))
            sub_names_in[(country, _key(s.name))] = s.code
            sub_names_in.setdefault((country, _key(abbrev)), s.code)  # "Denver, CO, USA", "CO, USA"
            # "Virgin Islands, U.S." is "Virgin Islands" within the US (BLS's area name), not alone: British ones too
            sub_names_in.setdefault((country, _key(s.name.split(",")[0])), s.code)
    for code, names in ref.subdivision_abbrevs:
        country = code.split("-", 1)[0]
        for name in names:
            sub_by_abbrev[(country, _key(name))] = code
            sub_names_in.setdefault((country, _key(name)), code)
            if len(_key(name)) > 2:  # "PEI" or "Yukon Territory" alone
                sub_by_name.setdefault(_key(name), _Sub(country, code))
    cities: dict[str, tuple[str, str, str]] = {}
    cities_in: dict[tuple[str, str], tuple[str, str]] = {}
    for c in ref.countries:
        for s in c.subdivisions:
            for name in (s.name,):
                sub_by_name.setdefault(_key(name), _Sub(c.code, s.code))
                sub_names_in[(c.code, _key(name))] = s.code
            for ab in s.abbrev:
                sub_by_abbrev[(c.code, _key(ab))] = s.code
                sub_names_in.setdefault((c.code, _key(ab)), s.code)
            for city in s.cities:
                for name in (city.name, *city.aliases):
                    cities.setdefault(_key(name), (c.code, s.code, city.name))
                    cities_in.setdefault((c.code, _key(name)), (s.code, city.name))
    for code, city in ref.parse_only_cities:  # after regions.yaml's cities, which win
        country_code = code.split("-", 1)[0]
        sub_code = code if "-" in code else None  # listed under a country alone: no subdivision
        for name in (city.name, *city.aliases):
            cities.setdefault(_key(name), (country_code, sub_code, city.name))
            cities_in.setdefault((country_code, _key(name)), (sub_code, city.name))
    return _Tables(countries=countries, alpha3_only=alpha3_only,
                   alpha2=frozenset(c.alpha_2 for c in pycountry.countries),
                   sub_by_abbrev=sub_by_abbrev, sub_by_name=sub_by_name, sub_names_in=sub_names_in,
                   cities=cities, cities_in=cities_in)


def _country_of(part: str, t: _Tables, *, bare: bool) -> str | None:
    """Country named by one part. A bare two-letter code is ISO alpha-2 only when `bare`."""
    stripped = re.sub(r"^the\s+", "", part.strip(), flags=re.IGNORECASE)  # "The Netherlands", "within the US"
    if len(stripped) == 2 and stripped.isalpha():
        if bare and stripped.upper() in t.alpha2:
            return stripped.upper()
        return t.countries.get(_key(stripped))  # "UK"
    if _key(stripped) in t.alpha3_only and not stripped.isupper():  # "and", "per", "Est": words, not codes
        return None
    return t.countries.get(_key(stripped))


def _subdivision_of(country: str, key: str, t: _Tables) -> str | None:
    """The subdivision of `country` that the name (or regions.yaml abbreviation) `key` names: regions.yaml's and
    pycountry's ("Kerala" in India, "Córdoba" in Argentina). Used only to decide a code shared by a state and a
    country: pycountry's names ("Mexico", "Galway", "Luxembourg" are also cities) give no subdivision code."""
    return t.sub_names_in.get((country, key)) or _pycountry_subdivisions(country).get(key)


@lru_cache(maxsize=64)
def _pycountry_subdivisions(country: str) -> dict[str, str]:
    return {_key(s.name): s.code for s in pycountry.subdivisions.get(country_code=country) or []}


def _country_name(code: str, t: _Tables) -> str | None:
    """A name of the country that parsing reads back as it ("United States", not "Korea, Republic of")."""
    country = pycountry.countries.get(alpha_2=code)
    for name in (getattr(country, "common_name", None), getattr(country, "name", None)):
        if name and "," not in name and t.countries.get(_key(name)) == code:
            return name
    return None


@lru_cache(maxsize=1)
def _subdivision_countries() -> dict[str, frozenset[str]]:
    """pycountry's subdivision names -> the countries that have one so named."""
    found: dict[str, set[str]] = {}
    for s in pycountry.subdivisions:
        found.setdefault(_key(s.name), set()).add(s.country_code)
    return {name: frozenset(codes) for name, codes in found.items()}


def _variants(parts: list[str], t: _Tables) -> list[str]:
    """Other readings of a location nothing else placed, tried in order: "Sydney NSW" / "Washington
    DC" (a subdivision abbreviation after a space) as "Sydney, NSW"; "Greater Toronto Area" / "Ville de Montréal" as
    "Toronto" / "Montréal"; "Ottawa-Gatineau" (a metro named by its cities) as its first city when known;
    Workday's country first ("US-CA-San Francisco", "CA-ON-Toronto", "USA - Atlanta") as "San Francisco, CA,
    United States" - a code that is also a state's or a province's ("CA", "DE") only before a subdivision of the
    country or a known city of it ("DE - Leipzig" stays unplaced)."""
    out = []
    segments = parts if len(parts) > 1 else [s.strip() for s in parts[0].split("-") if s.strip()] if parts else []
    if len(segments) >= 2:
        first, rest = segments[0], segments[1:]
        code = (_country_of(first, t, bare=True)
                if not re.fullmatch(r"[A-Za-z]{2,3}", first) or first.isupper() else None)
        shared = len(first) == 2 and any((c, _key(first)) in t.sub_by_abbrev for c in CODE_FIRST_COUNTRIES)
        name = _country_name(code, t) if code and not re.fullmatch(r"[A-Z]{2,3}", rest[-1]) else None  # "Canada, NAT"
        sub_first = bool(name) and len(rest) >= 2 and bool(
            _subdivision_of(code, _key(rest[0]), t) or pycountry.subdivisions.get(code=f"{code}-{rest[0].upper()}"))
        if name and (not shared or (code, _key(rest[-1])) in t.cities_in or sub_first):
            # "USA-CA-San Francisco-Office": the city is the third segment (had been "Office")
            out.append(", ".join([*((rest[1], rest[0]) if sub_first else reversed(rest)), name]))
    words = parts[-1].split() if parts else []
    if len(words) >= 2 and re.fullmatch(r"[A-Z.]{2,4}", words[-1]):  # decided by parsing it; Seek's "Surry Hills,
        out.append(", ".join([*parts[:-1], " ".join(words[:-1]), words[-1]]))  # Sydney NSW" too
    for i, part in enumerate(parts):
        bare = _METRO_WORDS.sub("", part).strip()
        if bare != part and _key(bare) in t.cities:  # a known city only: "Greater Victoria" is not Australia's
            # by its canonical name: "LA Metro" is Los Angeles ("LA" alone had been Laos)
            out.append(", ".join(parts[:i] + [t.cities[_key(bare)][2]] + parts[i + 1:]))
        first = bare.split("-")[0].strip()
        if "-" in bare and _key(first) in t.cities:
            out.append(", ".join(parts[:i] + [first] + parts[i + 1:]))
        elif "-" in bare and re.fullmatch(r"\S+(?:\s\S+)*\s[A-Z.]{2,4}", first):  # "Washington DC-Baltimore Area"
            out.append(", ".join(parts[:i] + [first.rsplit(" ", 1)[0], first.rsplit(" ", 1)[1]] + parts[i + 1:]))
    return out


def _parse_one(raw: str | None, t: _Tables, *, retry: bool = True
               ) -> tuple[str | None, str | None, str | None, bool, str | None]:
    if raw is None:
        return None, None, None, False, "no_country"
    is_remote = bool(_REMOTE.search(raw))
    excluded = _EXCLUDED.search(raw) if retry else None
    if excluded is not None:  # "Remote - US Only (excluding CA, NY)": read without; "Remote (except NY)" is the US
        answer = _parse_one(raw[:excluded.start()] + " " + raw[excluded.end():], t)
        codes = _clean_parts(excluded.group("places"))
        states = [c for c in CODE_FIRST_COUNTRIES if codes and all(
            re.fullmatch(r"[A-Z]{2}", p) and (c, _key(p)) in t.sub_by_abbrev for p in codes)]  # "CA": California
        inner = ((states[0], None, None, False, None) if len(states) == 1 else _parse_one(excluded.group("places"), t)
                 ) if answer[4] == "no_country" else answer
        return answer if inner is answer or inner[4] is not None else (inner[0], None, None, answer[3], None)
    text = _REMOTE_CONJUNCTION.sub(" ", raw)  # "Portland, OR or Remote": "OR or" is no place
    text = _POSTAL.sub(" ", _ARRANGEMENT.sub(" ", _REMOTE.sub(" ", text)))  # "Hybrid - Toronto, ON": no city "Hybrid"
    text = _TIMEZONE.sub(" ", text)
    two = _TIMEZONE2.search(text)
    if two is not None and _zone_may_follow(text[:two.start()], two, t):
        text = text[:two.start()]
        only = _clean_parts(text)
        code = only[0].strip() if len(only) == 1 else ""
        shared = next(((c, t.sub_by_abbrev[(c, _key(code))]) for c in CODE_FIRST_COUNTRIES
                       if (c, _key(code)) in t.sub_by_abbrev), None) if re.fullmatch(r"[A-Z]{2}", code) else None
        if shared is not None and code not in CODE_FIRST_COUNTRIES:  # "Remote, MT (MT)": Montana, not Malta
            return shared[0], shared[1], None, is_remote, None
    alternatives = [a for a in _ALTERNATIVES.split(text) if _key(a)] if retry else []
    if len(alternatives) > 1:  # "New York, NY; San Francisco, CA": each read alone
        return _parse_alternatives(text, alternatives, t, is_remote, retry)
    return _parse_text(text, t, is_remote, retry)


def _parse_alternatives(text: str, alternatives: list[str], t: _Tables, is_remote: bool, retry: bool
                        ) -> tuple[str | None, str | None, str | None, bool, str | None]:
    """A location of two or more alternatives ("New York, NY; San Francisco, CA", "US/Canada", "Remote - WA/OR/CA"):
    state codes of one country, else each alternative read alone (one country or "multiple_countries"), else the
    whole `text` (see the module docstring)."""
    codes = [p[0].strip() if len(p) == 1 else "" for p in map(_clean_parts, alternatives)]
    if all(re.fullmatch(r"[A-Z]{2}", c) for c in codes) and not all(c in t.alpha2 for c in codes):
        states = [s for s in CODE_FIRST_COUNTRIES if all((s, _key(c)) in t.sub_by_abbrev for c in codes)]
        if len(states) == 1:  # "Remote - WA/OR/CA": states, CA is California
            subs = {t.sub_by_abbrev[(states[0], _key(c))] for c in codes}
            return states[0], subs.pop() if len(subs) == 1 else None, None, is_remote, None
    read = [_parse_text(a, t, is_remote, retry) for a in alternatives]
    placed = [a for a in read if a[4] is None]
    # each alternative must place on its own ("Frankfurt/Main, Germany": "Main" does not, ", Germany" is the whole
    # value's tail); when one does not, the others' subdivision or city is not the value's: read whole
    # ("Minneapolis/St. Paul, MN" is Minneapolis as before, not St. Paul). Those placing a country only keep it
    # ("Mexico/LATAM", "Remote (EU/UK)").
    shared_tail = "," in alternatives[-1] and not any("," in a for a in alternatives[:-1])
    own = len(placed) == len(read) and (
        not shared_tail or _parse_text(alternatives[-1].split(",", 1)[0], t, is_remote, retry)[4] is None)
    if placed and (own or not any(a[1] or a[2] for a in placed)):
        read = placed
        if len({a[0] for a in read}) > 1 and own:  # "SF/NYC/LA": a bare code that is a known city of the others'
            as_city = [t.cities.get(_key(a)) if re.fullmatch(r"\s*[A-Z]{2}\s*", a) else None for a in alternatives]
            again = [(c[0], c[1], c[2], is_remote, None) if c else r for c, r in zip(as_city, read)]
            if len({a[0] for a in again}) == 1 and again[0][0] in {a[0] for a in read}:  # country (LA is Laos alone)
                read = again
        if len({a[0] for a in read}) > 1:  # "US/Canada": no one market
            return None, None, None, is_remote, "multiple_countries"
        same_sub = len({a[1] for a in read}) == 1
        same_city = same_sub and len({a[2] for a in read}) == 1
        first = read[0]
        return first[0], first[1] if same_sub else None, first[2] if same_city else None, is_remote, None
    whole = _parse_text(text, t, is_remote, retry)
    # nothing placed the whole: alternatives that place by a code or a subdivision, not a known city alone, keep
    # their one country ("DC/Baltimore", "DC/NoVA" had been no_country; "Seattle or Portland", "Bath or Bristol"
    # stay unplaced)
    explicit = [r for a, r in zip(alternatives, read) if r[4] is None
                and (len(parts := _clean_parts(a)) > 1 or _key(parts[0]) not in t.cities)]
    if whole[4] == "no_country" and explicit and len(placed) == len(explicit) \
            and len({r[0] for r in explicit}) == 1:
        return explicit[0][0], None, None, is_remote, None
    return whole


def _zone_may_follow(before: str, zone: re.Match, t: _Tables) -> bool:
    """Whether two-letter time zones (`zone`, a _TIMEZONE2 match) may end `before` + zone: after nothing but remote
    work, a country, or a state/province code ("Remote (PT)", "Remote, US - PT", "San Francisco, CA (PT)"), not after
    a city ("Billings (MT)"); "AT" only after Canada or a province of it ("Halifax, NS (AT)", not "Remote (AT)"); after
    a comma at the end ("Remote, US, ET") not after remote work alone but for "ET" ("Remote, ET"; "Remote, PT" and
    "Remote, CT" stay Portugal and Connecticut)."""
    parts = [p.strip(" .-–—:(") for p in _SPLIT.split(before)]
    parts = [p for p in parts if p and _key(p)]
    zones = set(re.findall(_ZONE2, zone.group("zones")))
    if not parts:
        return "AT" not in zones and (not zone.group("comma") or zone.group("close") is not None or zones == {"ET"})
    last = parts[-1]
    if "AT" in zones:
        return _country_of(last, t, bare=True) == "CA" or ("CA", _key(last)) in t.sub_names_in
    if _country_of(last, t, bare=True) is not None:
        return True
    return bool(re.fullmatch(r"[A-Z]{2}", last)) and any((c, _key(last)) in t.sub_by_abbrev
                                                         for c in CODE_FIRST_COUNTRIES)


def _clean_parts(text: str) -> list[str]:
    """The comma / bracket / dash parts of `text` without leading prepositions, conjunctions, "only" and "NA"."""
    parts = [_LEADING_WORDS.sub("", p.strip(" .-–—:")) for p in _SPLIT.split(text)]  # "(Remote) in Canada"
    parts = [_CONJUNCTION.sub("", p) for p in parts]  # "Toronto, ON, or Remote": no Oregon, no Andorra
    parts = [p for p in parts if not _FILLER_PARTS.fullmatch(p.strip())]  # "Multiple Locations, US"
    parts = [_TRAILING_WORDS.sub("", p) for p in parts]
    return [p for p in parts if p and _key(p) and _key(p) not in _MISSING]


def _parse_text(text: str, t: _Tables, is_remote: bool, retry: bool
                ) -> tuple[str | None, str | None, str | None, bool, str | None]:
    whole = t.countries.get(_key(text)) if "," in text else None
    if whole is not None:  # pycountry's "Korea, Republic of", "Moldova, Republic of"
        return whole, None, None, is_remote, None
    parts = _clean_parts(text)
    answer = _parse_parts(parts, t, is_remote)
    if answer[4] is not None and retry:
        for variant in _variants(parts, t):
            again = _parse_one(variant, t, retry=False)
            if again[4] is None:
                return again[0], again[1], again[2], is_remote, None
    return answer


def _parse_parts(parts: list[str], t: _Tables, is_remote: bool
                 ) -> tuple[str | None, str | None, str | None, bool, str | None]:
    if not parts:
        return None, None, None, is_remote, "no_country"
    country = sub = city = None
    if len(parts) >= 2 and all(re.fullmatch(r"[A-Z]{2}", p.strip()) for p in parts) \
            and not all(p.strip() in t.alpha2 for p in parts):
        states = [c for c in CODE_FIRST_COUNTRIES if all((c, _key(p)) in t.sub_by_abbrev for p in parts)]
        if len(states) == 1:  # "Remote (NY, NJ, CT)": the country ("NY" had been the city of US-NJ)
            subs = {t.sub_by_abbrev[(states[0], _key(p))] for p in parts}
            return states[0], subs.pop() if len(subs) == 1 else None, None, is_remote, None
    listed = _city_list(parts, t)
    if listed is not None:  # "Bangalore, Chennai, Hyderabad", "Berlin, Hamburg": no one city
        return (*listed[:2], None, is_remote, None) if listed[0] else (None, None, None, is_remote, listed[2])
    first_country = _country_first(parts, t, is_remote)
    if first_country is not None:
        parts = first_country
    rest = list(parts)
    if len(parts) == 1:
        only = parts[0]
        key = _key(only)
        country = _country_of(only, t, bare=True)
        if country is None and key in t.cities:
            country, sub, city = t.cities[key]
        elif country is None and key in t.sub_by_name:
            country, sub = t.sub_by_name[key].country, t.sub_by_name[key].code
        elif country is None and re.fullmatch(r"[A-Z]{2}", only.strip()) and key != "ok":  # "Remote, TX": a state's
            country, sub = next(((c, t.sub_by_abbrev[(c, key)]) for c in CODE_FIRST_COUNTRIES
                                 if (c, key) in t.sub_by_abbrev), (None, None))
        return (country, sub, city, is_remote, None) if country else (None, None, None, is_remote, "no_country")
    last = rest[-1]
    last_key = _key(last)
    known = t.cities.get(_key(rest[0])) if len(rest) == 2 else None
    if known is not None and known[1] is not None and (known[1].split("-", 1)[1] == last.strip().upper()
                                                        or t.sub_by_abbrev.get((known[0], last_key)) == known[1]):
        return known[0], known[1], known[2], is_remote, None  # "Perth, WA", "Monterrey, NL": the known city's own code
    if len(last.strip()) == 2 and last.strip().isalpha():
        for code_country in CODE_FIRST_COUNTRIES:
            if (code_country, last_key) in t.sub_by_abbrev:
                country, sub = code_country, t.sub_by_abbrev[(code_country, last_key)]
                break
        rest = rest[:-1]
        iso = last.strip().upper()
        if country is None:
            country = _country_of(last, t, bare=True)
        elif rest and iso in t.alpha2 and iso != country:  # "Berlin, DE": a city of Germany, not Delaware
            city_key, before = _key(rest[0]), _key(rest[-1])
            if (country, city_key) not in t.cities_in and (iso, city_key) in t.cities_in:
                country, sub = iso, None
            elif ((country, before) not in t.sub_names_in and (country, before) not in t.cities_in
                  and (len(rest) > 1 or (country, before) not in _STATE_CITIES_NAMED_AS_REGIONS)
                  and _subdivision_of(iso, before, t)):
                country, sub = iso, None  # "Kingston, ON, CA", "Alberta, CA": a province of Canada, not California
    else:
        country = _country_of(last, t, bare=False)
        state = next(((c, t.sub_names_in[(c, last_key)]) for c in CODE_FIRST_COUNTRIES
                      if (c, last_key) in t.sub_names_in), None)
        if (country is not None and state is not None and state[0] != country
                and (country, _key(rest[-2])) not in t.cities_in):
            country, sub = state  # "Atlanta, Georgia": the state, unless the city is the country's ("Tbilisi, Georgia")
        if country is not None:
            rest = rest[:-1]
        elif last_key in t.sub_by_name:
            country, sub = t.sub_by_name[last_key].country, t.sub_by_name[last_key].code
            rest = rest[:-1]
        else:  # "Kingston, Ont", "Charlottetown, PEI"
            country = next((c for c in CODE_FIRST_COUNTRIES if (c, last_key) in t.sub_by_abbrev), None)
            if country is not None:
                sub, rest = t.sub_by_abbrev[(country, last_key)], rest[:-1]
            else:  # "Townsville, QLD", "Dresden, Saxony", "Ahmedabad, Gujarat": another regions.yaml country's
                other = _regional_subdivision(last, t)
                if other is not None:
                    (country, sub), rest = other, rest[:-1]
    if country is None:  # "Toronto, somewhere": a known city anywhere still names the country
        hit = next((t.cities[_key(p)] for p in parts if _key(p) in t.cities), None)
        elsewhere = _subdivision_countries().get(_key(parts[-1]), frozenset())
        if hit is None or (elsewhere and hit[0] not in elsewhere):  # "Hyderabad, Sindh" is not India's
            return None, None, None, is_remote, "no_country"
        country, sub, city = hit
        if hit is t.cities.get(_key(parts[-1])) and len(parts) >= 2 and _key(parts[0]) not in t.cities \
                and sub is not None and _pycountry_subdivisions(country).get(_key(parts[-1])) == sub:
            city = re.sub(r"\s+", " ", parts[0]).strip()  # "Santos, São Paulo": the state (had been city São Paulo)
        return country, sub, city, is_remote, None
    if sub is None and len(rest) >= 2:
        sub = _named_subdivision(country, rest[-1], t)  # "Cairns, Queensland, Australia" (had lost AU-QLD)
        if sub is not None:
            rest = rest[:-1]
    if len(rest) == 1 and (country, _key(rest[0])) not in t.cities_in:
        named = _named_subdivision(country, rest[0], t)  # "Queensland, Australia" (had been city "Queensland")
        if named is not None and sub in (None, named):  # "Ontario, Canada", "Alberta, AB": no city
            sub, rest = named, []
    if rest:
        known = t.cities_in.get((country, _key(rest[0])))
        if known is None:  # "Greater Toronto Area, Canada": Toronto (had been city "Greater Toronto Area")
            known = t.cities_in.get((country, _key(_METRO_WORDS.sub("", rest[0]))))
        if known is not None and (sub is None or known[0] == sub):
            sub, city = known
        else:
            city = re.sub(r"\s+", " ", rest[0]).strip()
    return country, sub, city, is_remote, None


def _city_list(parts: list[str], t: _Tables) -> tuple[str | None, str | None, str | None] | None:
    """(country, subdivision, None) when `parts` name two or more different known cities of one country ("Bangalore,
    Chennai, Hyderabad", "Berlin, München, Hamburg", "Toronto, Ottawa, ON"), the subdivision only when all are in it;
    (None, None, "multiple_countries") when of different countries ("London, Paris"); None when fewer than two:
    "Berlin, Berlin", "Brooklyn, New York" are one city, a last part naming the others' subdivision is no city
    ("Campinas, São Paulo"), two-letter codes are codes ("Perth, WA")."""
    found = [t.cities[_key(p)] for p in parts if _key(p) in t.cities and not re.fullmatch(r"[A-Z]{2}", p.strip())]
    if len({f[2] for f in found}) < 2:
        return None
    if _key(parts[-1]) in t.cities:  # "Campinas, São Paulo": the state of São Paulo
        code = _subdivision_of(found[-1][0], _key(parts[-1]), t)
        if code is not None and all(f[1] == code for f in found[:-1]):
            return None
    if len({f[0] for f in found}) > 1:
        return None, None, "multiple_countries"
    subs = {f[1] for f in found}
    return found[0][0], subs.pop() if len(subs) == 1 else None, None


def _country_first(parts: list[str], t: _Tables, is_remote: bool) -> list[str] | None:
    """`parts` reordered as "City, Subdivision, Country" when the first part names a country and the last does not
    ("USA, NY, New York", "Remote - USA - Texas", "Germany (Berlin)", "US (TX)", "Canada - Toronto, ON"): (country,
    subdivision, city) in that order when the second part is a subdivision of the country (a fourth part and on are
    dropped), else the rest as written before the country. None when the rest places another country ("Jersey, NJ",
    "Mexico, MO", "Peru, IN" stay US) or the first part is a code shared with a state or province ("CA", "DE") and the
    second neither a subdivision nor a known city of its country ("DE, Leipzig")."""
    if len(parts) < 2:
        return None
    first = parts[0].strip()
    if re.fullmatch(r"[A-Za-z]{2,3}", first) and not first.isupper():
        return None
    code = _country_of(first, t, bare=True)
    if code is None:
        return None

    def is_sub(part: str) -> bool:
        key = _key(part)
        return bool(_subdivision_of(code, key, t) or (len(key) <= 3 and part.strip().isupper()
                                                      and pycountry.subdivisions.get(code=f"{code}-{key.upper()}")))

    def own_code(part: str) -> bool:  # "USA, CA": California, not Canada; "USA - Atlanta - GA": Georgia, not Gabon
        return bool(re.fullmatch(r"[A-Z]{2}", part.strip())) and (code, _key(part)) in t.sub_names_in

    last = parts[-1].strip()
    if _country_of(last, t, bare=True) is not None and not own_code(last):
        return None  # "Berlin, Germany" as usual
    if re.fullmatch(r"[A-Z]{2,3}", last) and not is_sub(last):
        return None  # "Canada, NAT" (Job Bank's national rows) stays unplaced
    second = _key(parts[1])
    shared = len(first) == 2 and any((c, _key(first)) in t.sub_by_abbrev for c in CODE_FIRST_COUNTRIES)
    if shared and not is_sub(parts[1]) and (code, second) not in t.cities_in:
        return None
    if not (len(parts) == 2 and own_code(parts[1])):
        tail = _parse_parts(parts[1:], t, is_remote)
        if tail[4] is None and tail[0] != code:
            return None
    if is_sub(parts[1]):
        return [*([parts[2]] if len(parts) > 2 else []), parts[1], first]
    return [*parts[1:], first]


def _regional_subdivision(part: str, t: _Tables) -> tuple[str, str] | None:
    """The subdivision named by `part` of a country regions.yaml lists beyond the US and Canada (read before): by
    regions.yaml's names and abbreviations ("Bayern", "VIC", "Saxony"), pycountry's top-level names ("Queensland",
    "Gujarat", "Hauts-de-France") and codes of three letters or more, in upper case ("QLD"); only a name no other
    country's subdivision has ("Punjab" is India's and Pakistan's)."""
    key = _key(part)
    found = set()
    for country in _regional_countries(t):
        code = t.sub_names_in.get((country, key))
        if code is None:
            top = _top_subdivisions(country)
            code = top.get(key)
            if code is None and len(key) >= 3 and part.strip().isupper():
                code = f"{country}-{part.strip()}" if f"{country}-{part.strip()}" in top.values() else None
        if code is not None:
            found.add((country, code))
    elsewhere = _subdivision_countries().get(key, frozenset())
    if len(found) != 1 or any(c != next(iter(found))[0] for c in elsewhere):
        return None
    return found.pop()


def _named_subdivision(country: str, part: str, t: _Tables) -> str | None:
    """The subdivision of `country` that `part` names: regions.yaml's names and abbreviations and, for the US and
    Canada, pycountry's names and codes (`sub_names_in`); for the other countries regions.yaml lists, pycountry's
    top-level names ("Queensland", "Gujarat", "Jalisco") and upper-case codes ("QLD", "WA" once the country is
    named: "WA, Australia"). The country is given, so a name other countries' subdivisions share names it too
    ("Punjab, India")."""
    code = t.sub_names_in.get((country, _key(part)))
    if code is not None or country in CODE_FIRST_COUNTRIES or country not in _regional_countries(t):
        return code
    top = _top_subdivisions(country)
    code = top.get(_key(part))
    coded = f"{country}-{part.strip()}"
    if code is None and part.strip().isupper() and coded in top.values():
        code = coded
    return code


def _regional_countries(t: _Tables) -> tuple[str, ...]:
    return tuple(sorted({sub.split("-", 1)[0] for sub in t.sub_names_in.values()} - set(CODE_FIRST_COUNTRIES)))


@lru_cache(maxsize=64)
def _top_subdivisions(country: str) -> dict[str, str]:
    return {_key(s.name): s.code for s in pycountry.subdivisions.get(country_code=country) or [] if not s.parent_code}


def parse_locations_in(pairs: pl.DataFrame, ref: Reference) -> pl.DataFrame:
    """One row per distinct (`location`, `context`) of `pairs`, `context` being the ISO alpha-2 code of the country the
    row's own country column gives (null when the source has none): OUTPUT_SCHEMA's columns and `context`.

    The country is context, as a geocoder's country filter: a location read alone as another country's, or as no
    place, is read as "{location}, {country}" ("Georgia" with US is the state US-GA, not the country Georgia;
    "Puerto Rico", "Guam", "Virgin Islands" with US are US-PR, US-GU, US-VI; "GA" or "CA" with US are Georgia and
    California, not Gabon and Canada; "Punjab" with IN is IN-PB; "WA" with AU is Western Australia) - kept only when
    that reading places a subdivision or a known city of the country, so that no unknown name becomes a city of it
    ("Victoria" with CA, "London" with CA, "Limburg" with NL, "Jersey" with US, "Córdoba" with ES: the country alone,
    as a contradicting location always was; Job Bank's "Northern" stays no city). A location read alone in the
    row's country keeps that reading: "Washington" with US is the state (DC is "Washington, DC"), and "New York"
    with US the city, as "New York, USA" and "New York" alone are: a known city named alone is the city, as postings
    mean it, though a source of state figures (BLS) then puts New York State's in the city cell."""
    t = _tables(ref)
    distinct = (pairs.select(pl.col("location").cast(pl.String), pl.col("context").cast(pl.String)).unique()
                .sort("location", "context", nulls_last=True))
    rows = [(value, context, *_parse_in(value, context, t)) for value, context in distinct.iter_rows()]
    return pl.DataFrame(rows, schema={"location": pl.String, "context": pl.String,
                                      **{k: v for k, v in OUTPUT_SCHEMA.items() if k != "location"}}, orient="row")


def _parse_in(raw: str | None, country: str | None, t: _Tables
              ) -> tuple[str | None, str | None, str | None, bool, str | None]:
    """`raw` read with the row's country as context (see parse_locations_in)."""
    alone = _parse_one(raw, t)
    name = _country_name(country, t) if country is not None and raw is not None and alone[0] != country else None
    if name is None:
        return alone
    local = _parse_one(f"{raw}, {name}", t)
    if (local[4] is None and local[0] == country and (local[1] is not None or local[2] is not None)
            and (local[2] is None or (country, _key(local[2])) in t.cities_in)):
        return local[0], local[1], local[2], alone[3], None
    return alone


def parse_locations(values: pl.Series, ref: Reference) -> pl.DataFrame:
    """One row per distinct location: country_code (ISO alpha-2), subdivision_code (ISO 3166-2),
    city_name (canonical name when known, else as written), is_remote, location_error."""
    t = _tables(ref)
    distinct = values.cast(pl.String).unique().sort(nulls_last=True).to_list()
    rows = [(value, *_parse_one(value, t)) for value in distinct]
    return pl.DataFrame(rows, schema=OUTPUT_SCHEMA, orient="row")
