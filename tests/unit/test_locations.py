"""Unit tests for transforms.locations: codes, names and free-text locations."""
import polars as pl
import pytest

from transforms.locations import parse_locations
from transforms.reference import load_reference


def _one(value):
    row = parse_locations(pl.Series([value], dtype=pl.String), load_reference()).row(0, named=True)
    return row["country_code"], row["subdivision_code"], row["city_name"], row["is_remote"], row["location_error"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("CA", ("CA", None, None, False, None)),
        ("CAN", ("CA", None, None, False, None)),
        ("PL", ("PL", None, None, False, None)),
        ("United States", ("US", None, None, False, None)),
        ("Toronto, ON", ("CA", "CA-ON", "Toronto", False, None)),
        ("Vancouver, British Columbia, Canada", ("CA", "CA-BC", "Vancouver", False, None)),
        ("Remote - Canada", ("CA", None, None, True, None)),
        ("Bengaluru", ("IN", "IN-KA", "Bengaluru", False, None)),
        ("Bangalore, India", ("IN", "IN-KA", "Bengaluru", False, None)),
        ("San Francisco, CA", ("US", "US-CA", "San Francisco", False, None)),
        ("Albuquerque, NM", ("US", "US-NM", "Albuquerque", False, None)),
        ("London, UK", ("GB", "GB-ENG", "London", False, None)),
        ("Montreal, QC", ("CA", "CA-QC", "Montréal", False, None)),
        ("Maryland", ("US", "US-MD", None, False, None)),
        ("Lisbon, Portugal", ("PT", None, "Lisbon", False, None)),
        ("Remote", (None, None, None, True, "no_country")),
        ("", (None, None, None, False, "no_country")),
        (None, (None, None, None, False, "no_country")),
    ],
)
def test_locations_resolve_to_iso_codes(value, expected):
    assert _one(value) == expected


def test_ca_is_california_after_a_city_but_canada_alone():
    assert _one("San Diego, CA")[:2] == ("US", "US-CA")
    assert _one("CA")[:2] == ("CA", None)


def test_one_row_per_distinct_location():
    """Keyed by the location as written (null included), each row holding that location's own answer."""
    out = parse_locations(pl.Series(["Toronto, ON", "CA", "CA", None, "Remote - Canada"]), load_reference())
    assert out.select("location", "country_code", "subdivision_code", "city_name", "is_remote",
                      "location_error").rows() == [
        ("CA", "CA", None, None, False, None),
        ("Remote - Canada", "CA", None, None, True, None),
        ("Toronto, ON", "CA", "CA-ON", "Toronto", False, None),
        (None, None, None, None, False, "no_country"),
    ]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # "Province, Country" and "Province, ABBREV" name the province, not a city called "Ontario"
        ("Ontario, Canada", ("CA", "CA-ON", None)),
        ("Texas, United States", ("US", "US-TX", None)),
        ("Alberta, AB", ("CA", "CA-AB", None)),
        ("Quebec, Canada", ("CA", "CA-QC", None)),
        ("Washington, DC", ("US", "US-DC", "Washington")),  # another state's name stays the city
        ("New York, USA", ("US", "US-NY", "New York")),  # a known city stays the city
        ("Albany, New York, USA", ("US", "US-NY", "Albany")),
        # a code that is a state and a country: the country when the city is a known city of it
        ("Berlin, DE", ("DE", "DE-BE", "Berlin")),
        ("Bangalore, IN", ("IN", "IN-KA", "Bengaluru")),
        ("Toronto, CA", ("CA", "CA-ON", "Toronto")),
        ("Dover, DE", ("US", "US-DE", "Dover")),
        ("San Francisco, CA", ("US", "US-CA", "San Francisco")),
        # abbreviations of three letters or more, and regions.yaml's subdivision_abbrevs
        ("Charlottetown, PEI", ("CA", "CA-PE", "Charlottetown")),
        ("Yellowknife, NWT", ("CA", "CA-NT", "Yellowknife")),
        ("Whitehorse, YK", ("CA", "CA-YT", "Whitehorse")),
        ("Yukon Territory", ("CA", "CA-YT", None)),
        ("Kingston, Ont", ("CA", "CA-ON", "Kingston")),
        ("Regina, Sask", ("CA", "CA-SK", "Regina")),
        ("Victoria, B.C.", ("CA", "CA-BC", "Victoria")),
    ],
)
def test_provinces_abbreviations_and_codes_shared_by_a_state_and_a_country(value, expected):
    assert _one(value)[:3] == expected
    assert _one(value)[4] is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # a work arrangement is not a city; "in" before a country is not part of its name
        ("Hybrid - Toronto, ON", ("CA", "CA-ON", "Toronto", False)),
        ("On-site - Austin, TX", ("US", "US-TX", "Austin", False)),
        ("Anywhere in Canada", ("CA", None, None, True)),
        ("Remote in Canada", ("CA", None, None, True)),
        ("Based in Berlin", ("DE", "DE-BE", "Berlin", False)),
        # readings tried only when nothing else placed the location
        ("Sydney NSW", ("AU", "AU-NSW", "Sydney", False)),
        ("Washington DC", ("US", "US-DC", "Washington", False)),
        ("Washington, D.C.", ("US", "US-DC", "Washington", False)),
        ("Greater Toronto Area", ("CA", "CA-ON", "Toronto", False)),
        ("Seattle Metro Area", ("US", "US-WA", "Seattle", False)),
        ("Ottawa-Gatineau", ("CA", "CA-ON", "Ottawa", False)),
        ("Raleigh-Durham, NC", ("US", "US-NC", "Raleigh-Durham", False)),  # placed already: as written
    ],
)
def test_work_arrangements_prepositions_and_metro_names(value, expected):
    country, sub, city, remote, error = _one(value)
    assert (country, sub, city, remote) == expected and error is None


@pytest.mark.parametrize("value", ["Greater Sudbury", "Area 51", "Multiple locations", "Remote - EMEA"])
def test_unknown_places_stay_unplaced(value):
    assert _one(value)[4] == "no_country"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # French and German: remote work, arrangements, prepositions, country names
        ("Télétravail - Canada", ("CA", None, None, True)),  # had a city called "Télétravail"
        ("Teletravail au Canada", ("CA", None, None, True)),
        ("À distance (Canada)", ("CA", None, None, True)),
        ("Home Office - Berlin", ("DE", "DE-BE", "Berlin", True)),
        ("Hybride - Montréal", ("CA", "CA-QC", "Montréal", False)),
        ("Ville de Montréal", ("CA", "CA-QC", "Montréal", False)),
        ("Londres, Royaume-Uni", ("GB", None, "Londres", False)),
        ("Toronto, Kanada", ("CA", "CA-ON", "Toronto", False)),
        ("Montréal (Québec)", ("CA", "CA-QC", "Montréal", False)),
    ],
)
def test_french_and_german_location_words(value, expected):
    country, sub, city, remote, error = _one(value)
    assert (country, sub, city, remote) == expected and error is None


