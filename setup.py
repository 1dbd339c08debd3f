"""Building a wheel brings the front-end libraries with it.

app/static/vendor/ (htmx, hx-ws, Bulma, Font Awesome) is not committed: `npm ci` fetches the
versions pinned in package-lock.json and scripts/vendor.sh copies them into place. A wheel
built from a clean clone must still serve them, so `build_py` runs those two steps first when
the files are missing. An editable install (`pip install -e .`, as `make setup` does) is left
alone: it serves app/static/ from the source tree, which `make setup` fills itself.

Everything else about the package is in pyproject.toml.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from setuptools import find_namespace_packages, setup
from setuptools.command.build_py import build_py
from setuptools.errors import ExecError

ROOT = Path(__file__).resolve().parent
VENDOR = ROOT / "app" / "static" / "vendor"
VENDORED = (
    "htmx/htmx.min.js",
    "htmx/hx-ws.min.js",
    "bulma/bulma.min.css",
    "fontawesome/css/all.min.css",
    "fontawesome/webfonts/fa-solid-900.woff2",
)


def missing_assets() -> list[str]:
    return [name for name in VENDORED if not (VENDOR / name).is_file()]


def vendor_assets() -> None:
    """`npm ci` and scripts/vendor.sh in the source tree, as `make setup` does."""
    npm = shutil.which("npm")
    if npm is None:
        raise ExecError(
            "building barertc needs npm: app/static/vendor/ (htmx, Bulma, Font Awesome) is made from "
            "the npm packages pinned in package-lock.json. Install Node.js with npm, or run "
            "`npm ci && sh scripts/vendor.sh` on a machine that has it, then build again."
        )
    for command in ([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], ["sh", "scripts/vendor.sh"]):
        print("barertc: running", " ".join(command), flush=True)
        try:
            subprocess.run(command, cwd=ROOT, check=True)
        except (OSError, subprocess.CalledProcessError) as error:
            raise ExecError(f"building barertc: {' '.join(command)} failed ({error})") from error
    if missing := missing_assets():
        raise ExecError(f"building barertc: scripts/vendor.sh did not produce app/static/vendor/{missing[0]}")


class BuildWithAssets(build_py):
    def run(self) -> None:
        if not self.editable_mode and missing_assets():
            vendor_assets()
            # setuptools listed the packages before vendor/ existed: add its folders, as it would have
            self.packages += find_namespace_packages(str(ROOT), include=["app.static.vendor*"])
            self.__dict__.pop("data_files", None)  # and list the package data again
        super().run()


setup(cmdclass={"build_py": BuildWithAssets})
