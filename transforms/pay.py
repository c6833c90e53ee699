"""Pay text parsing, pay periods and annualisation factors.

Pay arrives as free text in postings ("$53K-$91K (Glassdoor est.)", "$28.50 an hour",
"€60.000–€75.000", "₹25,00,000 - ₹35,00,000 per annum"). `parse_pay_text` returns one row per
distinct input (the caller joins back on `pay_text`). The rules are written once, for one text,
in `_parse_one` (regular expressions in Python); since posting pay texts are nearly all distinct,
`parse_pay_text` applies them per digit SHAPE and reads the numbers with Polars (see "parsing by
shape" below), with the same answer as `_parse_one` on every text.

What `_parse_one` reads, in short (details at each rule):
- Amounts (`_layout`): the first one or two numbers that are pay. A number is no amount when it is a label:
  a duration or a percentage ("6 month contract", "40 hours per week", "3+ years", "15% bonus"), a head
  count ("Hiring 5 nurses"), after a label word ("Level 3", "Band 6", "Job ID 12345", "Ref: 2291", "Hours:
  40", "Class of 2025", "Step 4 of 10"; but a pay scale's word before a number grouped in thousands is none:
  "band: 90,000-110,000") or written against capitals ("L5", "IC4", "FY2025"), a year by its form (four bare
  digits before ":" / ";" / "):" or a pay range word, "2025/26", "2025 salary band 90,000-110,000", "For
  2025, the range is ...", "In 2025 the salary is ...", "2024-25 pay scale"; not the max of a range:
  "1500-2000 pay range"), unless a currency sign / code or a unit stands next to it. Numbers before the
  first one with a currency sign / code or unit are skipped, save its lower bound when the sign comes after
  it ("Hiring 3 engineers at $120K", "Austin, TX 78701 - $90K", but "60.000 - 70.000 €") and it is no
  postcode: five or six bare digits after a word, before a marked amount written otherwise ("München 80331 –
  60.000 €", "Lyon (69003) - 42 000 €", "Mumbai 400001 - 12 LPA"; "Gehalt 60000 - 70000 €" is a range).
  Bonuses, "6m" months and 401(k) are labels even with a sign or suffix ("$1,500 Sign-On Bonus | $19.50/hr",
  "6m contract - $80/hr", "401k match"), and so is a three-digit K with no sign in a list of benefits of a
  text that shows a currency elsewhere ("401K, dental, vision; $85K", "Medical, 401K; $85K - $95K"; digit
  values are not read: "150K, medical" alone and "$150K-200K, medical" stay pay). A minus sign is attached
  to its number ("$-50,000"; "London - 55k" is a dash). A text whose every number is a label names no pay
  ("no_pay").
- Ranges: two amounts with a dash (any of - ‐ ‑ ‒ – — −, and the ～ 〜 of Japanese / Chinese ranges), "to",
  "up to", "and", "~", "à", "bis", "et", "max" ("MIN 50,000 MAX 60,000"), "y", "e", "tot", "till", "do",
  "hasta", "até" ("Entre 30.000 y 40.000 €") between them, parenthesised words aside ("From $18/hr (Level 1)
  to $24/hr (Level 3)"), also when each bound carries its own unit ("$15/hr - $18/hr", "10 LPA - 15 LPA") or
  the German / Swiss no-cents mark ("€ 55.000,- bis € 65.000,-", "Fr. 100'000.- bis 120'000.-");
  space-grouped thousands may carry decimals ("2 500,00 € - 3 000,00 €") but are no space group before a
  comma or dot group ("Band 5 120,000" is 5 and 120,000).
  The k / M, thousands ("£45-55,000") or lakh of the max apply to a min under 1,000 unless the min is
  already in full (within a factor 10 of the max: "£800-1k/day"); the k / M of the min applies to a bare max
  under 1,000 when the max then is no lower than the min ("$85K-95", not "$85K-9").
- Units: k / M (not the first letter of a word: "60 000 - 80 000 Kč", "100 000 měsíčně"), lakh / lac / LPA
  (1e5), crore / Cr (1e7), "L" after a number where rupees are shown ("₹6L"), German thousands "T€" / "Tsd."
  / "TSD" and Chinese 千 (1e3), Japanese / Chinese / Korean 万 / 만 (1e4) and 億 / 억 (1e8) ("年収600万円～800万円", "연봉
  5,000만원"; the 万 of the max applies to a bare min it then does not lift above the max: "年薪30-50万", "연봉
  4000~6000만원", but "300000-50万" is in full); rupees are shown by "₹", "Rs", "INR", lakh / crore / LPA /
  CTC, Indian grouping, or "L" on both bounds ("12L - 15L per annum", which also hints INR); "LPA" after a
  number written in full is "per annum" ("₹12,00,000 - 15,00,000 LPA"); "mil" is a thousand where reais or
  pesos are shown ("R$ 12 mil - R$ 15 mil"; elsewhere it may be a million: "$1.5 mil" is 1.5).
- Period (`_choose_period`): the phrase written with the first amount, not the highest-ranked one anywhere
  ("$55,000 a year, paid bi-weekly" is yearly); a phrase of another payment or of the pay schedule is not it
  ("weekly commission", "Hourly equivalent", "paid monthly" unless it is the only one); job-board and German
  / French forms ("pm", "/m", "im Monat", "Monatsbrutto", "mensuels", "p.h.", "Bruttostundenlohn", "taux
  horaire", "€/j"), abbreviations ("pcm", "p/m", "pw", "pd", "ph", "hr", "hrly", "Std.", "Tagessatz", "TJM",
  "LPA") are read, and the Japanese / Chinese / Korean ones (年収 / 年俸 / 年薪 / 연봉 year, 月給 / 月薪 / "/月" / 월
  month, 日給 / "/天" day, 時給 / 시급 hour; "15-25K·13薪", thirteen monthly pays a year, is monthly, and so is "2
  000 € brut x 13 mois"; "4.000 € p.M." is monthly). Spanish, Portuguese, Italian, Dutch, Nordic, Polish,
  Turkish and Indonesian words after a spaced "per" / "por" / "al" / "pr." or a slash ("por hora", "al mes",
  "/año", "per maand", "per uur", "kr/mån", "pr. måned", "PLN/mies.", "per bulan") and their adjectives
  ("mensal", "mensuales", "anuales", "lordi annui", "maandelijks", "miesięcznie", "aylık") are read;
  "quincenal" is a half month's pay (Mexico pays on the 15th and the last day). Pay every two weeks
  ("bi-weekly", "fortnightly", "per fortnight", "every two weeks", "every other week", "par quinzaine"; not
  "every 2 weeks": periods are read on the digit shape, where "2" is any digit) is a fortnight's (26 a
  year), twice a month ("semi-monthly", "twice a month", "bimensuel") a half month's (24 a year);
  "bi-monthly" is read as no period we can annualise ("bimonthly": every two months or twice a month, both
  in use), so such a text is rejected as unknown_pay_period unless the source's spec names the period.
- Currency (`currency_hint`): a currency sign (also 円 JPY, 원 KRW, 元 CNY; ¥ / ￥ stay "¥", JPY or
  CNY by the country; "RM" MYR and "S/" PEN as a whole word before a number), then an ISO code next to a number ("95,000 USD", "USD $120,000"), then "$"
  (made USD / CAD / AUD... by such a code anywhere: "$28/hour (CAD)"; "Senior PHP Developer - $90,000" stays
  "$"), then a code anywhere, then currency words and lower-case codes next to a number ("120k usd", "45 000
  euros", "65 TEUR"); capital words are no currency ("DOE", "OTE", "PER", "NYC", "LPA", Italian "RAL"), nor
  are ISO codes that are English words ("$120K ALL IN") unless they stand alone next to a number ("ALL
  120,000"); lakh / crore / LPA texts hint INR; an unknown code before a number ("XYZ 152,000") is named, so
  rejected downstream.

Annualisation factors (`ANNUALISATION_FACTORS`) are the conventional full-time equivalents:
2080 paid hours a year (40 h x 52 weeks), 260 working days (5 x 52), 52 weeks, 26 fortnights, 24
half months, 12 months.
They are applied to the pay as given; no holiday or overtime adjustment is made. One exception: a monthly pay
text that states how many monthly pays make its year ("HKD 40K - 50K x 13 months", "2 000 € brut x 13 mois",
"3.000 € x 14 Gehälter", "15-25K·13薪": a 13th-month or 14-salary market) is annualised with that count (12 to
16), not 12 (`stated_monthly_payments`); reading it as twelve understated such a year by 1/13 or 1/7.
"""
from __future__ import annotations