def test_a_city_abbreviation_reading_needs_an_upper_case_code():
    assert _one("Rue de Québec")[4] == "no_country"  # not a city "Rue de" in Quebec
    assert _one("Ville de Québec")[2] == "Québec City"  # a parse-only city's alias, not "Ville de"
    assert _one("Greater Victoria")[4] == "no_country"  # not Victoria, Australia


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # regions.yaml's parse_only_cities: a known city decides a code it shares with a state or a country
        ("Perth, WA", ("AU", "AU-WA", "Perth")),  # not Washington
        ("Adelaide, SA", ("AU", "AU-SA", "Adelaide")),  # not Saudi Arabia
        ("Brisbane, QLD", ("AU", "AU-QLD", "Brisbane")),
        ("Darwin, NT", ("AU", "AU-NT", "Darwin")),  # had been the Northwest Territories
        ("Yellowknife, NT", ("CA", "CA-NT", "Yellowknife")),
        ("Canberra ACT", ("AU", "AU-ACT", "Canberra")),
        ("Seattle, WA", ("US", "US-WA", "Seattle")),
        ("Frankfurt am Main", ("DE", "DE-HE", "Frankfurt")),  # aliases give the canonical name
        ("Köln", ("DE", "DE-NW", "Cologne")),
        ("Ville de Québec", ("CA", "CA-QC", "Québec City")),
        ("Gurgaon, Haryana", ("IN", "IN-HR", "Gurugram")),
        ("Noida, India", ("IN", "IN-UP", "Noida")),  # an aijobs-era location: now with its state
        ("London, ON", ("CA", "CA-ON", "London")),  # London is known in England: ON decides
        # listed under a country alone: the country's own code wins over a state's or a province's
        ("Tel Aviv, IL", ("IL", None, "Tel Aviv")),  # not Illinois
        ("Amsterdam, NL", ("NL", None, "Amsterdam")),  # not Newfoundland and Labrador
        ("Lima, PE", ("PE", None, "Lima")),  # not Prince Edward Island
        ("Bratislava, SK", ("SK", None, "Bratislava")),  # not Saskatchewan
        ("Jakarta, ID", ("ID", None, "Jakarta")),  # not Idaho
        ("Buenos Aires, AR", ("AR", None, "Buenos Aires")),  # not Arkansas
        ("Panama City, PA", ("PA", None, "Panama City")),  # not Pennsylvania
        ("Tel Aviv-Yafo, Israel", ("IL", None, "Tel Aviv")),
        ("Den Haag", ("NL", None, "The Hague")),
        ("Warszawa", ("PL", None, "Warsaw")),
        ("Dublin", ("IE", None, "Dublin")),  # hubs named alone had named no country
        ("São Paulo, SP", ("BR", "BR-SP", "São Paulo")),  # the city's own code
        # ... while the same names with a US state stay American
        ("Panama City, FL", ("US", "US-FL", "Panama City")),
        ("Cairo, IL", ("US", "US-IL", "Cairo")),
        ("Vienna, VA", ("US", "US-VA", "Vienna")),
        ("Warsaw, IN", ("US", "US-IN", "Warsaw")),
        ("Dublin, CA", ("US", "US-CA", "Dublin")),
        ("Amsterdam, NY", ("US", "US-NY", "Amsterdam")),
        ("Regina, SK", ("CA", "CA-SK", "Regina")),
    ],
)
def test_parse_only_cities(value, expected):
    assert _one(value)[:3] == expected and _one(value)[4] is None


def test_parse_only_cities_are_not_drawn_by_the_synthetic_market():
    from transforms.synthetic import build_market

    ref = load_reference()
    drawn = {ci.city.name for ci in build_market(ref, seed=1).cities}
    extra = {city.name for _, city in ref.parse_only_cities}
    assert extra and not drawn & extra


def test_parse_only_cities_are_listed_under_iso_codes():
    """Every key of regions.yaml's parse_only_cities is an ISO 3166-2 subdivision or an ISO
    3166-1 alpha-2 country (a string: YAML reads a bare NO, Norway, as false)."""
    import pycountry

    ref = load_reference()
    for code, city in ref.parse_only_cities:
        if "-" in code:
            assert pycountry.subdivisions.get(code=code) is not None, (code, city.name)
        else:
            assert pycountry.countries.get(alpha_2=code) is not None, (code, city.name)
    assert ("NO", "Oslo") in {(code, city.name) for code, city in ref.parse_only_cities}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # a US state or Canadian province code between a city and the country (pycountry's
        # subdivisions, not only regions.yaml's): the code had been dropped, or read as the city
        ("Denver, CO, USA", ("US", "US-CO", "Denver")),
        ("Fredericton, NB, Canada", ("CA", "CA-NB", "Fredericton")),
        ("CO, USA", ("US", "US-CO", None)),
        # postal codes are dropped: "Denver, CO 80202" had named no country
        ("Denver, CO 80202", ("US", "US-CO", "Denver")),
        ("Seattle, WA 98101-1234", ("US", "US-WA", "Seattle")),
        ("Toronto, ON M5V 2T6", ("CA", "CA-ON", "Toronto")),
        ("London SW1A 2AA", ("GB", "GB-ENG", "London")),
        ("75001 Paris, France", ("FR", "FR-IDF", "Paris")),
        ("10115 Berlin", ("DE", "DE-BE", "Berlin")),
        ("Amsterdam 1012 AB", ("NL", None, "Amsterdam")),
        ("Sydney NSW 2000", ("AU", "AU-NSW", "Sydney")),
        ("Bengaluru 560001", ("IN", "IN-KA", "Bengaluru")),
        # "Georgia" after a city: the US state unless the city is the country's
        ("Atlanta, Georgia", ("US", "US-GA", "Atlanta")),
        ("Athens, Georgia", ("US", "US-GA", "Athens")),
        ("Tbilisi, Georgia", ("GE", None, "Tbilisi")),
        ("Georgia", ("GE", None, None)),  # a country's name alone is the country
    ],
)
def test_state_codes_postal_codes_and_georgia(value, expected):
    assert _one(value)[:3] == expected and _one(value)[4] is None


