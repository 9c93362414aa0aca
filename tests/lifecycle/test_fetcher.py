"""fetch-links' fetcher against a real HTTP server on 127.0.0.1 (no store, no embedding)."""

from __future__ import annotations

import itertools
import json
import time
from pathlib import Path

import pytest

from tests.lifecycle.conftest import LIFECYCLE, Route, Site, closed_port
from tests.lifecycle.slow_site import drip_server
from tests.pdfs import one_page_pdf
from vidensbank.ingest.linked.fetcher import UNREACHABLE, FetchOptions
from vidensbank.ingest.linked.guard import AllowList
from vidensbank.ingest.linked.links import LinkTarget, fetch_links
from vidensbank.ingest.linked.provenance import SIDECAR_SUFFIX, base_path, read_record

UA = "Vidensbank/0.1 (+test)"
LOOPBACK = AllowList.parse(["127.0.0.1"])


def options(**kwargs: object) -> FetchOptions:
    defaults: dict[str, object] = {
        "user_agent": UA,
        "delay_s": 0.0,
        "timeout_s": 1.0,
        "allow": LOOPBACK,  # the test server is on 127.0.0.1, refused unless allowed
    }
    return FetchOptions(**{**defaults, **kwargs})  # type: ignore[arg-type]


def target(url: str, case: str | None = "kilde--case-solceller-i-tinglev") -> LinkTarget:
    return LinkTarget(url, [{"document_id": "kilde", "case_id": case, "url": url}])


def run(site_urls: list[str], linked: Path, **kwargs: object):
    return fetch_links([target(u) for u in site_urls], linked, options(**kwargs))


def test_fetches_html_and_pdf_with_provenance(site: Site, tmp_path: Path) -> None:
    site.page("/artikler/solceller", "solceller-v1.html", etag='"v1"')
    site.routes["/rapport.pdf"] = Route(
        body=one_page_pdf("Regnbede i Sonderborg holder vandet i omraadet."),
        content_type="application/pdf",
    )
    url, pdf_url = f"{site.base}/artikler/solceller", f"{site.base}/rapport.pdf"
    report = run([url, pdf_url], tmp_path / "linked")
    assert [o.status for o in report.outcomes] == ["new", "new"], report.outcomes
    html, pdf = (o.file for o in report.outcomes)
    assert html.suffix == ".html" and pdf.suffix == ".pdf"
    assert html.parent == tmp_path / "linked" / f"127-0-0-1-{site.port}"
    assert html.read_bytes() == site.routes["/artikler/solceller"].body
    record = json.loads(html.with_name(html.stem + SIDECAR_SUFFIX).read_text())
    assert record["url"] == url and record["final_url"] == url
    assert record["status"] == 200 and record["etag"] == '"v1"'
    assert record["file"] == html.name and len(record["sha256"]) == 64
    assert record["fetched_at"] and record["content_type"].startswith("text/html")
    assert record["linked_from"] == [
        {"document_id": "kilde", "case_id": "kilde--case-solceller-i-tinglev", "url": url}
    ]
    # robots.txt first, once per host; our User-Agent on every request
    assert site.paths() == ["/robots.txt", "/artikler/solceller", "/rapport.pdf"]
    assert all(s.headers.get("User-Agent") == UA for s in site.seen)


def test_redirects_are_followed_up_to_a_limit_and_only_within_domains(
    site: Site, tmp_path: Path
) -> None:
    site.page("/ny-side", "ny-side.html")
    site.routes["/flyttet"] = Route(status=301, headers={"Location": "/ny-side"})
    site.routes["/loop"] = Route(status=302, headers={"Location": "/loop"})
    site.routes["/ud"] = Route(
        status=302, headers={"Location": f"http://localhost:{site.port}/ny-side"}
    )
    urls = [f"{site.base}/flyttet", f"{site.base}/loop", f"{site.base}/ud"]
    report = run(urls, tmp_path / "linked", max_redirects=3, domains=("127.0.0.1",))
    moved, loop, out = report.outcomes
    assert moved.status == "new" and moved.final_url == f"{site.base}/ny-side"
    assert read_record(base_path(tmp_path / "linked", urls[0])).final_url.endswith("/ny-side")
    assert loop.status == "failed" and "more than 3 redirects" in loop.reason
    assert site.paths().count("/loop") == 4
    assert out.status == "skipped" and "outside --domains" in out.reason
    assert not any(s.host.startswith("localhost") for s in site.seen)


