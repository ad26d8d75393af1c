"""Static checks of the app shell, no browser needed: the service worker caches every file and
its version follows the files; nothing inline that the CSP would block, no HTML built from
strings; a manifest that makes the app installable."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

from PIL import Image

from tests.support.services import REPO

PWA = REPO / "pwa"
SW = (PWA / "sw.js").read_text()
INDEX = (PWA / "index.html").read_text()


def shell_files() -> list[Path]:
    return sorted(p for p in PWA.rglob("*") if p.is_file() and p.name != "sw.js")


def url(path: Path) -> str:
    relative = path.relative_to(PWA).as_posix()
    return "/" if relative == "index.html" else f"/{relative}"


def shell_version() -> str:
    digest = hashlib.sha256()
    for path in shell_files():
        digest.update(url(path).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:12]


def listed(name: str) -> set[str]:
    found = re.search(rf"const {name} = \[(.*?)\];", SW, re.S)
    assert found, f"sw.js must declare const {name} = [...];"
    return set(re.findall(r"'([^']+)'", found.group(1)))


# The screens every ASN has (main.js's tabs without a role), which must work offline.
ASN_SCREENS = {"checkin", "geofence", "history", "login", "permits", "password"}


def test_the_service_worker_precaches_the_asns_app_and_names_every_other_file():
    precached, later = listed("SHELL"), listed("ON_FIRST_USE")
    assert not precached & later
    assert precached | later == {url(p) for p in shell_files()}
    assert {f"/src/views/{name}.js" for name in ASN_SCREENS} <= precached
    tabs = re.search(r"const TABS = \[(.*?)\n\];", (PWA / "src" / "main.js").read_text(), re.S)
    assert tabs
    for tab in re.split(r"\n  \{", tabs.group(1)):
        if "roles:" not in tab:
            for module in re.findall(r"views/(\w+)\.js", tab):
                assert module in ASN_SCREENS, f"{module}.js is an ASN tab: precache it"
    # Everything the first screen imports is precached.
    seen: set[Path] = set()
    todo = [PWA / "src" / "main.js"]
    while todo:
        for dependency in imports(todo.pop()) - seen:
            seen.add(dependency)
            todo.append(dependency)
    assert {url(p) for p in seen} <= precached


def test_the_cache_version_follows_the_files():
    """A changed file with the old VERSION would never reach phones that have the old shell."""
    version = re.search(r"const VERSION = '([0-9a-f]{12})';", SW)
    assert version, "sw.js must declare const VERSION = '<12 hex digits>';"
    assert version.group(1) == shell_version(), (
        f"pwa/ changed: set const VERSION = '{shell_version()}'; in pwa/sw.js"
    )


def imports(path: Path) -> set[Path]:
    """The modules a module imports statically (not the lazy import() of a later screen)."""
    found = re.findall(r"^import\s[^;]*?from\s+'(\.[^']+)';", path.read_text(), re.M | re.S)
    found += re.findall(r"^import\s+'(\.[^']+)';", path.read_text(), re.M)
    return {(path.parent / name).resolve() for name in found}


def test_every_module_of_the_first_screen_is_preloaded():
    """On a 300 ms link each level of imports found late costs a round trip."""
    seen: set[Path] = set()
    todo = [PWA / "src" / "main.js"]
    while todo:
        module = todo.pop()
        for dependency in imports(module) - seen:
            seen.add(dependency)
            todo.append(dependency)
    preloaded = set(re.findall(r'<link rel="modulepreload" href="([^"]+)">', INDEX))
    root = PWA.resolve()
    assert preloaded == {f"/{p.relative_to(root).as_posix()}" for p in seen}


def test_an_upgrade_of_the_database_never_drops_data():
    """Queued records may be a week old when a new version arrives (STYLE rule 10)."""
    for path in PWA.rglob("*.js"):
        text = path.read_text()
        assert "deleteObjectStore" not in text, path
        assert "deleteDatabase" not in text, path
        assert ".clear()" not in text, path


def test_nothing_inline_for_the_csp_to_block():
    scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", INDEX, re.S)
    assert scripts and all('src="' in attrs and not body.strip() for attrs, body in scripts)
    assert not re.search(r"\sstyle\s*=", INDEX), "inline style attribute in index.html"
    assert not re.search(r"<style\b", INDEX), "inline <style> in index.html"
    assert not re.search(r"\son[a-z]+\s*=", INDEX), "inline event handler in index.html"
    assert not re.search(r"(src|href)=\"(https?:)?//", INDEX), "third-party origin in index.html"


def test_no_html_is_built_from_strings():
    banned = re.compile(
        r"innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function|"
        r"setAttribute\(\s*'style'|\.style\s*=|https?://"
    )
    # The back office's desks (desk/, served at /desk/) run in the same page with the token.
    for path in [*PWA.rglob("*.js"), *(REPO / "desk").rglob("*.js")]:
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if line.strip().startswith("//"):
                continue
            if "http://www.w3.org/2000/svg" in line:  # the SVG namespace, not a fetch
                continue
            assert not banned.search(line), f"{path.relative_to(REPO)}:{number}: {line.strip()}"


def test_the_manifest_makes_the_app_installable():
    manifest = json.loads((PWA / "manifest.webmanifest").read_text())
    assert manifest["start_url"] == "/" and manifest["scope"] == "/"
    assert manifest["display"] == "standalone"
    assert manifest["lang"] == "id"
    assert manifest["name"] and manifest["short_name"]
    purposes = set()
    for icon in manifest["icons"]:
        path = PWA / icon["src"].lstrip("/")
        with Image.open(path) as image:
            assert image.format == "PNG"
            assert f"{image.width}x{image.height}" == icon["sizes"]
        purposes.add(icon.get("purpose", "any"))
    sizes = {icon["sizes"] for icon in manifest["icons"]}
    assert {"192x192", "512x512"} <= sizes
    assert {"any", "maskable"} <= purposes
    assert 'rel="manifest" href="/manifest.webmanifest"' in INDEX