import math
import re

import polars as pl

ANNUALISATION_FACTORS: dict[str, int] = {"hour": 2080, "day": 260, "week": 52, "fortnight": 26, "half_month": 24,
                                          "month": 12, "year": 1}
# a period named in pay texts that cannot be annualised: "bi-monthly" is every two months or twice a
# month (both in use); it has no factor, so the row is rejected as unknown_pay_period
AMBIGUOUS_PERIOD = "bimonthly"
# the number of monthly pays a year stated beside a monthly pay: the forms the month pattern below reads as a
# month ("x 13 mois", "x 13 months", "x 14 salaires", "x 14 Gehälter", "13薪"), counts 12 to 16 only
MONTHLY_PAYMENTS = (12, 16)
_STATED_PAYMENTS = (r"(?i)(?:^|[^\w])x\s?(1[2-6])\s?(?:mois|months|salaires|gehälter)(?:$|[^\w])",
                    r"(?:^|[^0-9])(1[2-6])\s*薪")
MAX_AMOUNT = 1e12  # any single amount above this is not a pay figure (e.g. "1e16" test values)

OUTPUT_SCHEMA = {
    "pay_text": pl.String,
    "pay_min": pl.Float64,
    "pay_max": pl.Float64,
    "currency_hint": pl.String,
    "period": pl.String,
    "parse_error": pl.String,
}

MISSING_MARKERS = frozenset({"", "-1", "na", "n/a", "nan", "none", "null", "-", "--", "not disclosed",
                             "not specified", "competitive", "doe", "negotiable"})

# Period words, matched on the lower-cased text. "per", "an", "a" must start a word (not after a
# letter: the "a" + "hr" of German "Jahr" is no hour); German and French words for the periods are
# read too ("€/Jahr", "pro Monat", "par an", "brut annuel", "€/Std.", "Tagessatz", "TJM"), and the
# abbreviations of job boards ("p/m", "pcm", "pw", "p.w.", "pd", "ph", "12.50ph", "$22.50 hr",
# "hrly", "LPA" = lakhs per annum). Which phrase is the period of the pay: see `_choose_period`.
_BY = r"(?:(?<![^\W\d_])(?:(?:per|an|a|every)\s*|(?:pro|par)\s+)|/\s*)"
# the period words of Spanish, Portuguese, Italian, Dutch, Nordic, Polish and Indonesian postings take a
# spaced word ("por hora", "al mes", "per maand", "pr. måned") or a slash ("€/hora", "kr/mån", "PLN/mies.")
# ("ahora" is no "a hora")
_BY_WORD = r"(?:(?<![^\W\d_])(?:per|por|pro|par|al|pr\.?)\s+|/\s*)"
_PERIOD_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (period, re.compile(pattern))
    for period, pattern in (
        ("hour", _BY + r"(?:hour|hr|stunde|std|heure)\b|\bhourly\b|\bhrly\b|\bstündlich\b|\bl['’]heure\b|/\s*h\b"
                 r"|(?<![a-z])p/?h\b|(?<![a-z])p\.h\b|(?<=[\d$€£k])\s*hrs?\b|stunden(?:satz|lohn)\b|\b(?:die|je)\s+stunde\b"
                 r"|\btaux\s+horaire\b|時給|时薪|時間給|시급|/\s*(?:時間?|小?时|시간)"
                 r"|" + _BY_WORD + r"(?:hora|uur|timme|godz)\b"),
        ("day", _BY + r"(?:day|diem|tag|jour)\b|\bdaily\b|\bper\s+diem\b|/\s*d\b|(?<![a-z])p\.?d\b"
                r"|\btagessatz\b|\btjm\b|/\s*j\b|日給|日薪|일급|/\s*(?:日|天|일)"
                r"|" + _BY_WORD + r"(?:d[ií]a|dag|giorno)\b|\bal\s+giorno\b"),
        ("week", _BY + r"(?:week|wk|woche|semaine)\b|(?<!bi-)(?<!bi\s)\bweekly\b|\bhebdomadaire\b|/\s*w\b"
                 r"|(?<![a-z])p\.?\s?w\b|" + _BY_WORD + r"(?:semana|settimana|vecka)\b|\bsemanal(?:es)?\b"),
        ("fortnight", _BY + r"(?:fortnight|two\s+weeks|other\s+week)\b|\bbi-?\s?weekly\b|\bfortnightly\b"
                      r"|\bzweiwöchentlich\b|\b(?:par|la|une)\s+quinzaine\b"),
        ("half_month", r"\bsemi-?\s?monthly\b|\btwice\s+(?:a|per|each|every)\s+month\b|\btwice\s+monthly\b"
                       r"|\bhalbmonatlich\b|\bbimensuel(?:le)?s?\b"
                       r"|\bquincenal(?:es)?\b|\b(?:por|cada|la|una)\s+quincena\b"),
        (AMBIGUOUS_PERIOD, r"\bbi-?\s?monthly\b"),
        ("month", _BY + r"(?:month|mo|mth|monat|mois)\b|(?<!semi-)(?<!semi\s)(?<!bi-)(?<!bi\s)\bmonthly\b"
                  r"|\bmonatlich\b|\bmensuel(?:le)?\b"
                  r"|\bp\.?\s?m\.?$|(?<=€)\s?p\.?\s?m\b|\bx\s?\d\d?\s?(?:mois|months|salaires|gehälter)\b|\bp/m\b|\bpcm\b|monats(?:gehalt|brutto|lohn)\b|(?<=\d\d\d)\s?p\.?\s?m\b|(?<=/-)\s?p\.?\s?m\b"
                  r"|/\s*m\b|\bcalendar\s+month\b|\bim\s+monat\b|\bmtl\b|\bmonatl\b|\bmensuel(?:le)?s?\b|\bmensuellement\b"
                  r"|月給|月薪|月给|月収|월급|/\s*(?:月|월)|(?<!\S)월(?=\s*\d)|(?<=\d)\s*薪"
                  r"|" + _BY_WORD + r"(?:mes|mês|mese|maand|månad|måned|mån|mnd|md|mies|miesiąc|bulan|kuukausi|kk)\b"
                  r"|\bmensal(?:is)?\b|\bmensual(?:es)?\b|\bmensil[ei]\b|\bal\s+mese\b|\bmaandelijks\b|\bmaandsalaris\b"
                  r"|\bmånadslön\b|\bmånedsløn\b|\bmiesięcznie\b|\bměsíčně\b|\bbulanan\b|\baylık\b"),
        ("year", _BY + r"(?:year|yr|annum|jahr|an|année)\b|\bannual(?:ly)?\b|\byearly\b|\bjährlich\b"
                 r"|\bannuel(?:le)?\b|\bannuellement\b"
                 r"|\bp\.?\s?a\.?\b|\bper\s+annum\b|\blpa\b|\bjahresgehalt\b|年収|年俸|年薪|연봉|/\s*(?:年|년)"
                 r"|" + _BY_WORD + r"(?:año|ano|anno|jaar|år|rok|tahun)\b|\ball['’]anno\b|\banual(?:es)?\b"
                 r"|\bannu[oiae]\b|\bjaarlijks\b|\bjaarsalaris\b|\bårslön\b|\bårsløn\b|\brocznie\b"),
    )
)