def test_errors_timeouts_size_and_type_are_reported_and_write_nothing(
    site: Site, tmp_path: Path
) -> None:
    big = b"<html><body>" + b"<p>fyld</p>" * 20_000 + b"</body></html>"
    site.routes["/fejl"] = Route(status=500, body=b"oops")
    site.routes["/langsom"] = Route(body=b"<html><body>sent</body></html>", delay_s=2.5)
    site.routes["/stor"] = Route(body=big)
    site.routes["/stor-uden-laengde"] = Route(body=big, send_length=False)
    site.routes["/billede.png"] = Route(body=b"\x89PNG\r\n\x1a\n", content_type="image/png")
    paths = ["/mangler", "/fejl", "/langsom", "/stor", "/stor-uden-laengde", "/billede.png"]
    linked = tmp_path / "linked"
    report = run([site.base + p for p in paths], linked, max_bytes=100_000)
    reasons = {o.url.removeprefix(site.base): o.reason for o in report.outcomes}
    assert all(o.status == "failed" for o in report.outcomes), report.outcomes
    assert reasons["/mangler"].startswith("HTTP 404")
    assert reasons["/fejl"].startswith("HTTP 500")
    assert "timed out after 1 s" in reasons["/langsom"]
    assert "larger than the 0.10 MB limit" in reasons["/stor"]
    assert "larger than the 0.10 MB limit" in reasons["/stor-uden-laengde"]
    assert "not HTML or PDF (Content-Type image/png)" in reasons["/billede.png"]
    assert not linked.exists() or not any(p.is_file() for p in linked.rglob("*"))


def test_robots_txt_disallow_is_respected(site: Site, tmp_path: Path) -> None:
    site.page("/privat/notat", "ny-side.html")
    report = run([f"{site.base}/privat/notat"], tmp_path / "linked")
    assert report.outcomes[0].status == "skipped"
    assert "robots.txt" in report.outcomes[0].reason
    assert "/privat/notat" not in site.paths()


def test_conditional_requests_detect_unchanged_and_changed_pages(
    site: Site, tmp_path: Path
) -> None:
    site.page("/artikler/solceller", "solceller-v1.html", etag='"v1"')
    site.page("/nyhed", "ny-side.html", last_modified="Wed, 01 Jan 2025 10:00:00 GMT", etag=None)
    urls = [f"{site.base}/artikler/solceller", f"{site.base}/nyhed"]
    linked = tmp_path / "linked"
    assert [o.status for o in run(urls, linked).outcomes] == ["new", "new"]
    first = read_record(base_path(linked, urls[0]))

    second = run(urls, linked)
    assert [o.status for o in second.outcomes] == ["not_modified", "not_modified"]
    conditional = [s.headers for s in site.seen if s.path != "/robots.txt"][-2:]
    assert conditional[0].get("If-None-Match") == '"v1"'
    assert conditional[1].get("If-Modified-Since") == "Wed, 01 Jan 2025 10:00:00 GMT"
    again = read_record(base_path(linked, urls[0]))
    assert again.sha256 == first.sha256 and again.fetched_at == first.fetched_at

    site.page("/artikler/solceller", "solceller-v2.html", etag='"v2"')
    third = run(urls, linked)
    assert [o.status for o in third.outcomes] == ["changed", "not_modified"]
    assert b"batteri" in third.outcomes[0].file.read_bytes()
    assert read_record(base_path(linked, urls[0])).etag == '"v2"'


def test_requests_to_one_host_are_spaced_by_the_delay(site: Site, tmp_path: Path) -> None:
    for name in ("a", "b", "c"):
        site.page(f"/{name}", "ny-side.html")
    run([f"{site.base}/{n}" for n in "abc"], tmp_path / "linked", delay_s=0.5)
    times = [s.at for s in site.seen]
    assert len(times) == 4  # robots.txt + 3 pages
    gaps = [b - a for a, b in itertools.pairwise(times)]
    # Measured where the requests arrive, so one request's own latency on a busy machine
    # can shorten a gap a little; without the delay the gaps are a few milliseconds.
    assert min(gaps) >= 0.4, gaps


def test_unreachable_hosts_are_reported_and_an_earlier_copy_is_kept(
    site: Site, tmp_path: Path
) -> None:
    site.page("/artikler/solceller", "solceller-v1.html", etag='"v1"')
    url = f"{site.base}/artikler/solceller"
    linked = tmp_path / "linked"
    run([url], linked)
    copies = {p: p.read_bytes() for p in linked.rglob("*.html")}
    dead = f"http://127.0.0.1:{closed_port()}/artikler/solceller"
    report = fetch_links([target(dead), LinkTarget(url, [])], linked, options())
    assert report.outcomes[0].status == "failed" and "unreachable" in report.outcomes[0].reason
    assert not (linked / f"127-0-0-1-{dead.split(':')[2].split('/')[0]}").exists()
    # the live page only changed who links to it: its copy is untouched, its record updated
    assert report.outcomes[1].status == "relinked"
    assert {p: p.read_bytes() for p in linked.rglob("*.html")} == copies
    assert read_record(base_path(linked, url)).linked_from == []