@pytest.mark.parametrize("value", ["12345", "M5V 2T6", "-1"])
def test_a_postal_code_alone_names_no_country(value):
    assert _one(value)[4] == "no_country"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # time zones are dropped: "EST" had been Estonia (alpha-3), "PT" Portugal, "ET" Ethiopia, "MT" Malta
        ("Remote (EST)", (None, None, None, True, "no_country")),
        ("Remote - EST", (None, None, None, True, "no_country")),
        ("Toronto, ON (EST)", ("CA", "CA-ON", "Toronto", False, None)),
        ("New York, NY (EST)", ("US", "US-NY", "New York", False, None)),
        ("Toronto, ON, Canada (EST)", ("CA", "CA-ON", "Toronto", False, None)),
        ("Remote - Canada (EST)", ("CA", None, None, True, None)),
        ("Remote - Canada, EST hours", ("CA", None, None, True, None)),  # had named no country
        ("Remote - US (EST hours)", ("US", None, None, True, None)),
        ("Remote US (EST preferred)", ("US", None, None, True, None)),
        ("Remote - US (PST)", ("US", None, None, True, None)),
        ("Canada - Remote (Eastern Time)", ("CA", None, None, True, None)),
        ("Remote (UTC+1)", (None, None, None, True, "no_country")),
        ("Remote (UTC-5 to UTC-8)", (None, None, None, True, "no_country")),  # had been Tonga ("to")
        ("Remote (+/- 3 hrs EST)", (None, None, None, True, "no_country")),
        ("Remote (PT)", (None, None, None, True, "no_country")),
        ("Remote (ET)", (None, None, None, True, "no_country")),
        ("Remote (MT)", (None, None, None, True, "no_country")),
        ("Remote - US (PT)", ("US", None, None, True, None)),
        ("Remote, US - ET", ("US", None, None, True, None)),
        ("Remote (USA, PT)", ("US", None, None, True, None)),
        ("San Francisco, CA (PT)", ("US", "US-CA", "San Francisco", False, None)),
        # ... while the same two letters as a code stay the code
        ("PT", ("PT", None, None, False, None)),
        ("MT", ("MT", None, None, False, None)),
        ("Lisbon, PT", ("PT", None, "Lisbon", False, None)),
        ("Billings, MT", ("US", "US-MT", "Billings", False, None)),
        ("Billings (MT)", ("US", "US-MT", "Billings", False, None)),  # after a city: the state
        ("Hartford (CT)", ("US", "US-CT", "Hartford", False, None)),
        ("Tallinn, Estonia", ("EE", None, "Tallinn", False, None)),
    ],
)
def test_time_zones_are_not_countries(value, expected):
    assert _one(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # alpha-3 codes only in upper case: "and" had been Andorra
        ("and", (None, None, None, False, "no_country")),
        ("Per", (None, None, None, False, "no_country")),
        ("PER", ("PE", None, None, False, None)),
        ("CAN", ("CA", None, None, False, None)),
        # a leftover "or" / "and" is no place: "Toronto, ON, or Remote" had been Oregon, "..., and Remote" Andorra
        ("Toronto, ON, or Remote", ("CA", "CA-ON", "Toronto", True, None)),
        ("London, or remote", ("GB", "GB-ENG", "London", True, None)),
        ("Toronto, ON, and Remote", ("CA", "CA-ON", "Toronto", True, None)),
        ("Boston, MA, or Remote", ("US", "US-MA", "Boston", True, None)),
        ("Remote, or Toronto", ("CA", "CA-ON", "Toronto", True, None)),  # had named no country
        ("Portland, OR", ("US", "US-OR", "Portland", False, None)),  # upper-case OR is Oregon
        ("Portland OR", ("US", "US-OR", "Portland", False, None)),
        ("Trinidad and Tobago", ("TT", None, None, False, None)),
        ("Newfoundland and Labrador, NL", ("CA", "CA-NL", None, False, None)),
        ("Vancouver Island and Coast, BC", ("CA", "CA-BC", "Vancouver Island and Coast", False, None)),
        # "NA" is a missing value, not Namibia
        ("NA", (None, None, None, False, "no_country")),
        ("na", (None, None, None, False, "no_country")),
        ("Remote - NA", (None, None, None, True, "no_country")),
        ("Remote (EMEA/NA)", (None, None, None, True, "no_country")),
        ("Namibia", ("NA", None, None, False, None)),
        ("NAM", ("NA", None, None, False, None)),
    ],
)
def test_conjunctions_missing_markers_and_lower_case_codes(value, expected):
    assert _one(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # a two-letter code alone after "Remote": a state or province when it is no ISO country (had no country)
        ("Remote, TX", ("US", "US-TX", None, True, None)),
        ("Remote, NY", ("US", "US-NY", None, True, None)),
        ("Remote - NJ", ("US", "US-NJ", None, True, None)),
        ("Remote, ON", ("CA", "CA-ON", None, True, None)),
        ("Remote - BC", ("CA", "CA-BC", None, True, None)),
        # ISO first when the code is both: unchanged
        ("Remote - DE", ("DE", None, None, True, None)),
        ("Remote, CO", ("CO", None, None, True, None)),
        ("Remote, IN", ("IN", None, None, True, None)),
        ("Remote OK", (None, None, None, True, "no_country")),  # "OK" is not Oklahoma here
    ],
)
def test_a_state_code_alone_after_remote(value, expected):
    assert _one(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # a code shared by a state and a country, after a subdivision of that country: the country
        # (had been California / Indiana / Prince Edward Island / Massachusetts / Montana)
        ("Kingston, ON, CA", ("CA", "CA-ON", "Kingston")),
        ("London, Ontario, CA", ("CA", "CA-ON", "London")),
        ("Victoria, BC, CA", ("CA", "CA-BC", "Victoria")),
        ("Alberta, CA", ("CA", "CA-AB", None)),
        ("Quebec, CA", ("CA", "CA-QC", None)),
        ("Nova Scotia, CA", ("CA", "CA-NS", None)),
        # pycountry's names decide; a code for regions.yaml's countries, as "Kochi, Kerala" (had been no subdivision)
        ("Kochi, Kerala, IN", ("IN", "IN-KL", "Kochi")),
        ("Ahmedabad, Gujarat, IN", ("IN", "IN-GJ", "Ahmedabad")),
        ("Córdoba, AR", ("AR", None, "Córdoba")),
        ("Arequipa, PE", ("PE", None, "Arequipa")),
        ("Marrakech, MA", ("MA", None, "Marrakech")),
        ("Sliema, MT", ("MT", None, "Sliema")),
        # ... while a state's own cities and names stay the state
        ("Ontario, CA", ("US", "US-CA", "Ontario")),  # Ontario, California
        ("San Francisco, CA", ("US", "US-CA", "San Francisco")),
        ("Los Angeles, California, CA", ("US", "US-CA", "Los Angeles")),
        ("Dover, DE", ("US", "US-DE", "Dover")),
        ("Washington, DE", ("US", "US-DE", "Washington")),
        ("Indianapolis, IN", ("US", "US-IN", "Indianapolis")),
        ("Boston, MA", ("US", "US-MA", "Boston")),
        ("Hamburg, DE", ("DE", "DE-HH", "Hamburg")),
    ],
)
def test_a_subdivision_of_the_country_decides_a_shared_code(value, expected):
    assert _one(value)[:3] == expected and _one(value)[4] is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # alternatives are read one by one; the same country is kept, with the subdivision and city they share
        ("New York, NY; San Francisco, CA", ("US", None, None, False, None)),  # had been US-CA, city New York
        ("Toronto, ON / Montreal, QC", ("CA", None, None, False, None)),  # had been CA-QC, city Toronto
        ("Toronto / Vancouver / Montreal", ("CA", None, None, False, None)),
        ("Ottawa or Toronto, ON", ("CA", "CA-ON", None, False, None)),  # had a city "Ottawa or Toronto"
        ("Austin or Dallas, TX", ("US", "US-TX", None, False, None)),
        ("Bengaluru / Bangalore", ("IN", "IN-KA", "Bengaluru", False, None)),
        ("Frankfurt/Main", ("DE", "DE-HE", "Frankfurt", False, None)),  # "Main" places nothing: left out
        ("Toronto/Remote", ("CA", "CA-ON", "Toronto", True, None)),
        ("NYC or SF", ("US", None, None, False, None)),
        # different countries: no one market
        ("US/Canada", (None, None, None, False, "multiple_countries")),  # had been Canada, city "US"
        ("Canada or USA", (None, None, None, False, "multiple_countries")),
        ("Remote - US; Remote - Canada", (None, None, None, True, "multiple_countries")),
        ("Remote (US/CAN)", (None, None, None, True, "multiple_countries")),
        ("N/A", (None, None, None, False, "no_country")),
    ],
)
def test_alternative_locations(value, expected):
    assert _one(value) == expected