# Currency markers, most specific first. "$" alone is ambiguous and stays "$". A marker that
# starts with a letter counts only where no letter comes before it (the "US$" of "AUS$" is no USD).
_CURRENCY_MARKERS: tuple[tuple[str, str], ...] = (
    ("AUS$", "AUD"), ("CA$", "CAD"), ("C$", "CAD"), ("CAN$", "CAD"), ("US$", "USD"), ("U$S", "USD"),
    ("AU$", "AUD"), ("A$", "AUD"), ("NZ$", "NZD"), ("SG$", "SGD"), ("S$", "SGD"), ("HK$", "HKD"),
    ("MX$", "MXN"), ("R$", "BRL"), ("NT$", "TWD"), ("CN¥", "CNY"), ("RMB", "CNY"), ("£", "GBP"), ("€", "EUR"),
    ("₹", "INR"), ("¥", "¥"), ("₩", "KRW"), ("₽", "RUB"), ("₺", "TRY"), ("₱", "PHP"), ("₪", "ILS"),
    ("zł", "PLN"), ("Kč", "CZK"), ("₦", "NGN"), ("￥", "¥"), ("円", "JPY"), ("원", "KRW"), ("元", "CNY"),
)
_MARKER_PATTERNS = tuple((re.compile(("(?<![A-Za-z])" if m[0].isalpha() else "") + re.escape(m)), code)
                         for m, code in _CURRENCY_MARKERS)
# currency signs that are letters of words elsewhere, so read only as a whole word before a number: Malaysian
# "RM 8,000" (not "RMB", "CRM 5"), Peruvian "S/ 5,000" / "S/. 5,000"
_WORD_MARKERS: tuple[tuple[str, str], ...] = ((r"(?<![A-Za-z])RM(?=\s?\d)", "MYR"),
                                              (r"(?<![A-Za-z/])S/\.?(?=\s?\d)", "PEN"))
_WORD_MARKER_PATTERNS = tuple((re.compile(pattern), code) for pattern, code in _WORD_MARKERS)
# the same between the amounts of a range ("RM 8,000 - RM 10,000") and just before an amount
_WORD_MARKER_ALTERNATION = r"(?<![A-Za-z])RM(?![A-Za-z])|(?<![A-Za-z/])S/\.?"
_RS = re.compile(r"\b(?:rs\.?|inr)\s*\d", re.IGNORECASE)
_ISO = re.compile(r"(?<![A-Za-z])([A-Z]{3})(?![A-Za-z])")
# ISO 4217 codes that are also English words written in capitals next to pay ("$120K ALL IN",
# "$95,000 TOP OF RANGE"): a currency only next to a number, with no currency sign in the text
# and no capital word after it ("ALL 120,000" is Albanian lek).
_WORD_CODES = frozenset({"ALL", "TOP", "CUP", "PEN", "BOB", "MOP", "SOS", "MAD", "TRY", "GEL"})
_WORD_CODE_BY_NUMBER = re.compile(r"(?<![A-Za-z])([A-Z]{3}) ?(?=\d)"
                                  r"|(?<=\d)[kKmM]? ?([A-Z]{3})(?![A-Za-z])(?! [A-Z])")
_NEGATIVE_BEFORE = re.compile(r"^\s*[-\u2212]\s?$|(?:^|[\s:$€£₹(]|[A-Z]{3}\s?)[-\u2212]$")
# an unknown code written before a number ("XYZ 152,000") is named, not absent (rejected later),
# but for capital words of job ads ("OTE 150K", "NYC 120,000", "CTC 6,00,000", "MIN 50,000")
_CODE_BEFORE_NUMBER = re.compile(r"(?<![A-Za-z])([A-Z]{3}) ?(?=\d)")
_NOT_CODES = frozenset({"OTE", "NYC", "CTC", "AND", "MIN", "MAX", "PAY", "DOE", "PER", "TBD", "EST", "YOE", "REF",
                        "JOB", "REQ", "LPA", "UTC", "GMT", "PST", "CST", "MST", "EOE", "FTE", "APR", "JAN", "FEB",
                        "MAR", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC", "AGE", "NEW",
                        "RAL"})  # Italian "RAL 40k": retribuzione annua lorda, the gross yearly pay
# an ISO code next to a number, either side ("USD 95,000", "95,000 USD", "150K CAD")
_CODE_BY_NUMBER = re.compile(r"(?<![A-Za-z])([A-Z]{3}) ?\$? ?(?=\d)|(?<=\d)[kKmM]? ?([A-Z]{3})(?![A-Za-z])")
_DOLLAR_CODES = frozenset({"USD", "CAD", "AUD", "NZD", "SGD", "HKD", "TWD"})
# currency words and lower-case codes next to a number
_CURRENCY_WORDS = {"usd": "USD", "eur": "EUR", "gbp": "GBP", "cad": "CAD", "aud": "AUD", "inr": "INR", "chf": "CHF",
                   "dollars": "$", "dollar": "$", "euros": "EUR", "euro": "EUR", "teur": "EUR"}
_CURRENCY_WORD = re.compile(r"(?<=\d)[kKmM]?\s?(?i:(usd|eur|gbp|cad|aud|inr|chf|dollars?|euros?|teur))(?![A-Za-z])")
_INDIAN_UNIT = re.compile(r"(?i:\b(?:lpa|lakhs?|lacs?|crores?|ctc)\b|(?<=\d)\s?cr\b)|(?<![\d,])\d{1,2},\d\d,\d{3}(?![\d,])")
_SCI = re.compile(r"\d(?:\.\d+)?[eE][+-]?\d")
# A number: digits with separators ("25,00,000", "60.000", "1 200", "28.50"), optional k/m suffix,
# not the first letter of a (Latin-script) word ("60 000 - 80 000 Kč", "100 000 měsíčně": no thousands).
# (space-grouped thousands may carry decimals: "2 500,00 €")
# ("Band 5 120,000": "5 120" followed by ",000" is no space group, so 5 and 120,000)
_NUMBER = re.compile(r"(\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?:[.,]\d{1,2})?(?![\d]|[.,]\d)"
                     r"|\d(?:[\d,.'\u2019\u00a0\u202f]*\d)?)\s*([kKmM](?![A-Za-z\u00c0-\u024f]))?")
# hyphen-minus, hyphen, non-breaking hyphen, figure dash, en dash, em dash, minus sign, wave dash and
# fullwidth tilde of Japanese / Chinese ranges ("600万円～800万円")
_DASHES = "\\-\u2010\u2011\u2012\u2013\u2014\u2212\u301c\uff5e"
# "75 000 $ à 90 000 $", "from £45,000 up to £55,000", "MIN 50,000 MAX 60,000", "Entre 30.000 y 40.000 €",
# "€4.000 tot €5.500", "od 15 000 do 20 000 zł"
_RANGE_SEP = re.compile(rf"^\s*(?:[{_DASHES}]|(?:up\s+)?to|and|~|à|a|bis|und|et|max(?:imum)?"
                        r"|y|e|tot|till|do|hasta|até)\s*$", re.IGNORECASE)

def _iso_codes() -> frozenset[str]:
    import pycountry

    return frozenset(c.alpha_3 for c in pycountry.currencies)


_ISO_CODES = _iso_codes()
_ISO_ALTERNATION = "|".join(sorted(_ISO_CODES))
# Any currency marker that may stand between the two amounts of a range ("C$90,000 – C$110,000",
# "90,000 CAD - 110,000 CAD", "Rs. 5,00,000 to Rs. 7,00,000"): removed before the separator is read,
# so that every marker form accepted on the first amount is accepted on the second. ISO codes are
# matched upper-case only, so that separator words ("to", "and") are never taken for codes.
_BETWEEN_CURRENCY = re.compile(
    "|".join(sorted((re.escape(m) for m, _ in _CURRENCY_MARKERS), key=len, reverse=True))
    + r"|\$|(?i:\b(?:rs\.?|inr)(?![a-z]))|\b(?:" + _ISO_ALTERNATION + r")\b|" + _WORD_MARKER_ALTERNATION
)


