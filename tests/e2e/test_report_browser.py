"""The report pages in a real headless Chromium: index filter, a report page, screenshot, console, links.

Drives Debian's chromium through chromedriver's W3C WebDriver HTTP API with httpx (no selenium).
Without chromium the test fails when CI is set and skips otherwise.
"""
from __future__ import annotations

import base64
import functools
import http.server
import os
import re
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from datetime import date

import httpx
import polars as pl
import pytest

from transforms import reports
from transforms.reference import load_reference

pytestmark = pytest.mark.browser

CHROME_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               "--disable-dev-shm-usage", "--window-size=1200,900"]
ROLE = "Senior Data Scientist"


def _tables() -> dict[str, pl.DataFrame]:
    """Four cells: World, Canada (publish, with a projection), Québec (warn), Montréal (suppressed)."""
    cells = [("World", "world", None, None, "USD", 150_000.0, 500, "publish"),
             ("Canada", "country", "World", "CA", "CAD", 140_000.0, 200, "publish"),
             ("Québec, Canada", "subdivision", "Canada", "CA", "CAD", 120_000.0, 30, "warn"),
             ("Montréal, Québec, Canada", "city", "Québec, Canada", "CA", "CAD", 110_000.0, 3, "suppress")]
    rows = []
    for region, level, parent, country, currency, median, n, reliability in cells:
        for year, growth in ((2023, 0.92), (2024, 0.96), (2025, 1.0)):
            m = median * growth
            rows.append({"role_label": ROLE, "region": region, "region_level": level, "parent_region": parent,
                         "country_code": country, "currency": currency, "year": year, "n": n, "mean": m,
                         "p10": m * 0.7, "p25": m * 0.85, "median": m, "p75": m * 1.15, "p90": m * 1.3,
                         "median_usd": m * 0.73, "median_ci_low": m * 0.95, "median_ci_high": m * 1.05,
                         "cv": 0.15, "reliability": reliability})
    projections = pl.DataFrame([{"role_label": ROLE, "region": r[0], "base_year": 2025, "target_year": 2026,
                                 "baseline": r[5], "projected": r[5] * 1.04, "pi_low": r[5] * 0.99,
                                 "pi_high": r[5] * 1.09, "pi80_low": r[5] * 1.0, "pi80_high": r[5] * 1.08,
                                 "currency": r[4], "model": "log-linear"} for r in cells])
    return {"role_region_stats": pl.DataFrame(rows), "projections": projections}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _browser_binaries() -> tuple[str, str] | None:
    chrome = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    return (chrome, driver) if chrome and driver else None


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The reports written to a temp folder and served by http.server on 127.0.0.1 (random port)."""
    out = tmp_path_factory.mktemp("out")
    built, claims = reports.build_reports(_tables(), load_reference(), date(2026, 3, 1), "run-browser",
                                          {"median_abs_pct_error": 4.0, "naive_median_abs_pct_error": 6.0,
                                           "coverage_90": 0.9})
    root = reports.write_report_files(built, claims, None, out)
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", _free_port()), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", built
    server.shutdown()
    server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # keep pytest output clean
        pass


@pytest.fixture(scope="module")
def browser():
    """A chromedriver process and one WebDriver session (fresh user-data-dir); closed afterwards."""
    binaries = _browser_binaries()
    if binaries is None:
        if os.environ.get("CI"):
            pytest.fail("chromium/chromedriver not installed (run `make browser-deps`)")
        pytest.skip("chromium/chromedriver not installed")
    chrome, driver = binaries
    port = _free_port()
    profile = tempfile.mkdtemp(prefix="mi-chrome-")
    process = subprocess.Popen([driver, f"--port={port}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60)
    try:
        for _ in range(100):
            try:
                if client.get("/status").json()["value"]["ready"]:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        caps = {"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": chrome, "args": [*CHROME_ARGS, f"--user-data-dir={profile}"]},
            "goog:loggingPrefs": {"browser": "ALL"}}}}
        response = client.post("/session", json=caps)
        assert response.status_code == 200, response.text
        session = response.json()["value"]["sessionId"]
        yield _Driver(client, session)
        client.delete(f"/session/{session}")
    finally:
        client.close()
        process.terminate()
        process.wait(timeout=10)
        shutil.rmtree(profile, ignore_errors=True)


class _Driver:
    """The few WebDriver commands the test needs."""

    def __init__(self, client: httpx.Client, session: str) -> None:
        self.client, self.prefix = client, f"/session/{session}"

    def _call(self, method: str, path: str, body: dict | None = None):
        response = self.client.request(method, self.prefix + path, json=body)
        assert response.status_code == 200, response.text
        return response.json()["value"]

    def go(self, url: str) -> None:
        self._call("POST", "/url", {"url": url})

    def script(self, source: str, *args):
        return self._call("POST", "/execute/sync", {"script": source, "args": list(args)})

    def screenshot(self) -> bytes:
        return base64.b64decode(self._call("GET", "/screenshot"))

    def console(self) -> list[dict]:
        return self._call("POST", "/se/log", {"type": "browser"})

    def type_into(self, css: str, text: str) -> None:
        element = self._call("POST", "/element", {"using": "css selector", "value": css})
        element_id = next(iter(element.values()))
        self._call("POST", f"/element/{element_id}/value", {"text": text})


def test_index_and_a_report_page_load_cleanly_in_chromium(site, browser, tmp_path):
    base, built = site
    browser.go(f"{base}/index.html")
    assert browser.script("return document.title;") == "Market Intelligence reports"
    assert browser.script("return document.querySelectorAll('#reports tbody tr').length;") == built.height
    browser.type_into("#filter", "MONTREAL")  # words of role or region, ignoring case and accents
    visible = browser.script("return Array.from(document.querySelectorAll('#reports tbody tr'))"
                             ".filter(r => !r.hidden).map(r => r.cells[1].textContent);")
    assert visible == ["Montréal, Québec, Canada"]
    browser.script("document.getElementById('filter').value = ''; "
                   "document.getElementById('filter').dispatchEvent(new Event('input'));")
    browser.type_into("#filter", "canada québec")
    visible = browser.script("return Array.from(document.querySelectorAll('#reports tbody tr'))"
                             ".filter(r => !r.hidden).map(r => r.cells[1].textContent);")
    assert sorted(visible) == ["Montréal, Québec, Canada", "Québec, Canada"]
    # the label as the table shows it, comma and accents: the row's own accents were not folded, so
    # "montreal," matched neither "montréal," nor the slug "montreal-quebec-canada"
    browser.script("document.getElementById('filter').value = ''; "
                   "document.getElementById('filter').dispatchEvent(new Event('input'));")
    browser.type_into("#filter", "Montréal, Québec")
    visible = browser.script("return Array.from(document.querySelectorAll('#reports tbody tr'))"
                             ".filter(r => !r.hidden).map(r => r.cells[1].textContent);")
    assert visible == ["Montréal, Québec, Canada"]
    index_png = browser.screenshot()

    canada = built.filter(pl.col("region") == "Canada").row(0, named=True)
    browser.go(f"{base}/{canada['slug_role']}/{canada['slug_region']}.html")
    assert browser.script("return document.querySelector('h1').textContent;") == f"Market Intelligence: {ROLE} in Canada"
    assert browser.script("return document.querySelectorAll('svg').length;") == 2
    page_png = browser.screenshot()
    for png in (index_png, page_png):
        assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 5_000
    (tmp_path / "report.png").write_bytes(page_png)


    problems = [entry for entry in browser.console() if entry.get("level") in ("SEVERE", "ERROR")]
    assert problems == []
    browser.script("console.error('probe');")  # the log check itself can see an error
    assert any("probe" in entry.get("message", "") for entry in browser.console())


def test_pages_do_not_scroll_sideways_on_a_phone(site, browser):
    """The pages declare width=device-width, but the 640 px charts and the wide tables made the whole page
    pan sideways on a phone (cutting the text column); now only a chart or table scrolls, inside its box."""
    base, built = site
    world = built.filter(pl.col("region") == "World").row(0, named=True)
    canada = built.filter(pl.col("region") == "Canada").row(0, named=True)
    browser._call("POST", "/window/rect", {"width": 390, "height": 844})
    try:
        for path in ("index.html", f"{canada['slug_role']}/{canada['slug_region']}.html",
                     f"{world['slug_role']}/{world['slug_region']}.html"):
            browser.go(f"{base}/{path}")
            assert browser.script("return document.querySelectorAll('svg, table').length;") > 0, path
            widths = browser.script("const d = document.documentElement; return [d.scrollWidth, d.clientWidth];")
            assert widths[0] <= widths[1], (path, widths)
    finally:
        browser._call("POST", "/window/rect", {"width": 1200, "height": 900})


def test_every_link_in_the_index_and_a_report_resolves(site):
    base, built = site
    with httpx.Client(base_url=base, timeout=10) as client:
        index = client.get("/index.html")
        assert index.status_code == 200
        hrefs = [h for h in re.findall(r'href="([^"]+)"', index.text) if not h.startswith("data:")]
        assert len(hrefs) == 2 * built.height
        for href in hrefs:
            assert client.get(f"/{href}").status_code == 200, href
        suppressed = built.filter(pl.col("reliability") == "suppress").row(0, named=True)
        page_url = f"/{suppressed['slug_role']}/{suppressed['slug_region']}.html"
        page = client.get(page_url)
        links = [h for h in re.findall(r'href="([^"]+)"', page.text) if not h.startswith("data:")]
        assert any(h.endswith("/quebec-canada.html") for h in links)
        for href in links:
            target = httpx.URL(base + page_url).join(href)
            assert client.get(target).status_code == 200, href