def test_a_capitalised_or_begins_a_name():
    assert _one("Or Yehuda, Israel")[:3] == ("IL", None, "Or Yehuda")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # filler words are not the city ("the", "work in Boston", "Temporarily in Vancouver" had been)
        ("Remote within the US", ("US", None, None, True)),
        ("Anywhere in the United States", ("US", None, None, True)),  # had named no country
        ("Hybrid work in Boston, MA", ("US", "US-MA", "Boston", False)),
        ("Temporarily Remote in Vancouver, BC", ("CA", "CA-BC", "Vancouver", True)),
        ("Remote (Must be based in Canada)", ("CA", None, None, True)),
        ("Remote (US only)", ("US", None, None, True)),
        ("The Hague", ("NL", None, "The Hague", False)),  # "The" of a name stays
        # remote work in other languages (had been a city, or named no country)
        ("100% remoto - España", ("ES", None, None, True)),
        ("Trabajo remoto - México", ("MX", None, None, True)),
        ("Fernarbeit - Deutschland", ("DE", None, None, True)),
        ("Home-Office, Deutschland", ("DE", None, None, True)),
        ("Mobiles Arbeiten - Berlin", ("DE", "DE-BE", "Berlin", True)),
        ("Lavoro da remoto - Italia", ("IT", None, None, True)),
        ("Remote first (US)", ("US", None, None, True)),
        # Workday's country first
        ("US-CA-San Francisco", ("US", "US-CA", "San Francisco", False)),
        ("USA-TX-Austin", ("US", "US-TX", "Austin", False)),
        ("CA-ON-Toronto", ("CA", "CA-ON", "Toronto", False)),
        ("CAN-ON-Ottawa", ("CA", "CA-ON", "Ottawa", False)),
        ("IN-KA-Bangalore", ("IN", "IN-KA", "Bengaluru", False)),
        ("DE-Berlin", ("DE", "DE-BE", "Berlin", False)),
        ("United States-California-San Francisco", ("US", "US-CA", "San Francisco", False)),
        ("US, CA, Palo Alto", ("US", "US-CA", "Palo Alto", False)),
        ("USA - Atlanta", ("US", "US-GA", "Atlanta", False)),  # ('US', None, 'Atlanta'): Atlanta is known now
        ("Germany - Leipzig", ("DE", None, "Leipzig", False)),
        ("Canada - Kelowna", ("CA", None, "Kelowna", False)),
        # country names pycountry lacks
        ("The Netherlands", ("NL", None, None, False)),
        ("Holland", ("NL", None, None, False)),
        ("Russia", ("RU", None, None, False)),
        ("Turkey", ("TR", None, None, False)),
        ("UAE", ("AE", None, None, False)),
        ("Korea", ("KR", None, None, False)),
        ("Italia", ("IT", None, None, False)),
        ("Brasil", ("BR", None, None, False)),
        ("Österreich", ("AT", None, None, False)),
        ("Schweiz", ("CH", None, None, False)),
        ("Suisse", ("CH", None, None, False)),
        # ... and neighbours unchanged
        ("Holland, MI", ("US", "US-MI", "Holland", False)),
        ("Turkey, NC", ("US", "US-NC", "Turkey", False)),
        ("Winston-Salem, NC", ("US", "US-NC", "Winston-Salem", False)),
        ("Remote - Canada", ("CA", None, None, True)),
    ],
)
def test_filler_words_other_languages_country_first_and_country_names(value, expected):
    country, sub, city, remote, error = _one(value)
    assert (country, sub, city, remote) == expected and error is None