def currency_hint(text: str) -> str | None:
    """ISO code named by the text, '$' for a bare dollar sign, '¥' for a bare yen / yuan sign (¥ or ￥:
    JPY in Japan, CNY in China, resolved through the country like '$'), None when no currency is shown.

    In this order: a currency sign ("£", "C$", "AUS$"; "US$" only where no letter is before it);
    "Rs" / "INR" before a number; an ISO 4217 code written in capitals, except codes that are
    English words (`_WORD_CODES`: "ALL", "TOP") which count only next to a number with no sign in
    the text and no capital word after them; a bare "$"; lakh / crore / LPA (Indian units) -> INR;
    an unknown capital code written before a number ("XYZ 152,000": named, so rejected later as
    unknown_currency). Other capital words ("DOE", "OTE", "PER", "NYC", "MAX", "10-12 LPA") are no hint.
    """
    for pattern, code in _MARKER_PATTERNS + _WORD_MARKER_PATTERNS:
        if pattern.search(text):
            return code
    if _RS.search(text):
        return "INR"
    for match in _CODE_BY_NUMBER.finditer(text):  # "95,000 USD", "USD 95,000"
        code = match.group(1) or match.group(2)
        if code in _ISO_CODES and code not in _WORD_CODES:
            return code
    if "$" in text:  # "Senior PHP Developer - $90,000": the dollar, not the peso; "$28/hour (CAD)": CAD
        return next((m.group(1) for m in _ISO.finditer(text) if m.group(1) in _DOLLAR_CODES), "$")
    for match in _ISO.finditer(text):
        if match.group(1) in _ISO_CODES and match.group(1) not in _WORD_CODES:
            return match.group(1)
    word = _CURRENCY_WORD.search(text)
    if word:  # "120k usd", "45 000 euros par an", "65 TEUR"
        return _CURRENCY_WORDS[word.group(1).lower()]
    for match in _WORD_CODE_BY_NUMBER.finditer(text):
        if (match.group(1) or match.group(2)) in _WORD_CODES:
            return match.group(1) or match.group(2)
    if _INDIAN_UNIT.search(text) or _LAKH_LETTER_RANGE.search(text):  # "12L - 15L per annum"
        return "INR"
    unknown = next((m.group(1) for m in _CODE_BEFORE_NUMBER.finditer(text) if m.group(1) not in _NOT_CODES), None)
    return unknown


def stated_monthly_payments(text: pl.Expr) -> pl.Expr:
    """Monthly pays a year a pay text states beside a monthly amount ("x 13 months", "13薪"), else null (Int32)."""
    return pl.coalesce([text.str.extract(pattern, 1) for pattern in _STATED_PAYMENTS]).cast(pl.Int32)


def detect_period(text: str) -> str | None:
    """hour/day/week/month/year of the pay named by the text, else None (see `_choose_period`)."""
    amounts, _, _ = _layout(text)
    return _choose_period(text, amounts)


# --- which numbers are amounts ---------------------------------------------------------------
# A number is no amount when it is a label: followed by a duration or a percent sign ("6 month
# contract", "40 hours per week", "3+ years", "1-3 years", "15% bonus", "35h/semaine"), after a
# label word ("Level 3", "Band 6:", "Grade 7", "Step 1", "Job ID 12345", "Req #4567", "Class of
# 2025") or written against capital letters ("L5", "IC4", "E5", "P3", "FY2025", "IR35", "M5V 3L9")
# -- unless a currency sign or code stands next to it, or it has a k / lakh unit ("$22.50 hr").
# Of the remaining numbers, those before the first one with a currency sign / code or a unit are
# no amount either ("Hiring 3 engineers at $120K", "2024 salary: $60k-$80k"), but the number just
# before it in a range is its lower bound ("60.000 - 70.000 €", "10-12 LPA").
_LABEL_AFTER = re.compile(
    rf"(?:\s*(?:[{_DASHES}]|to)\s*\d+)?\s*\+?\s*-?(?:%|(?i:(?:months?|hours?|hrs|days?|years?|yrs?|weeks?|wks"
    r"|h(?=\s*/\s*(?:sem|w))|std\.?|stunden|tage?|wochen|monate?|jahre?|heures?|jours?|ans|mois|semaines?)\b))")
_LABEL_BEFORE = re.compile(r"(?:(?i:\b(?:level|lvl|band|grade|step|tier|class\s+of|id|req(?:uisition)?|no"
                           r"|ref(?:erence)?|hours|hrs))\s*[#:.]?"
                           r"|#|(?<![A-Za-z])[A-Z]{1,2}(?=$)|\d\s+of)\s*$")
_SCALE_WORD_BEFORE = re.compile(r"(?i:\b(?:level|lvl|band|grade|step|tier)\s*[#:.]?\s*)$")
# a year written with ":" / ";" or as "2025/26" ("2025: 100000 - 130000", "2025/26 pay scale", "in 2026;
# currently 75,000", "Salary (2025): 90,000"), before a pay range word ("2025 salary band 90,000-110,000",
# "2025 pay scale", "2025 salary:"; not "2000 base + commission") or after
# "in" / "for" / "since" with a comma or "the" after it ("For 2025, the range is 90,000-110,000"): a bare
# four-digit number so written, and the two digits after its "/" or dash ("2024-25 pay scale"; not a date)
_YEAR_AFTER = re.compile(rf"\)?\s*[:;]|[/{_DASHES}]\d\d(?![\d.,kKmM]|[/{_DASHES}]\d)|"
                         r"(?i:\s*(?:(?:base\s+)?(?:salary|pay|compensation|comp|wage)\s*)?"
                         r"(?:range|band|budget|scale|structure|grid|[:;]))")
# the max of a range is no year nor 401(k) ("1500-2000 pay range", "$150K-200K, medical, dental")
_RANGE_MAX_BEFORE = re.compile(rf"\d\s*[kKmM]?\s*(?:[{_DASHES}~]|(?i:to))\s*$")
_YEAR_BEFORE_WORD = re.compile(r"(?i:\b(?:in|for|since|as\s+of|effective)\s+)$")
_YEAR_AFTER_WORD = re.compile(r"(?i:,|\s*the\b)")  # (a number match ends after its spaces)
_YEAR_BEFORE = re.compile(rf"(?<![\d.,])\d{{4}}[/{_DASHES}]$")
_DATE_AFTER = re.compile(rf"[/{_DASHES}]\d")  # "2024-05-01" is a date, no year and amounts
# a head count ("Hiring 5 nurses 45 - 50 per hour", "3 open positions")
_HEADCOUNT_AFTER = re.compile(r"(?i:\s*\+?\s*(?:new\s+|open\s+|full[\s-]time\s+)?(?:positions?|openings?"
                              r"|vacanc(?:y|ies)|roles|hires|nurses|engineers|developers|people|candidates"
                              r"|employees|workers|seats))\b")
_SIGN_CODES = "|".join(sorted(_ISO_CODES - _WORD_CODES))  # "TOP 10 company" marks no amount
_SIGN_BEFORE = re.compile(
    "(?:" + "|".join(sorted((re.escape(m) for m, _ in _CURRENCY_MARKERS), key=len, reverse=True))
    + r"|\$|(?i:\b(?:rs\.?|inr))|(?<![A-Za-z])(?:" + _SIGN_CODES + r")|" + _WORD_MARKER_ALTERNATION
    + r")\s*$")
_SIGN_AFTER = re.compile(  # used with .match(text, pos), which anchors at pos ("^" would not)
    r"\s*(?:" + "|".join(sorted((re.escape(m) for m, _ in _CURRENCY_MARKERS), key=len, reverse=True))
    + r"|\$|(?:" + _SIGN_CODES + r")(?![A-Za-z]))(?!\s?\d)")  # "4521 $25": the next number's sign
# Units after a number: Indian lakh / crore ("12 LPA", "1.2 Cr"; "₹6L" when rupees are shown) and
# German thousands ("60 T€", "60 Tsd. €") and the Chinese 千 ("8千-1.2万"), the Japanese / Chinese / Korean
# 万 / 만 (1e4) and 億 / 억 (1e8)
# ("年収600万円", "연봉 5,000만원", "1억"); the multiplier of the number.
_UNIT_AFTER = re.compile(r"\s*(?:(?i:(lpa|lakhs?|lacs?))|(?i:(crores?|cr))|(T(?=\s?€)|Tsd\b\.?|TSD\b|TEUR|千)|([万만])|([億억]))"
                         r"(?![A-Za-z])")