def test_local_addresses_are_refused_and_look_exactly_like_unreachable_ones(
    site: Site, tmp_path: Path
) -> None:
    site.page("/artikler/solceller", "solceller-v1.html")
    refused = run([f"{site.base}/artikler/solceller"], tmp_path / "a", allow=AllowList())
    assert site.seen == []  # not even robots.txt: the guard sits before the socket
    dead = f"http://127.0.0.1:{closed_port()}/artikler/solceller"
    unreachable = run([dead], tmp_path / "b")  # allowed, but nothing listens
    assert refused.outcomes[0].status == unreachable.outcomes[0].status == "failed"
    assert refused.outcomes[0].reason == unreachable.outcomes[0].reason == UNREACHABLE


def test_every_redirect_hop_is_checked_against_the_guard(site: Site, tmp_path: Path) -> None:
    # Only the name "localhost" is allowed: a redirect from it to 127.0.0.1, however
    # spelled, is a hop to an address nobody allowed.
    site.page("/ny-side", "ny-side.html")
    site.routes["/til-ip"] = Route(
        status=302, headers={"Location": f"http://127.0.0.1:{site.port}/ny-side"}
    )
    site.routes["/til-decimal"] = Route(
        status=302, headers={"Location": f"http://2130706433:{site.port}/ny-side"}
    )
    local = f"http://localhost:{site.port}"
    urls = [f"{local}/til-ip", f"{local}/til-decimal", f"{local}/ny-side"]
    report = run(urls, tmp_path / "linked", allow=AllowList.parse(["localhost"]))
    to_ip, to_decimal, direct = report.outcomes
    assert to_ip.status == to_decimal.status == "failed"
    assert to_ip.reason == to_decimal.reason == UNREACHABLE
    assert direct.status == "new"  # the allowed name itself is fetched
    assert site.paths().count("/ny-side") == 1  # only the direct request reached it
    assert {s.host for s in site.seen} == {f"localhost:{site.port}"}


@pytest.mark.parametrize("path", ["/body", "/headers"])
def test_a_slow_drip_server_is_cut_off_at_the_overall_deadline(tmp_path: Path, path: str) -> None:
    with drip_server(interval_s=0.1) as base:  # every read gets a byte well within 1 s
        started = time.monotonic()
        report = run([base + path], tmp_path / "linked", timeout_s=1.0, deadline_s=1.5)
        elapsed = time.monotonic() - started
    outcome = report.outcomes[0]
    assert outcome.status == "failed"
    assert outcome.reason == "timed out: no complete answer within 1.5 s"
    assert elapsed < 3.0, elapsed


def test_robots_txt_wildcards_and_end_anchors_are_honoured(site: Site, tmp_path: Path) -> None:
    site.routes["/robots.txt"] = Route(
        body=b"User-agent: *\nDisallow: /*.pdf$\n", content_type="text/plain"
    )
    pdf = Route(body=one_page_pdf("Regnbede i Sonderborg."), content_type="application/pdf")
    site.routes["/filer/rapport.pdf"] = pdf
    site.routes["/filer/rapport.pdf?udgave=2"] = pdf
    urls = [f"{site.base}/filer/rapport.pdf", f"{site.base}/filer/rapport.pdf?udgave=2"]
    anchored, with_query = run(urls, tmp_path / "linked").outcomes
    assert anchored.status == "skipped" and "robots.txt" in anchored.reason
    assert with_query.status == "new"
    assert "/filer/rapport.pdf" not in site.paths()


def test_a_missing_or_generic_content_type_is_sniffed(site: Site, tmp_path: Path) -> None:
    page = (LIFECYCLE / "ny-side.html").read_bytes()
    site.routes["/uden-type"] = Route(body=page, content_type="application/octet-stream")
    site.routes["/pdf-uden-type"] = Route(body=one_page_pdf("Regnbede."), content_type="")
    site.routes["/tekst"] = Route(body=b"bare tekst", content_type="application/octet-stream")
    urls = [f"{site.base}/uden-type", f"{site.base}/pdf-uden-type", f"{site.base}/tekst"]
    html, pdf, text = run(urls, tmp_path / "linked").outcomes
    assert html.status == "new" and html.file.suffix == ".html"
    assert pdf.status == "new" and pdf.file.suffix == ".pdf"
    assert text.status == "failed" and "not HTML or PDF" in text.reason
