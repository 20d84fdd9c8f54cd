"""Install media for the simulated nodes.

A real HULFT ISO holds ``64bit/linux_x86/hulft.tar`` with an ``installer`` inside; the Recovery Kit ISO
holds the ``steeleye-lkHUL-<version>.noarch.rpm``. ISO images cannot be built here, so the simulated
"ISO" is a tar archive with the same layout, which the simulator's ``mount`` stand-in unpacks.
"""

from __future__ import annotations

import hashlib
import io
import tarfile

_INSTALLER = b"""#!/bin/bash
# Simulated HULFT installer: hands the Installation Information file to the simulator.
# The usage text below is what the conformance probe reads (it greps, never runs, the installer).
# Its format is invented: the real installer's usage text was not found in public documentation.
usage() {
  echo "usage: installer -f <Installation Information file>   (unattended install)"
}
exec hadrill-sim-hulft-installer "$@"
"""


def _tar(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o755 if name.endswith("installer") else 0o644
            info.mtime = 1_500_000_000
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def hulft_iso(version: str = "08.01.02") -> bytes:
    inner = _tar({"installer": _INSTALLER, "VERSION": f"{version}\n".encode()})
    return _tar({"64bit/linux_x86/hulft.tar": inner})


def recovery_kit_iso(rpm_name: str = "steeleye-lkHUL", rpm_version: str = "8.2.1-6353") -> bytes:
    return _tar({f"{rpm_name}-{rpm_version}.noarch.rpm": b"simulated rpm\n"})


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def write_media(directory: str, version: str = "08.01.02") -> dict[str, str]:
    """The simulated media and license files an operator would have, written to ``directory`` for the
    deploy rehearsal (their sha256 go into the config, as README step 2 says). Returns name -> sha256."""
    from pathlib import Path

    from simulator.scenario import LK_LICENSE

    target = Path(directory)
    target.mkdir(parents=True, exist_ok=True)
    files = {
        "hulft-unix-linux-v812.iso": hulft_iso(version),
        "HULFTARK072814.iso": recovery_kit_iso(),
        "lifekeeper-license.lic": LK_LICENSE.encode(),
    }
    for name, data in files.items():
        (target / name).write_bytes(data)
    return {name: sha256(data) for name, data in files.items()}


if __name__ == "__main__":
    import sys

    for name, digest in write_media(sys.argv[1]).items():
        print(f"{digest}  {name}")