_LAKH_LETTER = re.compile(r"L(?![A-Za-z])")
_RUPEES = re.compile(r"₹|(?i:\b(?:rs\.?|inr)(?![a-z]))")
# lakhs written "L" on both bounds of a range ("12L - 15L per annum", "6L - 8L CTC"): rupees
_LAKH_LETTER_RANGE = re.compile(rf"\d\s?L\s*(?:[{_DASHES}]|to)\s*\d+(?:\.\d+)?\s?L(?![A-Za-z])")


def _rupees(text: str) -> bool:
    """Rupees are shown: "₹", "Rs", "INR", Indian units or grouping, CTC, or "L" on both bounds."""
    return bool(_RUPEES.search(text) or _INDIAN_UNIT.search(text) or _LAKH_LETTER_RANGE.search(text))
# a period or unit written on the first bound of a range ("$15/hr - $18/hr", "10 LPA - 15 LPA")
_UNIT_ON_FIRST_BOUND = re.compile(
    r"^\s*(?:(?:/\s*|(?i:per|an?)\s+|(?i:p)\.?\s?)"
    r"(?i:hours?|hr|h|years?|yr|annum|months?|mo|mth|weeks?|wk|days?|d|a|m|w)\b\.?"
    r"|(?i:lpa|lakhs?|lacs?|crores?|cr)\b|L(?![A-Za-z])|T(?=\s?€)|Tsd\b\.?|[千万만億억]|(?i:mil)\b)")


_MYRIAD_UNITS = (1e4, 1e8)  # 万 / 億: the max's unit scales a min that it then does not lift above the max


# "mil" is a thousand in Brazilian and Spanish-peso texts ("R$ 8 mil", "$25 mil MXN"); elsewhere it may be a
# million ("$1.5 mil"), so it is read only where reais or pesos are shown
_MIL_THOUSANDS = re.compile(r"R\$|\b(?:BRL|MXN|COP|ARS|CLP)\b|(?i:\b(?:pesos|reais)\b)")
_MIL_AFTER = re.compile(r"\s*(?i:mil)(?![^\W\d_])")


def _unit(text: str, number: re.Match, rupees: bool, mil: bool = False) -> float:
    """Multiplier of the unit written after the number (1.0 for none); `mil`: reais or pesos are shown."""
    end = number.end()
    m = _UNIT_AFTER.match(text, end)
    if m and (m.group(1) or m.group(2)) and re.search(r",\d{3}$", number.group(1)):
        return 1.0  # "₹12,00,000 - 15,00,000 LPA": written in full, the LPA is "per annum"
    if m:
        return 1e5 if m.group(1) else 1e7 if m.group(2) else 1e3 if m.group(3) else 1e4 if m.group(4) else 1e8
    if rupees and _LAKH_LETTER.match(text, end):  # "₹6L - ₹8L"
        return 1e5
    if mil and _MIL_AFTER.match(text, end):  # "R$ 12 mil"
        return 1e3
    return 1.0


def _is_marked(text: str, m: re.Match) -> bool:
    """A currency sign or code next to the number, or a k / m / lakh / thousands unit."""
    return bool(m.group(2) or _SIGN_BEFORE.search(text, 0, m.start()) or _SIGN_AFTER.match(text, m.end())
                or _UNIT_AFTER.match(text, m.end()))


# a number that is no pay even with a sign or a suffix: a bonus ("$1,500 Sign-On Bonus | $19.50/hr",
# "$3,000 sign-on, $25/hr"), months written "6m" ("6m contract - $80/hr", "12m FTC £45k"), a
# retirement plan ("401(k)", "401k match")
_ALWAYS_LABEL_AFTER = re.compile(r"(?i:\s*(?:sign[\s-]?on|signing|joining|relocation|retention|referral)\b"
                                 r"|\s*bonus\b|\(k\))")
_MONTHS_AFTER = re.compile(r"(?i:\s*(?:contract|ftc|rolling|fixed|project|temp|assignment|extension|initial"
                           r"|maternity|cover|duration|term)\b)")
_PLAN_AFTER = re.compile(r"(?i:\s*(?:match|matching|plan|contribution|retirement)\b)")
# "401K, dental, vision; $85K", "Medical, 401K; $85K": a three-digit K with no sign, in a list of benefits,
# in a text that shows a currency elsewhere ("150K, medical, dental" alone stays pay)
_BENEFIT_AFTER = re.compile(r"(?i:\s*[,;/&+]?\s*(?:and\s+)?(?:dental|vision|medical|health|pto|insurance|hsa|fsa"
                            r"|pension|life\s+insurance)\b)")
_BENEFIT_BEFORE = re.compile(r"(?i:\b(?:dental|vision|medical|health|pto|insurance|hsa|fsa|pension)\s*[:,;/&+]?\s*"
                             r"(?:and\s+)?)$")


def _is_always_label(text: str, m: re.Match) -> bool:
    suffix = m.group(2) or ""
    return bool(_ALWAYS_LABEL_AFTER.match(text, m.end())
                or (suffix in "mM" and suffix and _MONTHS_AFTER.match(text, m.end())
                    and not _SIGN_BEFORE.search(text, 0, m.start()))
                or (suffix in "kK" and suffix and _PLAN_AFTER.match(text, m.end()))
                or (suffix in "kK" and suffix and re.fullmatch(r"\d{3}", m.group(1))
                    and not _SIGN_BEFORE.search(text, 0, m.start()) and _BETWEEN_CURRENCY.search(text)
                    and not _RANGE_MAX_BEFORE.search(text, 0, m.start())
                    and (_BENEFIT_AFTER.match(text, m.end()) or _BENEFIT_BEFORE.search(text, 0, m.start()))))


def _is_label(text: str, m: re.Match) -> bool:
    token = m.group(1)
    return bool(_LABEL_AFTER.match(text, m.end())
                # "Band 6", but "band: 90,000-110,000": a number grouped in thousands is no pay scale's
                # label number ("Job ID 12,345", "R600 000" still are labels)
                or (_LABEL_BEFORE.search(text, 0, m.start())
                    and not (_is_thousands_grouped(token) and _SCALE_WORD_BEFORE.search(text, 0, m.start())))
                or _HEADCOUNT_AFTER.match(text, m.end())
                or (not m.group(2) and re.fullmatch(r"\d{4}", token)
                    and (_YEAR_AFTER.match(text, m.end()) and not _RANGE_MAX_BEFORE.search(text, 0, m.start())
                         or (_YEAR_BEFORE_WORD.search(text, 0, m.start()) and _YEAR_AFTER_WORD.match(text, m.end()))))
                or (re.fullmatch(r"\d\d", token) and _YEAR_BEFORE.search(text, 0, m.start())
                    and not _DATE_AFTER.match(text, m.end())))


_PARENTHESES = re.compile(r"\([^()]*\)")
# German ",-" / ",–" and Swiss ".-" / ".–" (no cents: "Fr. 100'000.- bis 120'000.-"), Indian "/-" after an amount
_NO_CENTS = re.compile(r"^(?:,[\-\u2013\u2014]|/-|\.[\-\u2013\u2014](?!\d))")


def _between(text: str, first: re.Match, second: re.Match) -> str:
    """What stands between two numbers, without currency markers and a unit of the first."""
    between = _NO_CENTS.sub("", text[first.end():second.start()])  # "€ 55.000,- bis € 65.000,-"
    unit = _UNIT_ON_FIRST_BOUND.match(between)
    if unit:
        between = between[unit.end():]
    between = _PARENTHESES.sub(" ", between)  # "From $18/hr (Level 1) to $24/hr (Level 3)"
    between = _BETWEEN_CURRENCY.sub(" ", between).lower()
    for _, pattern in _PERIOD_PATTERNS:  # "$4,000 monthly - $5,000 monthly", "50 €/Std. - 60 €/Std."
        between = pattern.sub(" ", between)
    return re.sub(rf"[^\w\s{_DASHES}~]", "", _NO_CENTS.sub("", between.strip())).strip()


# a postcode after a place name ("München 80331 – 60.000 €", "Lyon (69003) - 42 000 €", "Mumbai 400001 -
# 12 LPA"): five or six bare digits after a word, before a marked amount written otherwise (grouped, with
# a unit or suffix, or short); "Gehalt 60000 - 70000 €" stays a range
_PLACE_BEFORE = re.compile(r"[^\W\d_]{2,}[.,]?(?:\s+|\s*\()$")