@pytest.mark.parametrize(
    "value",
    [
        "DE - Leipzig",  # Delaware or Germany, and a city known in neither: left alone
        "CA-San Francisco",  # not Canada
        "Remoto",  # remote work, no place
        "Remote OK",
    ],
)
def test_country_first_needs_an_unambiguous_code(value):
    assert _one(value)[0] is None and _one(value)[4] == "no_country"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Remote - US (Eastern or Central)", ("US", None, None, True, None)),  # had named no country
        ("Remote (US - Eastern)", ("US", None, None, True, None)),
        ("Canada-wide", ("CA", None, None, False, None)),
        ("Deutschlandweit", ("DE", None, None, False, None)),
        ("Korea, Republic of", ("KR", None, None, False, None)),  # pycountry's name, comma and all
        ("Moldova, Republic of", ("MD", None, None, False, None)),
        # a known city named alone decides no country when the rest names another country's subdivision
        ("Hyderabad, Sindh", (None, None, None, False, "no_country")),  # had been India (Telangana)
        ("Cambridge, Cambridgeshire", (None, None, None, False, "no_country")),  # had been Massachusetts
        ("Hamilton, Waikato", (None, None, None, False, "no_country")),  # had been Ontario
        ("Mumbai, Maharashtra", ("IN", "IN-MH", "Mumbai", False, None)),
        ("Toronto, somewhere", ("CA", "CA-ON", "Toronto", False, None)),
        ("Canada, NAT", (None, None, None, False, "no_country")),  # Job Bank's national row: no city "NAT"
    ],
)
def test_zone_names_wide_pycountry_names_and_other_countries_subdivisions(value, expected):
    assert _one(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # a list of two-letter time zones is dropped whole (had been Ethiopia / Portugal / multiple_countries)
        ("New York, NY (ET, CT)", ("US", "US-NY", "New York", False, None)),  # had been Ethiopia
        ("Remote - US (ET, CT)", ("US", None, None, True, None)),  # had been Ethiopia, city "US"
        ("Remote - US (PT, MT)", ("US", None, None, True, None)),  # had been Portugal
        ("Remote (ET, CT)", (None, None, None, True, "no_country")),  # had been Ethiopia
        ("Remote (PT, ET)", (None, None, None, True, "no_country")),
        ("Remote US (ET/CT)", ("US", None, None, True, None)),  # had been multiple_countries
        ("Remote (ET/PT)", (None, None, None, True, "no_country")),
        ("Remote (CT or ET)", (None, None, None, True, "no_country")),
        ("Remote, US (PT/MT/CT/ET)", ("US", None, None, True, None)),
        ("Remote, US (ET, CT, MT, PT)", ("US", None, None, True, None)),  # had been US-MT, city "US"
        ("Remote (US: ET, CT)", ("US", None, None, True, None)),
        ("Remote (US - ET or CT)", ("US", None, None, True, None)),
        ("Remote, US, ET", ("US", None, None, True, None)),  # after a country, at the end after a comma
        ("Remote, ET", (None, None, None, True, "no_country")),  # had been Ethiopia
        # AT is Atlantic Time after Canada or a province of it, else Austria
        ("Halifax, NS (AT)", ("CA", "CA-NS", "Halifax", False, None)),  # had been Austria
        ("Remote - Canada (AT)", ("CA", None, None, True, None)),
        ("Remote (AT)", ("AT", None, None, True, None)),
        ("Vienna, AT", ("AT", None, "Vienna", False, None)),
        # a code both a state and a country, followed by a North American time zone: the state
        ("Remote, MT (MT)", ("US", "US-MT", None, True, None)),  # had been Malta
        # neighbours unchanged
        ("Stamford, CT (ET)", ("US", "US-CT", "Stamford", False, None)),
        ("Billings (MT)", ("US", "US-MT", "Billings", False, None)),
        ("Billings, MT (MT)", ("US", "US-MT", "Billings", False, None)),
        ("Lisbon, PT", ("PT", None, "Lisbon", False, None)),
        ("Addis Ababa, ET", ("ET", None, "Addis Ababa", False, None)),
        ("Valletta, MT", ("MT", None, "Valletta", False, None)),
        ("Remote, PT", ("PT", None, None, True, None)),  # a bare code after "Remote," stays the country
        ("Remote, CT", ("US", "US-CT", None, True, None)),
        ("Remote - DE", ("DE", None, None, True, None)),
        ("Remote (NY, NJ, CT)", ("US", None, None, True, None)),  # a list of states (had been US-NJ, city "NY")
        ("ET", ("ET", None, None, False, None)),
        ("Remote - CA (PT)", ("CA", None, None, True, None)),  # Canada: CA is no state after Remote
    ],
)
def test_time_zone_lists_atlantic_time_and_a_shared_code_before_a_zone(value, expected):
    assert _one(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # bare codes all states of one country, not all ISO countries: that country (had been multiple_countries)
        ("Remote - WA/OR/CA", ("US", None, None, True, None)),
        ("Remote (CA/OR/WA only)", ("US", None, None, True, None)),
        ("Remote in CA or OR", ("US", None, None, True, None)),
        ("Remote, TX or Remote, OK", ("US", None, None, True, None)),  # had been US-TX
        ("NY/NJ/CT", ("US", None, None, False, None)),
        ("Remote - ON/BC", ("CA", None, None, True, None)),
        # ... but not when a code is no state or they are all countries
        ("US/Canada", (None, None, None, False, "multiple_countries")),
        ("CA/US", (None, None, None, False, "multiple_countries")),
        ("Remote - CA/US", (None, None, None, True, "multiple_countries")),
        ("DE/AT", (None, None, None, False, "multiple_countries")),
        ("CA/DE", (None, None, None, False, "multiple_countries")),
        ("Remote - BC/WA", (None, None, None, True, "multiple_countries")),
        ("CA", ("CA", None, None, False, None)),
    ],
)
def test_a_list_of_state_codes_with_ca(value, expected):
    assert _one(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # an alternative that places nothing on its own: the whole value is read as before the alternatives rule
        ("Minneapolis/St. Paul, MN", ("US", "US-MN", "Minneapolis", False, None)),  # had been St. Paul
        ("Raleigh/Durham, NC", ("US", "US-NC", "Raleigh", False, None)),  # had been Durham
        ("Denver/Boulder, CO", ("US", "US-CO", "Denver", False, None)),  # had been Boulder
        ("Frankfurt/Main, Germany", ("DE", "DE-HE", "Frankfurt", False, None)),  # had lost DE-HE
        ("Frankfurt/Main", ("DE", "DE-HE", "Frankfurt", False, None)),
        ("Seattle or Portland", (None, None, None, False, "no_country")),  # had been US-WA, Seattle
        # alternatives placing a country only keep it
        ("Mexico/LATAM", ("MX", None, None, False, None)),
        ("Remote (EU/UK)", ("GB", None, None, True, None)),
        ("Remote (US; ET preferred)", ("US", None, None, True, None)),
        # neighbours unchanged: each alternative places
        ("Kitchener/Waterloo, ON", ("CA", "CA-ON", None, False, None)),
        ("Toronto, ON / Montreal, QC", ("CA", None, None, False, None)),
        ("Ottawa or Toronto, ON", ("CA", "CA-ON", None, False, None)),
        ("Bengaluru/Bangalore, India", ("IN", "IN-KA", "Bengaluru", False, None)),
        ("Boston/Cambridge, MA", ("US", "US-MA", None, False, None)),
        ("Seattle, WA, and Portland, OR", ("US", None, None, False, None)),
        ("Toronto/Remote", ("CA", "CA-ON", "Toronto", True, None)),
    ],
)
def test_alternatives_need_each_to_place_on_its_own(value, expected):
    assert _one(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # "or" / "and" left between a place and Remote at the end or the start is dropped
        ("London, ON or Remote", ("CA", "CA-ON", "London", True, None)),  # had been GB, London
        ("Portland, OR or Remote", ("US", "US-OR", "Portland", True, None)),  # had been no_country
        ("PORTLAND, OR OR REMOTE", ("US", "US-OR", "PORTLAND", True, None)),
        ("Toronto or Remote", ("CA", "CA-ON", "Toronto", True, None)),
        ("Washington, DC or Remote", ("US", "US-DC", "Washington", True, None)),
        ("San Francisco and Remote", ("US", "US-CA", "San Francisco", True, None)),
        ("Remote or Portland, OR", ("US", "US-OR", "Portland", True, None)),
        # neighbours unchanged
        ("Portland, OR", ("US", "US-OR", "Portland", False, None)),
        ("Portland OR", ("US", "US-OR", "Portland", False, None)),
        ("Remote - Portland OR", ("US", "US-OR", "Portland", True, None)),
        ("Toronto, ON, or Remote", ("CA", "CA-ON", "Toronto", True, None)),
        ("Remote, US or Remote, Canada", (None, None, None, True, "multiple_countries")),
        ("Remote or Hybrid", (None, None, None, True, "no_country")),
    ],
)
def test_a_conjunction_next_to_remote(value, expected):
    assert _one(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # country first: (country, subdivision, city) in that order; a part naming the country is no city
        ("USA - NY - New York", ("US", "US-NY", "New York", False, None)),  # had been city "USA"
        ("USA, NY, New York", ("US", "US-NY", "New York", False, None)),  # had been city "USA"
        ("United States - New York - New York", ("US", "US-NY", "New York", False, None)),  # city "United States"
        ("Remote - USA - Texas", ("US", "US-TX", None, True, None)),  # had been city "USA"
        ("Germany (Berlin)", ("DE", "DE-BE", "Berlin", False, None)),  # had been city "Germany"
        ("Germany - Berlin", ("DE", "DE-BE", "Berlin", False, None)),  # had been city "Germany"
        ("US-Remote (TX)", ("US", "US-TX", None, True, None)),  # had been city "US"
        ("USA-CA-San Francisco-Office", ("US", "US-CA", "San Francisco", False, None)),  # had been city "Office"
        ("Canada - Toronto, ON", ("CA", "CA-ON", "Toronto", False, None)),  # had been city "Canada"
        ("USA - Atlanta - GA", ("US", "US-GA", "Atlanta", False, None)),  # had been city "USA"
        ("USA, CA", ("US", "US-CA", None, False, None)),  # had been city "USA"; CA is California, not Canada
        ("Canada, ON", ("CA", "CA-ON", None, False, None)),  # had been city "Canada"
        ("DE, Berlin", ("DE", "DE-BE", "Berlin", False, None)),  # had been city "DE"
        ("Remote possible (Berlin)", ("DE", "DE-BE", "Berlin", True, None)),  # had been city "possible"
        ("Remote - US, Eastern or Central", ("US", None, None, True, None)),  # had been city "Eastern or Central"
        ("Remote - US Only (excluding CA, NY)", ("US", None, None, True, None)),  # had been US-NY, city "US"
        ("Remote (except NY)", ("US", None, None, True, None)),  # had been US-NY, city "except"
        ("Remote (excluding CA)", ("US", None, None, True, None)),  # California excluded: no Canada
        ("Remote, Portugal (WET)", ("PT", None, None, True, None)),  # WET is a time zone (had been no_country)
        # unchanged neighbours: the rest naming another country keeps the usual reading
        ("Jersey, NJ", ("US", "US-NJ", "Jersey", False, None)),
        ("Mexico, MO", ("US", "US-MO", "Mexico", False, None)),
        ("Peru, IN", ("US", "US-IN", "Peru", False, None)),
        ("Georgia, VT", ("US", "US-VT", "Georgia", False, None)),
        ("Canada, NAT", (None, None, None, False, "no_country")),  # Job Bank's national rows
        ("DE, Leipzig", (None, None, None, False, "no_country")),
        ("DE - Leipzig", (None, None, None, False, "no_country")),
        ("USA - Atlanta", ("US", "US-GA", "Atlanta", False, None)),  # ('US', None, 'Atlanta'): a known city now
        ("US-CA-San Francisco", ("US", "US-CA", "San Francisco", False, None)),
        ("CA-ON-Toronto", ("CA", "CA-ON", "Toronto", False, None)),
        ("India - Bangalore", ("IN", "IN-KA", "Bengaluru", False, None)),
        ("Singapore, Singapore", ("SG", None, "Singapore", False, None)),
        ("Berlin (Remote possible)", ("DE", "DE-BE", "Berlin", True, None)),
        ("Remote (NO)", ("NO", None, None, True, None)),
    ],
)
def test_country_first_forms_read_country_subdivision_city(value, expected):
    assert _one(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # several state codes: the country, no subdivision, no city
        ("Remote (NY, NJ, CT)", ("US", None, None, True, None)),  # had been US-NJ, city "NY"
        ("Remote (OR, WA, CA)", ("US", None, None, True, None)),  # had been US-CA, city "OR"
        ("Remote (TX, FL, GA)", ("US", None, None, True, None)),  # had been US-GA, city "TX"
        ("NY, NJ, CT", ("US", None, None, False, None)),  # had been US-NJ, city "NY"
        ("Remote: CA, OR, WA", ("US", None, None, True, None)),  # had been US-WA, city "CA"
        ("Seattle, WA and Portland, OR", ("US", None, None, False, None)),  # had been US-OR, city "Seattle"
        ("Seattle, WA & Portland, OR", ("US", None, None, False, None)),  # had been US-OR, city "Seattle"
        ("San Francisco, CA and New York, NY", ("US", None, None, False, None)),  # had been US-NY, "San Francisco"
        ("Remote (WA and OR)", ("US", None, None, True, None)),  # had been US-OR, city "WA and"
        # unchanged neighbours
        ("Portland, OR", ("US", "US-OR", "Portland", False, None)),
        ("Seattle, WA or Portland, OR", ("US", None, None, False, None)),
        ("Toronto, ON / Montreal, QC", ("CA", None, None, False, None)),
        ("US/Canada", (None, None, None, False, "multiple_countries")),
        ("CA/US", (None, None, None, False, "multiple_countries")),
        ("DE/AT", (None, None, None, False, "multiple_countries")),
        ("Minneapolis/St. Paul, MN", ("US", "US-MN", "Minneapolis", False, None)),
        ("Tel Aviv, IL", ("IL", None, "Tel Aviv", False, None)),
        ("Perth, WA", ("AU", "AU-WA", "Perth", False, None)),
        ("London, ON", ("CA", "CA-ON", "London", False, None)),
        ("Remote (NJ)", ("US", "US-NJ", None, True, None)),
        ("Remote - DE", ("DE", None, None, True, None)),
        ("Trinidad and Tobago", ("TT", None, None, False, None)),
        ("St. John's, Newfoundland and Labrador", ("CA", "CA-NL", "St. John's", False, None)),
        # Washington DC and Baltimore: the US
        ("DC/Baltimore", ("US", None, None, False, None)),  # had been no_country
        ("DC/NoVA", ("US", None, None, False, None)),  # had been no_country
        ("Washington D.C./Baltimore", ("US", None, None, False, None)),  # had been no_country
        ("Washington DC-Baltimore Area", ("US", "US-DC", "Washington", False, None)),  # had been no_country
        ("Seattle or Portland", (None, None, None, False, "no_country")),  # known cities alone: unchanged
        ("Bath or Bristol", (None, None, None, False, "no_country")),
        ("Washington, DC", ("US", "US-DC", "Washington", False, None)),
    ],
)
def test_state_lists_and_washington_dc(value, expected):
    assert _one(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # subdivisions of regions.yaml's other countries by name or abbreviation (all had been no_country)
        ("Townsville, QLD", ("AU", "AU-QLD", "Townsville", False, None)),
        ("Newcastle, NSW", ("AU", "AU-NSW", "Newcastle", False, None)),
        ("Geelong VIC", ("AU", "AU-VIC", "Geelong", False, None)),
        ("Cairns, Queensland", ("AU", "AU-QLD", "Cairns", False, None)),
        ("Nuremberg, Bayern", ("DE", "DE-BY", "Nuremberg", False, None)),
        ("Dresden, Saxony", ("DE", "DE-SN", "Dresden", False, None)),
        ("Dresden, Sachsen", ("DE", "DE-SN", "Dresden", False, None)),
        ("Dresden, Saxony, DE", ("DE", "DE-SN", "Dresden", False, None)),  # had been US-DE (Delaware)
        ("Ahmedabad, Gujarat", ("IN", "IN-GJ", "Ahmedabad", False, None)),
        ("Kochi, Kerala", ("IN", "IN-KL", "Kochi", False, None)),
        ("Lille, Hauts-de-France", ("FR", "FR-HDF", "Lille", False, None)),
        # unchanged: US and Canadian readings first, names shared by two countries place nothing
        ("Victoria, BC", ("CA", "CA-BC", "Victoria", False, None)),
        ("Victoria, TX", ("US", "US-TX", "Victoria", False, None)),
        ("Atlanta, Georgia", ("US", "US-GA", "Atlanta", False, None)),
        ("Tbilisi, Georgia", ("GE", None, "Tbilisi", False, None)),
        ("Georgia", ("GE", None, None, False, None)),
        ("Chandigarh, Punjab", (None, None, None, False, "no_country")),  # India's and Pakistan's
        ("Lahore, Punjab", ("PK", None, "Lahore", False, None)),
        ("Hyderabad, Sindh", (None, None, None, False, "no_country")),
        ("Cambridge, Cambridgeshire", (None, None, None, False, "no_country")),  # a county: no top-level name
        ("Raleigh, Durham", (None, None, None, False, "no_country")),
        ("Perth, Western Australia", ("AU", "AU-WA", "Perth", False, None)),
        ("Melbourne, Victoria", ("AU", "AU-VIC", "Melbourne", False, None)),
        # other-language country names (all had been no_country)
        ("Estados Unidos", ("US", None, None, False, None)),
        ("EE.UU.", ("US", None, None, False, None)),
        ("Remote - Estados Unidos", ("US", None, None, True, None)),
        ("Alemania", ("DE", None, None, False, None)),
        ("Reino Unido", ("GB", None, None, False, None)),
        ("Sverige", ("SE", None, None, False, None)),
        ("Danmark", ("DK", None, None, False, None)),
        ("Irlande", ("IE", None, None, False, None)),
        ("Japon", ("JP", None, None, False, None)),
    ],
)
def test_other_countries_subdivisions_and_country_names(value, expected):
    assert _one(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # Brazilian state codes that are also another country's or a US state's code: the state capital's own code
        ("Belo Horizonte, MG", ("BR", "BR-MG", "Belo Horizonte", False, None)),  # ('MG', None, 'Belo Horizonte')
        ("Porto Alegre, RS", ("BR", "BR-RS", "Porto Alegre", False, None)),  # ('RS', None, 'Porto Alegre')
        ("Curitiba, PR", ("BR", "BR-PR", "Curitiba", False, None)),  # ('US', 'US-PR', 'Curitiba')
        ("Recife, PE", ("BR", "BR-PE", "Recife", False, None)),  # ('CA', 'CA-PE', 'Recife')
        ("Florianópolis, SC", ("BR", "BR-SC", "Florianópolis", False, None)),  # ('US', 'US-SC', 'Florianópolis')
        ("Salvador, BA", ("BR", "BR-BA", "Salvador", False, None)),  # ('BA', None, 'Salvador')
        ("Manaus, AM", ("BR", "BR-AM", "Manaus", False, None)),  # ('AM', None, 'Manaus')
        ("Maceió, AL", ("BR", "BR-AL", "Maceió", False, None)),  # ('US', 'US-AL', 'Maceió')
        ("Belém, PA", ("BR", "BR-PA", "Belém", False, None)),  # ('US', 'US-PA', 'Belém')
        ("Brasília, DF", ("BR", "BR-DF", "Brasília", False, None)),  # no_country
        # a metro name around a known city's code is the city, not the bare code's country
        ("LA Metro", ("US", "US-CA", "Los Angeles", False, None)),  # ('LA', None, None): Laos
        # a bare code among alternatives that is a known city of the others' country
        ("SF/NYC/LA", ("US", None, None, False, None)),  # multiple_countries
        ("LA / SF", ("US", "US-CA", None, False, None)),  # multiple_countries
        # unchanged
        ("LA", ("LA", None, None, False, None)),
        ("Lafayette, LA", ("US", "US-LA", "Lafayette", False, None)),
        ("Jackson, MS", ("US", "US-MS", "Jackson", False, None)),
        ("CA/US", (None, None, None, False, "multiple_countries")),
        ("El Salvador", ("SV", None, None, False, None)),
    ],
)
def test_brazilian_state_codes_and_city_codes(value, expected):
    assert _one(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # lists of known cities (Naukri, StepStone): the country, the subdivision only when all share it, no city
        ("Bangalore, Chennai, Hyderabad", ("IN", None, None, False, None)),  # ('IN', 'IN-KA', 'Bengaluru')
        ("Chennai, Bangalore", ("IN", None, None, False, None)),  # ('IN', 'IN-TN', 'Chennai')
        ("Mumbai, Pune", ("IN", "IN-MH", None, False, None)),  # ('IN', 'IN-MH', 'Mumbai')
        ("Hyderabad/Secunderabad, Chennai, Pune", ("IN", None, None, False, None)),  # ('IN', 'IN-TG', 'Hyderabad')
        ("Noida, Gurgaon/Gurugram, Delhi / NCR", ("IN", None, None, False, None)),  # ('IN', 'IN-UP', 'Noida')
        ("Berlin, München, Hamburg", ("DE", None, None, False, None)),  # ('DE', 'DE-HH', 'Berlin')
        ("Berlin, Hamburg", ("DE", None, None, False, None)),  # ('DE', 'DE-HH', 'Berlin')
        ("Toronto, Ottawa, ON", ("CA", "CA-ON", None, False, None)),  # ('CA', 'CA-ON', 'Toronto')
        ("London, Paris", (None, None, None, False, "multiple_countries")),  # ('GB', 'GB-ENG', 'London')
        # German "oder" / "und" are alternatives
        ("Berlin, Hamburg oder remote", ("DE", None, None, True, None)),  # ('DE', 'DE-BE', 'Berlin')
        ("Berlin oder München", ("DE", None, None, False, None)),  # no_country
        ("Berlin und Hamburg", ("DE", None, None, False, None)),  # no_country
        ("München oder Remote", ("DE", "DE-BY", "Munich", True, None)),  # no_country
        # a metro name before a country or subdivision is its known city
        ("Greater Toronto Area, Canada", ("CA", "CA-ON", "Toronto", False, None)),  # ('CA', None, 'Greater Toronto Area')
        ("Greater Manchester, England, United Kingdom",
         ("GB", "GB-ENG", "Manchester", False, None)),  # ('GB', 'GB-ENG', 'Greater Manchester')
        ("Greater Bristol Area, United Kingdom",
         ("GB", "GB-ENG", "Bristol", False, None)),  # ('GB', None, 'Greater Bristol Area')
        ("Greater Paris Metropolitan Region", ("FR", "FR-IDF", "Paris", False, None)),  # no_country
        ("Mumbai Metropolitan Region", ("IN", "IN-MH", "Mumbai", False, None)),  # no_country
        ("SF Bay Area", ("US", "US-CA", "San Francisco", False, None)),  # no_country
        # filler parts are no city
        ("Multiple Locations, US", ("US", None, None, False, None)),  # ('US', None, 'Multiple Locations')
        ("Various Locations, UK", ("GB", None, None, False, None)),  # ('GB', None, 'Various Locations')
        ("Corporate Office - Chicago, IL", ("US", "US-IL", "Chicago", False, None)),  # ('US', 'US-IL', 'Corporate Office')
        ("Field Based - Texas", ("US", "US-TX", None, False, None)),  # ('US', 'US-TX', 'Field Based')
        ("US Nationwide", ("US", None, None, False, None)),  # no_country
        ("Remote (US only) - must reside in PST", ("US", None, None, True, None)),  # ('US', None, 'must reside in')
        ("Remote within 50 miles of Chicago, IL",
         ("US", "US-IL", "Chicago", True, None)),  # ('US', 'US-IL', '50 miles of Chicago')
        ("Remote friendly - Berlin", ("DE", "DE-BE", "Berlin", True, None)),  # ('DE', 'DE-BE', 'friendly')
        # unchanged: one city named twice, a city and its subdivision
        ("Brooklyn, New York", ("US", "US-NY", "New York", False, None)),
        ("New York, New York", ("US", "US-NY", "New York", False, None)),
        ("Hamburg, Hamburg", ("DE", "DE-HH", "Hamburg", False, None)),
        ("Campinas, São Paulo", ("BR", "BR-SP", "Campinas", False, None)),
        ("Perth, WA", ("AU", "AU-WA", "Perth", False, None)),
        ("Frankfurt am Main", ("DE", "DE-HE", "Frankfurt", False, None)),
        ("Multiple locations", (None, None, None, False, "no_country")),
    ],
)
def test_city_lists_german_conjunctions_metro_names_and_filler_parts(value, expected):
    assert _one(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # LinkedIn's US metros (parse-only cities; all had been no_country)
        ("Greater Philadelphia", ("US", "US-PA", "Philadelphia", False, None)),  # no_country
        ("Atlanta Metropolitan Area", ("US", "US-GA", "Atlanta", False, None)),  # no_country
        ("Miami-Fort Lauderdale Area", ("US", "US-FL", "Miami", False, None)),  # no_country
        ("Greater Minneapolis-St. Paul Area", ("US", "US-MN", "Minneapolis", False, None)),  # no_country
        ("Salt Lake City Metropolitan Area", ("US", "US-UT", "Salt Lake City", False, None)),  # no_country
        ("Tampa Bay Area", ("US", "US-FL", "Tampa", False, None)),  # no_country
        ("GA - Atlanta", ("US", "US-GA", "Atlanta", False, None)),  # no_country (not Gabon, as before)
        # Italian, Polish, New Zealand and Indian cities
        ("Milano, Lombardia", ("IT", None, "Milan", False, None)),  # no_country
        ("Smart working - Milano", ("IT", None, "Milan", True, None)),  # no_country
        ("Roma, Lazio", ("IT", None, "Rome", False, None)),  # no_country
        ("Firenze, Toscana", ("IT", None, "Florence", False, None)),  # no_country
        ("Gdańsk, pomorskie", ("PL", None, "Gdańsk", False, None)),  # no_country
        ("Łódź, łódzkie", ("PL", None, "Łódź", False, None)),  # no_country
        ("Christchurch, Canterbury", ("NZ", None, "Christchurch", False, None)),  # no_country
        ("Navi Mumbai", ("IN", "IN-MH", "Navi Mumbai", False, None)),  # no_country
        # Seek's "Suburb, City ST"
        ("Surry Hills, Sydney NSW", ("AU", "AU-NSW", "Surry Hills", False, None)),  # no_country
        ("Richmond, Melbourne VIC", ("AU", "AU-VIC", "Richmond", False, None)),  # no_country
        # unchanged: same-named US towns keep their state, a name several states share stays unplaced
        ("Rome, GA", ("US", "US-GA", "Rome", False, None)),
        ("Naples, FL", ("US", "US-FL", "Naples", False, None)),
        ("Raleigh, Durham", (None, None, None, False, "no_country")),
        ("Minneapolis/St. Paul, MN", ("US", "US-MN", "Minneapolis", False, None)),
        ("Portland Metropolitan Area", (None, None, None, False, "no_country")),
        ("Hamilton, Waikato", (None, None, None, False, "no_country")),  # Hamilton, Ontario is the known one
    ],
)
def test_more_parse_only_cities_and_seek_suburbs(value, expected):
    assert _one(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # Nuevo León's "NL" after its known city (regions.yaml's subdivision_abbrevs), not Newfoundland and Labrador
        ("Monterrey, NL", ("MX", "MX-NLE", "Monterrey", False, None)),  # ('CA', 'CA-NL', 'Monterrey')
        ("Guadalajara, Jalisco", ("MX", "MX-JAL", "Guadalajara", False, None)),  # no_country
        # a known city's name that is its own state's after another place: the state ("Santos, São Paulo")
        ("Santos, São Paulo", ("BR", "BR-SP", "Santos", False, None)),  # ('BR', 'BR-SP', 'São Paulo')
        ("Niterói, Rio de Janeiro", ("BR", "BR-RJ", "Niterói", False, None)),  # ('BR', 'BR-RJ', 'Rio de Janeiro')
        # unchanged
        ("Dwarka, Delhi", ("IN", "IN-DL", "Dwarka", False, None)),
        ("St. John's, NL", ("CA", "CA-NL", "St. John's", False, None)),
        ("Amsterdam, NL", ("NL", None, "Amsterdam", False, None)),
        ("NL", ("NL", None, None, False, None)),
        ("São Paulo, São Paulo", ("BR", "BR-SP", "São Paulo", False, None)),
        ("Queens, New York", ("US", "US-NY", "Queens", False, None)),
    ],
)
def test_nuevo_leon_and_a_city_named_as_its_state(value, expected):
    assert _one(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # "Province, Country" of regions.yaml's other countries: the province, no city (had been city "Queensland")
        ("Queensland, Australia", ("AU", "AU-QLD", None, False, None)),
        ("Western Australia, Australia", ("AU", "AU-WA", None, False, None)),
        ("WA, Australia", ("AU", "AU-WA", None, False, None)),  # the country named: Australia's code, not a city
        ("Gujarat, India", ("IN", "IN-GJ", None, False, None)),
        ("Punjab, India", ("IN", "IN-PB", None, False, None)),  # the country decides a name Pakistan shares
        ("Jalisco, Mexico", ("MX", "MX-JAL", None, False, None)),
        ("Northern Ireland, UK", ("GB", "GB-NIR", None, False, None)),
        # "City, Province, Country": the province kept (had been dropped: no subdivision)
        ("Cairns, Queensland, Australia", ("AU", "AU-QLD", "Cairns", False, None)),
        ("Cairns, QLD, Australia", ("AU", "AU-QLD", "Cairns", False, None)),
        ("Ahmedabad, Gujarat, India", ("IN", "IN-GJ", "Ahmedabad", False, None)),
        ("Guadalajara, Jalisco, Mexico", ("MX", "MX-JAL", "Guadalajara", False, None)),
        ("Dresden, Sachsen, Germany", ("DE", "DE-SN", "Dresden", False, None)),
        ("Lille, Hauts-de-France, France", ("FR", "FR-HDF", "Lille", False, None)),
        # unchanged: known cities stay cities, countries beyond regions.yaml get no subdivision
        ("Mumbai, India", ("IN", "IN-MH", "Mumbai", False, None)),
        ("Berlin, Germany", ("DE", "DE-BE", "Berlin", False, None)),
        ("Melbourne, Victoria, Australia", ("AU", "AU-VIC", "Melbourne", False, None)),
        ("Lahore, Punjab, Pakistan", ("PK", None, "Lahore", False, None)),
        ("Ontario, Canada", ("CA", "CA-ON", None, False, None)),
        ("Victoria, BC, Canada", ("CA", "CA-BC", "Victoria", False, None)),
    ],
)
def test_a_province_named_with_its_country_is_no_city(value, expected):
    assert _one(value) == expected


