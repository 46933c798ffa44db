"""The repository under test: the folder above tests/ (it holds Pulumi.yaml)."""

import copy
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def committed_settings(env: str) -> dict[str, Any]:
    """A copy of ``Pulumi.<env>.yaml``'s config as the programs read it: with the services the
    catalogue projects into ``env``. Tests edit the copy freely."""
    from landfall.config import config_file, read_config_file
    from landfall.config.load import with_catalogue

    raw = with_catalogue(read_config_file(config_file(env, PROJECT_ROOT)), PROJECT_ROOT, env, env)
    return copy.deepcopy(dict(raw))


def bootstrapped_copy(dest: Path, encrypted_key: str | None = None) -> Path:
    """A copy of the project's settings files as `landfall bootstrap` leaves them: each cloud
    file with an ``encryptedkey`` line under its ``secretsprovider`` (``encrypted_key``, e.g.
    one moto's KMS made for doctor to decrypt; else a placeholder nothing decrypts)."""
    dest.mkdir(parents=True, exist_ok=True)
    copy_catalogue(dest)
    for path in PROJECT_ROOT.glob("Pulumi*.yaml"):
        text = path.read_text(encoding="utf-8")
        lines = [
            f"{line}\nencryptedkey: {encrypted_key or PLACEHOLDER_ENCRYPTED_KEY}"
            if line.startswith("secretsprovider:")
            else line
            for line in text.splitlines()
        ]
        (dest / path.name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return dest


PLACEHOLDER_ENCRYPTED_KEY = "AQICAHhPLACEHOLDERmadeUpByTheTests=="


def copy_catalogue(dest: Path) -> Path:
    """The service catalogue beside a copy of the settings files (they read it)."""
    target = dest / "services.yaml"
    target.write_text(
        (PROJECT_ROOT / "services.yaml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    return target