def _is_postcode(text: str, number: re.Match, marked: re.Match) -> bool:
    return bool(re.fullmatch(r"\d{5,6}", number.group(1)) and not number.group(2)
                and _PLACE_BEFORE.search(text, 0, number.start())
                and not (re.fullmatch(r"\d{5,6}", marked.group(1)) and not marked.group(2)
                         and not _UNIT_AFTER.match(text, marked.end())))


def _layout(text: str) -> tuple[list[re.Match], bool, bool]:
    """(the one or two numbers that are the pay, whether they are a range, whether every number
    of the text is a label). Reads positions and characters only, never a digit's value."""
    numbers = list(_NUMBER.finditer(text))
    marked = [_is_marked(text, m) for m in numbers]
    kept = [i for i, m in enumerate(numbers)
            if (marked[i] or not _is_label(text, m)) and not _is_always_label(text, m)]
    if numbers and not kept:
        return [], False, True
    first_marked = next((k for k, i in enumerate(kept) if marked[i]), None)
    if first_marked:  # numbers before the first marked one are no amount, but a lower bound
        start = first_marked
        if (_RANGE_SEP.match(_between(text, numbers[kept[start - 1]], numbers[kept[start]]) or "?")
                and not _SIGN_BEFORE.search(text, 0, numbers[kept[start]].start())
                and not _is_postcode(text, numbers[kept[start - 1]], numbers[kept[start]])):
            start -= 1  # "60.000 - 70.000 €", "10-12 LPA"; not "Austin, TX 78701 - $90K" (a sign before is on both)
        kept = kept[start:]
    chosen = [numbers[i] for i in kept[:2]]
    is_range = len(chosen) == 2 and bool(_RANGE_SEP.match(_between(text, chosen[0], chosen[1]) or "?"))
    return chosen if is_range else chosen[:1], is_range, False


# a period phrase that names a pay schedule or another payment: "paid bi-weekly", "weekly
# commission", "monthly performance bonus", "hourly overtime", "annual increases", "Hourly equivalent"
_OTHER_PERIOD_AFTER = re.compile(r"\s*(?:performance\s+|sales\s+)?(?:bonus|bonuses|commissions?|overtime|increases?"
                                 r"|review|stipends?|allowances?|equivalent|incentives?|raises?|pay\s+schedule)\b")
_PAID_BEFORE = re.compile(r"\bpaid\s+(?:bi-?|semi-?)?$")


def _choose_period(text: str, amounts: list[re.Match]) -> str | None:
    """The period of the pay: the first period phrase after the first amount and before the next
    number that is not a bound ("$55,000 a year, paid bi-weekly", "$52K/yr ($25/hr)"), else the
    nearest one before it ("Weekly pay: $1,000"), else the first one further on; a phrase right
    after a label number is the label's ("40 hours per week, $20/hour", "5 days a week")."""
    lowered = text.lower()
    spans = [(m.start(), m.end(), rank, period) for rank, (period, pattern) in enumerate(_PERIOD_PATTERNS)
             for m in pattern.finditer(lowered) if not _OTHER_PERIOD_AFTER.match(lowered, m.end())]
    # a phrase inside a longer one is part of it: the "a month" of "twice a month"
    every = sorted((start, rank, period, bool(_PAID_BEFORE.search(lowered, 0, start)))
                   for start, end, rank, period in spans
                   if not any(o_start <= start and end <= o_end and (o_start, o_end) != (start, end)
                              for o_start, o_end, _, _ in spans))
    # "paid monthly" is the pay's period only when no other phrase names one ("$3,000. Paid monthly.")
    found = [p[:3] for p in every if not p[3]] or [p[:3] for p in every]
    if not found:
        return None
    if not amounts:
        return next(period for period, pattern in _PERIOD_PATTERNS if pattern.search(lowered))
    numbers = list(_NUMBER.finditer(text))
    first, last = amounts[0].start(), amounts[-1].end()
    window_end = next((m.start() for m in numbers if m.start() >= last), len(text))
    inside = [p for p in found if first <= p[0] < window_end]
    if inside:
        return inside[0][2]

    def after_label(position: int) -> bool:
        before = [m for m in numbers if m.start() < position]
        return bool(before) and not _is_marked(text, before[-1]) and _is_label(text, before[-1])

    earlier = [p for p in found if p[0] < first and not after_label(p[0])]
    if earlier:
        return earlier[-1][2]
    later = [p for p in found if p[0] >= window_end and not after_label(p[0])]
    return later[0][2] if later else None


def parse_number(token: str) -> float | None:
    """One number with thousands separators of any convention, or None when it is ambiguous.

    "25,00,000" (Indian grouping) -> 2500000; "60.000" / "1.234.567" (European) -> 60000;
    "120,000" -> 120000; "28.50" -> 28.5; "60.000,50" -> 60000.5; "1 200" -> 1200.
    """
    token = re.sub(r"[\u00a0\u202f '\u2019]", "", token)  # "CHF 100’000"
    if "," in token and "." in token:
        decimal = "," if token.rfind(",") > token.rfind(".") else "."
        thousands = "." if decimal == "," else ","
        token = token.replace(thousands, "").replace(decimal, ".")
    elif "," in token:
        parts = token.split(",")
        if len(parts) == 2 and len(parts[1]) in (1, 2):  # "28,50" decimal comma
            token = token.replace(",", ".")
        else:
            token = token.replace(",", "")
    elif token.count(".") > 1 or (token.count(".") == 1 and len(token.split(".")[1]) == 3
                                  and token.split(".")[0] not in ("0", "")):
        token = token.replace(".", "")  # "60.000" thousands dot
    try:
        value = float(token)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _is_thousands_grouped(token: str) -> bool:
    return bool(re.fullmatch(r"\d{1,3}(?:[,.'\u2019 \u00a0\u202f]\d{3})+", token))


def _bare_small(token: str) -> bool:
    return bool(re.fullmatch(r"\d{1,3}", token))


def _amounts(text: str, matches: list[re.Match], is_range: bool) -> tuple[list[float], str | None]:
    """Values of the amounts `_layout` chose (a single value or a range), or an error code."""
    values, units = [], []
    rupees, mil = _rupees(text), bool(_MIL_THOUSANDS.search(text))
    for index, m in enumerate(matches):
        value = parse_number(m.group(1))
        if value is None:
            return [], "unparseable"
        suffix = (m.group(2) or "").lower()
        value *= 1e3 if suffix == "k" else 1e6 if suffix == "m" else 1
        if index == 0 and _NEGATIVE_BEFORE.search(text[:m.start()]):
            value = -value  # "$-50,000", "-50000": a sign, not a range separator
        unit = _unit(text, m, rupees, mil)
        values.append(value * unit)  # Indian units: "12 LPA", "12 lakh", "1.2 crore"; "60 Tsd. €"
        units.append(unit)
    if is_range:
        first, second = matches
        if second.group(2) and not first.group(2) and values[0] < 1000 <= values[1] and not values[1] / 10 <= values[0]:
            values[0] *= 1e3 if second.group(2).lower() == "k" else 1e6  # "$50-60K" (but "£800-1k": 800 in full)
        elif (not second.group(2) and not first.group(2) and units == [1.0, 1.0] and _bare_small(first.group(1))
              and _is_thousands_grouped(second.group(1)) and values[0] < 1000 <= values[1]
              and values[1] % 1000 == 0 and not values[1] / 10 <= values[0]):
            values[0] *= 1e3  # "£45-55,000"
        elif (first.group(2) and not second.group(2) and units == [1.0, 1.0] and _bare_small(second.group(1))
              and values[1] < 1000 <= values[0]
              and values[1] * (1e3 if first.group(2).lower() == "k" else 1e6) >= values[0]):
            values[1] *= 1e3 if first.group(2).lower() == "k" else 1e6  # "$85K-95"
        if units[1] in _MYRIAD_UNITS and units[0] == 1 and values[0] * units[1] <= values[1]:
            values[0] *= units[1]  # "年薪30-50万", "연봉 4000~6000만원" (but "300000-50万": in full)
        elif units[1] > 1 and units[0] == 1 and values[0] < 1000:
            values[0] *= units[1]  # "₹10-15 LPA"
    return values, None


