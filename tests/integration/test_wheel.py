"""`pip install .` as an operator would do it, far from this repository.

A clean copy of the tree (the files git lists: no node_modules/, no app/static/vendor/, no
.venv/) is built with `pip wheel`, which must fetch the front-end libraries itself; the wheel
goes into a fresh virtual environment outside the repository, and its `barertc` command,
started in an unrelated directory, serves the chat page with everything the page loads.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin

import httpx
import pytest

from tests.conftest import need
from tests.support import ROOT, Server, sign_in, write_settings

# What the chat page loads from app/static/vendor/, and the npm file each one is a copy of.
VENDORED = {
    "vendor/htmx/htmx.min.js": "htmx.org/dist/htmx.min.js",
    "vendor/htmx/hx-ws.min.js": "htmx.org/dist/ext/hx-ws.min.js",
    "vendor/bulma/bulma.min.css": "bulma/css/bulma.min.css",
    "vendor/fontawesome/css/all.min.css": "@fortawesome/fontawesome-free/css/all.min.css",
}


@dataclass(frozen=True)
class Installed:
    source: Path  # the clean copy the wheel was built from
    wheel: Path
    venv: Path

    @property
    def version(self) -> str:
        version: str = tomllib.loads((self.source / "pyproject.toml").read_text())["project"]["version"]
        return version


class InstalledServer(Server):
    """The installed `barertc` command, run from `cwd`, with nothing of this repository on its path."""

    def __init__(self, barertc: Path, settings_path: Path, cwd: Path) -> None:
        super().__init__(settings_path, cwd=cwd)
        self._env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "VIRTUAL_ENV")}
        self.barertc = barertc

    def command(self) -> list[str]:
        return [str(self.barertc), "--address", f"127.0.0.1:{self.port}", "--settings", str(self.settings_path)]


def run(command: list[str], cwd: Path) -> str:
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=240)
    assert result.returncode == 0, f"{' '.join(command)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result.stdout


def clean_copy(destination: Path) -> Path:
    """The files of the tree that git lists (tracked, or new and not ignored), copied as they are."""
    listed = run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"], ROOT)
    for name in filter(None, listed.split("\0")):
        if (ROOT / name).is_file():  # a tracked file deleted in the work tree is not copied
            (destination / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, destination / name)
    return destination


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    need("npm", shutil.which("npm") is not None)
    need("git", shutil.which("git") is not None and (ROOT / ".git").exists())
    source = clean_copy(tmp_path_factory.mktemp("source"))
    assert not (source / "app" / "static" / "vendor").exists() and not (source / "node_modules").exists()
    wheels = tmp_path_factory.mktemp("wheels")
    run([sys.executable, "-m", "pip", "wheel", ".", "--no-deps", "--quiet", "--wheel-dir", str(wheels)], source)
    [wheel] = wheels.glob("barertc-*.whl")
    venv = tmp_path_factory.mktemp("venv")
    assert not venv.is_relative_to(ROOT)
    run([sys.executable, "-m", "venv", "--without-pip", str(venv)], venv)
    run([sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install", "--quiet", str(wheel)], venv)
    return Installed(source, wheel, venv)


def test_the_wheel_carries_the_front_end_and_the_command_but_not_bench_or_test_tools(installed: Installed) -> None:
    with zipfile.ZipFile(installed.wheel) as wheel:
        names = wheel.namelist()
        entry_points = next(wheel.read(name).decode() for name in names if name.endswith("/entry_points.txt"))
    for asset in (*VENDORED, "vendor/fontawesome/webfonts/fa-solid-900.woff2", "js/webcam.js", "css/chat.css"):
        assert f"app/static/{asset}" in names, asset
    assert "app/templates/chat.html" in names
    assert "app/templates/fragments/_message.html" in names
    assert not [name for name in names if name.startswith(("bench/", "tests/")) or "axe" in name]
    assert "barertc = app.__main__:main" in entry_points


def test_barertc_has_the_options_of_python_m_app(installed: Installed, tmp_path: Path) -> None:
    python = str(installed.venv / "bin" / "python")
    found = run(
        [python, "-c", "import app, importlib.util; print(app.__file__, importlib.util.find_spec('bench'))"], tmp_path
    )
    assert found.startswith(str(installed.venv)) and found.endswith(" None\n"), found
    command_help = run([str(installed.venv / "bin" / "barertc"), "--help"], tmp_path)
    module_help = run([python, "-m", "app", "--help"], tmp_path)
    assert command_help.startswith("usage: barertc ") and module_help.startswith("usage: python -m app ")
    assert command_help.split("\n\n", 1)[1] == module_help.split("\n\n", 1)[1]  # the same options


def test_barertc_serves_the_chat_with_htmx_bulma_and_font_awesome_from_any_directory(
    installed: Installed, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    server = InstalledServer(
        installed.venv / "bin" / "barertc", write_settings(tmp_path / "settings.toml"), cwd=elsewhere
    ).start()
    try:
        assert ">Enter chat</button>" in httpx.get(server.url + "/").text
        cookie, name = sign_in(server.url, "wheelie")
        page = httpx.get(server.url + "/", cookies={"barertc_session": cookie}).text
        assert f'data-me="{name}"' in page
        for asset, npm_file in VENDORED.items():
            served = fetch_asset(server.url, page, asset)
            assert served.content == (installed.source / "node_modules" / npm_file).read_bytes(), asset
        assert_font_awesome_webfont_loads(server.url, page, installed.source)
        about = httpx.get(server.url + "/about")
        assert about.status_code == 200
        assert f"version {installed.version}," in about.text
    finally:
        assert server.stop() == 0
    assert f"BareRTC for Python {installed.version} serving on http://127.0.0.1:{server.port}" in server.log()


def asset_url(page: str, asset: str) -> str:
    """The versioned URL the page gives for a static file (a hash, not "missing")."""
    match = re.search(rf'"(/static/{re.escape(asset)}\?v=[0-9a-f]{{12}})"', page)
    assert match, f"no versioned URL for {asset} in the page"
    return match.group(1)


def fetch_asset(base_url: str, page: str, asset: str) -> httpx.Response:
    response = httpx.get(base_url + asset_url(page, asset))
    assert response.status_code == 200, asset
    kind = "text/css" if asset.endswith(".css") else "javascript"
    assert kind in response.headers["content-type"], (asset, response.headers["content-type"])
    assert response.content, asset
    return response


def assert_font_awesome_webfont_loads(base_url: str, page: str, source: Path) -> None:
    """One webfont that Font Awesome's css names, fetched from where the css points."""
    css_url = base_url + asset_url(page, "vendor/fontawesome/css/all.min.css")
    font = re.search(r"url\((\.\./webfonts/([\w-]+\.woff2))\)", httpx.get(css_url).text)
    assert font, "all.min.css names no woff2 webfont"
    response = httpx.get(urljoin(css_url, font.group(1)))
    assert response.status_code == 200, response.url
    assert response.content.startswith(b"wOF2")
    webfonts = source / "node_modules" / "@fortawesome" / "fontawesome-free" / "webfonts"
    assert response.content == (webfonts / font.group(2)).read_bytes()