@pytest.mark.parametrize(
    ("value", "context", "expected"),
    [
        # another country's name or code, or no place alone, inside the row's country (all had kept the country only)
        ("Georgia", "US", ("US", "US-GA", None, False, None)),
        ("Puerto Rico", "US", ("US", "US-PR", None, False, None)),
        ("Guam", "US", ("US", "US-GU", None, False, None)),
        ("Virgin Islands", "US", ("US", "US-VI", None, False, None)),
        ("GA", "US", ("US", "US-GA", None, False, None)),  # not Gabon
        ("CA", "US", ("US", "US-CA", None, False, None)),  # not Canada
        ("Remote - Georgia", "US", ("US", "US-GA", None, True, None)),
        ("Punjab", "IN", ("IN", "IN-PB", None, False, None)),  # no_country alone (India's and Pakistan's)
        ("WA", "AU", ("AU", "AU-WA", None, False, None)),  # not Washington
        # read alone in the row's country: unchanged ("New York" is the city, as "New York, USA" is)
        ("Georgia", "GE", ("GE", None, None, False, None)),
        ("Washington", "US", ("US", "US-WA", None, False, None)),
        ("New York", "US", ("US", "US-NY", "New York", False, None)),
        ("Victoria", "AU", ("AU", "AU-VIC", None, False, None)),
        ("CA", "CA", ("CA", None, None, False, None)),
        # no subdivision or known city of the row's country: the reading alone (normalise keeps only the country)
        ("Victoria", "CA", ("AU", "AU-VIC", None, False, None)),
        ("London", "CA", ("GB", "GB-ENG", "London", False, None)),
        ("Jersey", "US", ("JE", None, None, False, None)),
        ("Tbilisi, Georgia", "US", ("GE", None, "Tbilisi", False, None)),
        ("Punjab", "PK", (None, None, None, False, "no_country")),  # Pakistan is beyond regions.yaml: no code
        ("Limburg", "NL", (None, None, None, False, "no_country")),
        ("Northern", "CA", (None, None, None, False, "no_country")),  # Job Bank's region: no city "Northern"
        ("Georgia", None, ("GE", None, None, False, None)),
        (None, "US", (None, None, None, False, "no_country")),
    ],
)
def test_the_row_country_is_context(value, context, expected):
    from transforms.locations import parse_locations_in

    got = parse_locations_in(pl.DataFrame({"location": [value], "context": [context]},
                                          schema={"location": pl.String, "context": pl.String}), load_reference())
    row = got.row(0, named=True)
    assert (row["location"], row["context"]) == (value, context)
    assert (row["country_code"], row["subdivision_code"], row["city_name"], row["is_remote"],
            row["location_error"]) == expected


def test_context_parses_distinct_pairs():
    from transforms.locations import parse_locations_in

    pairs = pl.DataFrame({"location": ["Georgia", "Georgia", "Georgia", "Atlanta, GA"],
                          "context": ["US", "US", "GE", None]})
    got = parse_locations_in(pairs, load_reference())
    assert got.select("location", "context", "country_code", "subdivision_code").rows() == [
        ("Atlanta, GA", None, "US", "US-GA"), ("Georgia", "GE", "GE", None), ("Georgia", "US", "US", "US-GA")]