def _parse_one(text: str | None) -> tuple[float | None, float | None, str | None, str | None, str | None]:
    if text is None or text.strip().lower() in MISSING_MARKERS:
        return None, None, None, None, "no_pay"
    hint = currency_hint(text)
    matches, is_range, labels_only = _layout(text)
    period = _choose_period(text, matches)
    if _SCI.search(text):
        return None, None, hint, period, "unparseable"
    if labels_only:  # "15% bonus", "40 hours per week": no pay figure is given
        return None, None, hint, period, "no_pay"
    if not matches:
        return None, None, hint, period, "no_amount"
    values, error = _amounts(text, matches, is_range)
    if error:
        return None, None, hint, period, error
    low, high = values[0], values[-1]
    if not all(math.isfinite(v) for v in (low, high)) or max(low, high) > MAX_AMOUNT:
        return None, None, hint, period, "amount_out_of_range"
    if min(low, high) <= 0:
        return None, None, hint, period, "zero_amount"
    if low > high:
        return None, None, hint, period, "inverted_range"
    return low, high, hint, period, None


def parse_pay_text_per_value(values: pl.Series) -> pl.DataFrame:
    """`parse_pay_text` computed by `_parse_one` on every distinct text (the reference; slower)."""
    distinct = values.cast(pl.String).unique().sort(nulls_last=True).to_list()
    rows = [(text, *_parse_one(text)) for text in distinct]
    return pl.DataFrame(rows, schema=OUTPUT_SCHEMA, orient="row")


# --- parsing by shape ------------------------------------------------------------------------
# Posting pay texts are nearly unique per row ("$118K-$154K", "$97K-$131K", ...) but have few
# SHAPES: the text with every ASCII digit replaced by "0" ("$000K-$000K"). Everything
# `_parse_one` decides except the numbers' values depends on the shape only: every pattern it
# uses (currency markers, ISO codes, period words, the number grammar `_NUMBER`, a minus before
# the first amount, lakh units, the range separator) sees a digit as "some digit", and which
# separator of a number is the decimal mark depends on positions and counts, not values. So
# `_shape_plan` runs once per distinct shape (in Python) and says where the one or two numbers
# are, how to clean each for float parsing, their multipliers, and whether they form a range;
# the values are then read with Polars string and float expressions for all texts of the shape.
# The few decisions that read digit values stay vectorised in the same order as `_amounts`
# ("$50-60K": the K of the high bound applies to a low bound under 1000; "10-15 LPA" likewise;
# "$85K-95": the K of the low bound applies to a high bound under 1000 it then does not pass;
# "0.500" is 0.5 but "1.500" is 1500). Shapes the plan does not cover go through `_parse_one`
# text by text: a missing marker with a digit ("-1"), digits other than ASCII (float() reads
# "١٢٣", Polars does not), numbers of more than 300 digits (float overflow).
# `parse_pay_text_per_value` is the reference; tests compare the two on generated and real texts.
_DIGIT_MARKER_SHAPES = frozenset(re.sub(r"[0-9]", "0", m) for m in MISSING_MARKERS if re.search(r"[0-9]", m))
_SPACING = re.compile(r"[\u00a0\u202f '\u2019]")
MAX_PLANNED_DIGITS = 300

# number cleaning modes, as parse_number decides them: A drop ",", B drop "." and "," -> ".",
# C "," -> ".", D drop ".", E as is, Z drop "." unless the number is "0.ddd"


def _number_mode(token: str) -> str:
    """parse_number's cleaning decision for one shape token (after spaces and quotes are removed)."""
    if "," in token and "." in token:
        return "B" if token.rfind(",") > token.rfind(".") else "A"
    if "," in token:
        parts = token.split(",")
        return "C" if len(parts) == 2 and len(parts[1]) in (1, 2) else "A"
    if token.count(".") > 1:
        return "D"
    if token.count(".") == 1 and len(token.split(".")[1]) == 3:
        before = token.split(".")[0]
        return "Z" if len(before) == 1 else "E" if before in ("0", "") else "D"
    return "E"


def _clean(token: str, mode: str) -> str:
    if mode == "A":
        return token.replace(",", "")
    if mode == "B":
        return token.replace(".", "").replace(",", ".")
    if mode == "C":
        return token.replace(",", ".")
    if mode in "DZ":
        return token.replace(".", "")
    return token


PLAN_SCHEMA = {
    "shape": pl.String, "plan": pl.String,  # "done" (answer known), "amounts" (read numbers), "per_text"
    "currency_hint": pl.String, "period": pl.String, "parse_error": pl.String,
    "start_1": pl.Int64, "length_1": pl.Int64, "mode_1": pl.String, "suffix_1": pl.Float64, "negative_1": pl.Boolean,
    "unit_1": pl.Float64,
    "start_2": pl.Int64, "length_2": pl.Int64, "mode_2": pl.String, "suffix_2": pl.Float64, "unit_2": pl.Float64,
    "is_range": pl.Boolean, "k_factor": pl.Float64, "max_k_factor": pl.Float64, "thousands_factor": pl.Float64,
    "lakh_factor": pl.Float64, "myriad_factor": pl.Float64,
}


def _shape_plan(shape: str) -> dict:
    """What `_parse_one` does with any text of this shape, short of reading the digits' values."""
    plan: dict = dict.fromkeys(PLAN_SCHEMA)
    plan["shape"] = shape
    stripped = shape.strip().lower()
    if stripped in _DIGIT_MARKER_SHAPES:
        return {**plan, "plan": "per_text"}
    if stripped in MISSING_MARKERS:
        return {**plan, "plan": "done", "parse_error": "no_pay"}
    matches, is_range, labels_only = _layout(shape)
    plan.update(plan="done", currency_hint=currency_hint(shape), period=_choose_period(shape, matches))
    if _SCI.search(shape):
        return {**plan, "parse_error": "unparseable"}
    if labels_only:
        return {**plan, "parse_error": "no_pay"}
    if not matches:
        return {**plan, "parse_error": "no_amount"}
    units = []
    rupees, mil = _rupees(shape), bool(_MIL_THOUSANDS.search(shape))
    for index, m in enumerate(matches, start=1):
        token = _SPACING.sub("", m.group(1))
        if not token.isascii() or len(token) > MAX_PLANNED_DIGITS:
            return {**plan, "plan": "per_text"}
        mode = _number_mode(token)
        try:
            float(_clean(token, mode))
        except ValueError:
            return {**plan, "parse_error": "unparseable"}
        suffix = (m.group(2) or "").lower()
        unit = _unit(shape, m, rupees, mil)
        units.append(unit)
        plan.update({f"start_{index}": m.start(1), f"length_{index}": m.end(1) - m.start(1), f"mode_{index}": mode,
                     f"suffix_{index}": 1e3 if suffix == "k" else 1e6 if suffix == "m" else 1.0,
                     f"unit_{index}": unit})
    plan.update(plan="amounts", negative_1=bool(_NEGATIVE_BEFORE.search(shape[:matches[0].start()])),
                is_range=is_range)
    if is_range:
        first, second = matches
        if second.group(2) and not first.group(2):
            plan["k_factor"] = 1e3 if second.group(2).lower() == "k" else 1e6
        elif (not first.group(2) and units == [1.0, 1.0] and _bare_small(first.group(1))
              and _is_thousands_grouped(second.group(1))):
            plan["thousands_factor"] = 1e3
        elif first.group(2) and not second.group(2) and units == [1.0, 1.0] and _bare_small(second.group(1)):
            plan["max_k_factor"] = 1e3 if first.group(2).lower() == "k" else 1e6
        if units[1] in _MYRIAD_UNITS and units[0] == 1:
            plan["myriad_factor"] = units[1]
        elif units[1] > 1 and units[0] == 1:
            plan["lakh_factor"] = units[1]
    return plan


