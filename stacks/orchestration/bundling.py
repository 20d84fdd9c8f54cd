"""The Lambda asset: our handlers and domain package plus their pinned dependencies, bundled at synth
time on this machine (CDK local bundling: no Docker, no managed layer).

Why bundle rather than use the Powertools managed layer: the layer's contents were never checked
against our pins, and a local AWS endpoint cannot serve an AWS-owned layer. Bundling makes the code
that runs in the deploy test the code that is deployed, byte for byte.

The dependencies are installed once per requirements-lambda.txt (a cache under .cache/), as wheels for
the functions' runtime and architecture, whatever Python runs the synth; each synth copies them.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import jsii
from aws_cdk import aws_lambda as lambda_

from hadrill import contracts
from stacks.orchestration import wiring

REQUIREMENTS = wiring.REPO / "requirements-lambda.txt"
CACHE_DIR = wiring.REPO / ".cache" / "lambda-deps"
# The deployed runtime and architecture; the wheels pip picks must match them.
RUNTIME = lambda_.Runtime.PYTHON_3_13
PYTHON_VERSION = "3.13"
PLATFORM = "manylinux2014_x86_64"
_SKIPPED = ("__pycache__", "*.pyc", "bin")


class BundlingError(RuntimeError):
    pass


def _source_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc")


def runtime_python() -> str | None:
    """The functions' interpreter on this machine (HADRILL_LAMBDA_PYTHON, python3.13 on PATH, or under
    pyenv), to compile the bundle's bytecode with; None when there is none."""
    if os.environ.get(contracts.ENV_LAMBDA_PYTHON):
        return os.environ[contracts.ENV_LAMBDA_PYTHON]
    found = shutil.which(f"python{PYTHON_VERSION}")
    if found and "/shims/" not in found:
        return found
    candidates = sorted(Path.home().glob(f".pyenv/versions/{PYTHON_VERSION}*/bin/python{PYTHON_VERSION}"))
    return str(candidates[-1]) if candidates else None


def asset_hash(source: Path = wiring.LAMBDAS_DIR) -> str:
    """What the asset's content depends on: our source files, the pinned dependencies, the target, and
    whether the bundle carries compiled bytecode."""
    compiled = "pyc" if runtime_python() else "no-pyc"
    digest = hashlib.sha256(f"{PYTHON_VERSION} {PLATFORM} {compiled}\n".encode())
    digest.update(REQUIREMENTS.read_bytes())
    for path in _source_files(source):
        digest.update(str(path.relative_to(source)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def dependencies_dir() -> Path:
    """The installed dependencies for requirements-lambda.txt, built on first use (needs the package
    index once; afterwards offline)."""
    key = hashlib.sha256(REQUIREMENTS.read_bytes() + f"{PYTHON_VERSION} {PLATFORM}".encode()).hexdigest()[:16]
    target = CACHE_DIR / key
    if target.is_dir():
        return target
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f"{key}-", dir=CACHE_DIR))
    command = [
        sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-compile",
        "--target", str(staging), "--platform", PLATFORM, "--implementation", "cp",
        "--python-version", PYTHON_VERSION, "--only-binary=:all:", "-r", str(REQUIREMENTS),
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        shutil.rmtree(staging, ignore_errors=True)
        raise BundlingError(f"pip could not install {REQUIREMENTS.name} for the Lambda runtime:\n{done.stderr}")
    for skipped in ("bin", "__pycache__"):
        shutil.rmtree(staging / skipped, ignore_errors=True)
    try:
        staging.rename(target)  # atomic: a concurrent synth either sees the whole cache or builds its own
    except OSError:
        shutil.rmtree(staging, ignore_errors=True)  # another synth got there first
    return target


def bundle(output_dir: Path, source: Path = wiring.LAMBDAS_DIR) -> None:
    """The asset's content: dependencies first, then our packages (which must not collide with them)."""
    shutil.copytree(dependencies_dir(), output_dir, dirs_exist_ok=True, ignore=shutil.ignore_patterns(*_SKIPPED))
    for package in sorted(p for p in source.iterdir() if p.is_dir() and p.name != "__pycache__"):
        if (output_dir / package.name).exists():
            raise BundlingError(f"lambdas/{package.name} would shadow a bundled dependency of the same name")
        shutil.copytree(package, output_dir / package.name, ignore=shutil.ignore_patterns(*_SKIPPED))
    compile_bytecode(output_dir)


def compile_bytecode(output_dir: Path) -> bool:
    """Compile the bundle with the runtime's interpreter, as it will run from /var/task (issue 18).

    Lambda's code directory is read-only, so without bytecode in the zip every cold start compiles every
    module it imports: measured here, 350-440 ms per handler instead of 140-160 ms. Unchecked-hash pycs
    (no source timestamps) with /var/task as their path keep the bundle's content the same on every synth.
    Without the interpreter on this machine the bundle ships sources only (the asset hash says which)."""
    python = runtime_python()
    if python is None:
        return False
    command = [
        python, "-m", "compileall", "-q", "-j", "0", "--invalidation-mode", "unchecked-hash",
        "-s", str(output_dir), "-p", "/var/task", str(output_dir),
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BundlingError(f"{python} could not compile the Lambda bundle:\n{done.stdout}{done.stderr}")
    return True


@jsii.implements(cdk.ILocalBundling)
class _LocalBundling:
    # jsii calls back with the options struct as a second argument (unused: the image is never run).
    def try_bundle(self, output_dir: str, options: Any = None, **_: Any) -> bool:
        bundle(Path(output_dir))
        return True


def lambda_code() -> lambda_.Code:
    return lambda_.Code.from_asset(
        str(wiring.LAMBDAS_DIR),
        asset_hash=asset_hash(),
        asset_hash_type=cdk.AssetHashType.CUSTOM,
        bundling=cdk.BundlingOptions(
            # Never pulled: local bundling always succeeds or raises. CDK requires an image all the same.
            image=RUNTIME.bundling_image,
            local=_LocalBundling(),
        ),
    )