def _read_number(index: int) -> pl.Expr:
    """Number `index` of the plan as float: sliced from the text, cleaned by its mode."""
    token = (pl.col("pay_text").str.slice(pl.col(f"start_{index}"), pl.col(f"length_{index}"))
             .str.replace_all(_SPACING.pattern, ""))
    mode = pl.col(f"mode_{index}")
    no_dots = token.str.replace_all(".", "", literal=True)
    cleaned = (
        pl.when(mode == "A").then(token.str.replace_all(",", "", literal=True))
        .when(mode == "B").then(no_dots.str.replace_all(",", ".", literal=True))
        .when(mode == "C").then(token.str.replace_all(",", ".", literal=True))
        .when(mode == "D").then(no_dots)
        .when(mode == "Z").then(pl.when(token.str.starts_with("0.")).then(token).otherwise(no_dots))
        .otherwise(token)
    )
    return cleaned.cast(pl.Float64, strict=False)


def parse_pay_text(values: pl.Series) -> pl.DataFrame:
    """One row per distinct pay text: pay_min, pay_max, currency_hint, period, parse_error.

    parse_error codes: no_pay (missing marker such as "-1" or empty), no_amount (no number),
    unparseable, amount_out_of_range, zero_amount, inverted_range. Amounts are as written
    (not annualised); a single amount gives pay_min == pay_max. Same answer as `_parse_one` on
    each distinct text, computed by shape (see above).
    """
    distinct = pl.DataFrame({"pay_text": values.cast(pl.String).unique().sort(nulls_last=True)})
    texts = distinct.drop_nulls().with_columns(pl.col("pay_text").str.replace_all("[0-9]", "0").alias("shape"))
    shapes = texts.get_column("shape").unique().sort().to_list()
    plans = pl.DataFrame([_shape_plan(shape) for shape in shapes], schema=PLAN_SCHEMA, orient="row")
    planned = texts.join(plans, on="shape", how="left")
    low, high = _read_number(1), _read_number(2)
    low = (low * pl.col("suffix_1"))
    low = pl.when(pl.col("negative_1")).then(-low).otherwise(low) * pl.col("unit_1")
    high = high * pl.col("suffix_2") * pl.col("unit_2")
    amounts = (
        planned.filter(pl.col("plan") == "amounts")
        .with_columns(low.alias("_low"), high.alias("_high"))
        .with_columns(  # "$50-60K": the high bound's K/M applies to a low bound under 1000, not in full
            # ("£800-1k"); "£45-55,000": so do the thousands of a grouped high bound ending in 000
            pl.when(pl.col("k_factor").is_not_null() & (pl.col("_low") < 1000) & (1000 <= pl.col("_high"))
                    & ~(pl.col("_high") / 10 <= pl.col("_low")))
            .then(pl.col("_low") * pl.col("k_factor"))
            .when(pl.col("thousands_factor").is_not_null() & (pl.col("_low") < 1000) & (1000 <= pl.col("_high"))
                  & (pl.col("_high") % 1000 == 0) & ~(pl.col("_high") / 10 <= pl.col("_low")))
            .then(pl.col("_low") * pl.col("thousands_factor"))
            .otherwise(pl.col("_low")).alias("_low"))
        .with_columns(  # "₹10-15 LPA": the high bound's lakh/crore applies to a low bound under 1000
            pl.when(pl.col("lakh_factor").is_not_null() & (pl.col("_low") < 1000))
            .then(pl.col("_low") * pl.col("lakh_factor"))
            # "年薪30-50万": the max's 万 / 億 applies to a bare min it then does not lift above the max
            .when(pl.col("myriad_factor").is_not_null() & (pl.col("_low") * pl.col("myriad_factor") <= pl.col("_high")))
            .then(pl.col("_low") * pl.col("myriad_factor"))
            .otherwise(pl.col("_low")).alias("_low"))
        .with_columns(  # "$85K-95": the low bound's K/M applies to a high bound under 1000 it does not pass
            pl.when(pl.col("max_k_factor").is_not_null() & (pl.col("_high") < 1000) & (1000 <= pl.col("_low"))
                    & (pl.col("_high") * pl.col("max_k_factor") >= pl.col("_low")))
            .then(pl.col("_high") * pl.col("max_k_factor")).otherwise(pl.col("_high")).alias("_high"))
        .with_columns(pl.when(pl.col("is_range")).then(pl.col("_high")).otherwise(pl.col("_low")).alias("_high"))
    )
    unread = pl.col("_low").is_null() | pl.col("_high").is_null()  # never expected: read per text
    lo, hi = pl.col("_low"), pl.col("_high")
    error = (
        pl.when(lo.is_infinite() | hi.is_infinite() | (pl.max_horizontal(lo, hi) > MAX_AMOUNT))
        .then(pl.lit("amount_out_of_range"))
        .when(pl.min_horizontal(lo, hi) <= 0).then(pl.lit("zero_amount"))
        .when(lo > hi).then(pl.lit("inverted_range"))
        .otherwise(pl.lit(None, dtype=pl.String))
    )
    read = amounts.filter(~unread).with_columns(error.alias("parse_error")).select(
        "pay_text",
        pl.when(pl.col("parse_error").is_null()).then(lo).alias("pay_min"),
        pl.when(pl.col("parse_error").is_null()).then(hi).alias("pay_max"),
        "currency_hint", "period", "parse_error",
    )
    done = planned.filter(pl.col("plan") == "done").select(
        "pay_text", pl.lit(None, dtype=pl.Float64).alias("pay_min"), pl.lit(None, dtype=pl.Float64).alias("pay_max"),
        "currency_hint", "period", "parse_error")
    # per text: shapes the plan does not cover, and (never expected) numbers Polars could not read
    slow = pl.concat([planned.filter(pl.col("plan") == "per_text").select("pay_text"),
                      amounts.filter(unread).select("pay_text")]).get_column("pay_text").to_list()
    if values.null_count():
        slow.append(None)
    per_text = pl.DataFrame([(text, *_parse_one(text)) for text in slow], schema=OUTPUT_SCHEMA, orient="row")
    return (
        pl.concat([read.cast(OUTPUT_SCHEMA), done.cast(OUTPUT_SCHEMA), per_text])
        .sort("pay_text", nulls_last=True)
    )


_PERIOD_SYNONYMS: dict[str, str] = {
    **{k: "hour" for k in ("hour", "hours", "hourly", "per hour", "an hour", "a hour", "h", "hr", "hrs", "ph",
                           "p h", "per hr", "hr rate", "hourly rate")},
    **{k: "day" for k in ("day", "days", "daily", "per day", "a day", "d", "per diem", "day rate", "daily rate")},
    **{k: "week" for k in ("week", "weeks", "weekly", "per week", "a week", "w", "wk", "wks", "pw")},
    **{k: "fortnight" for k in ("fortnight", "fortnights", "fortnightly", "per fortnight", "a fortnight", "biweekly",
                                "bi weekly", "every two weeks")},
    **{k: "half_month" for k in ("half month", "semimonthly", "semi monthly", "twice a month", "twice monthly")},
    **{k: "month" for k in ("month", "months", "monthly", "per month", "a month", "m", "mo", "mon", "mth",
                            "pm", "p m")},
    **{k: "year" for k in ("year", "years", "yearly", "annual", "annually", "per year", "a year", "y", "yr",
                           "yrs", "pa", "p a", "per annum", "annum", "salary", "annual salary")},
}


def normalise_period(values: pl.Series) -> pl.Series:
    """Period words ("hourly", "per hour", "H", "yr", "p.a.", "bi-weekly") -> hour / day / week / fortnight /
    half_month / month / year, else null ("bimonthly": every two months or twice a month)."""
    cleaned = (
        values.cast(pl.String)
        .str.to_lowercase()
        .str.replace_all(r"[^a-z]+", " ")
        .str.strip_chars()
    )
    return cleaned.replace_strict(_PERIOD_SYNONYMS, default=None, return_dtype=pl.String).alias(values.name)


def annualisation_factor(periods: pl.Expr) -> pl.Expr:
    """Expression: factor for a canonical period column (null for unknown periods)."""
    return periods.replace_strict(ANNUALISATION_FACTORS, default=None, return_dtype=pl.Float64)
