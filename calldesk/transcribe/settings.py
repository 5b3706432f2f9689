"""The rep's transcription choices and how they become an :class:`EngineSpec`.

Kept in ``transcription.json`` in the config folder (no secret is involved): the engine
(``whisper`` or ``pocketsphinx``; empty for "the best one available"), the Whisper model (a
size from :data:`~calldesk.transcribe.models.CATALOGUE`, downloaded into
``<data>/models/whisper/``, or a folder the rep pointed at) and the language (empty: the
system's). :func:`resolve` picks the engine a transcription runs with.
"""

from __future__ import annotations

import json
import locale
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from calldesk.store.accounts import write_text_atomically
from calldesk.store.paths import Paths
from calldesk.transcribe.engine import (
    ENGINE_NAMES,
    INSTALL_HINT,
    EngineSpec,
    EngineUnavailable,
    engine_available,
)
from calldesk.transcribe.models import CATALOGUE, ModelStore

SETTINGS_FILE = "transcription.json"


@dataclass(frozen=True, slots=True)
class TranscriptionSettings:
    engine: str = ""
    model: str = ""  # a CATALOGUE name
    model_dir: str = ""  # a folder the rep pointed at (wins over ``model``)
    language: str = ""

    @classmethod
    def load(cls, paths: Paths) -> TranscriptionSettings:
        try:
            data = json.loads((paths.config_dir / SETTINGS_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return cls()
        if not isinstance(data, dict):
            return cls()
        known = {k: str(v) for k, v in data.items() if k in cls.__slots__ and v is not None}
        return cls(**known)

    def save(self, paths: Paths) -> None:
        paths.config_dir.mkdir(parents=True, exist_ok=True)
        write_text_atomically(
            paths.config_dir / SETTINGS_FILE, json.dumps(asdict(self), indent=2) + "\n"
        )

    def with_(self, **changes: str) -> TranscriptionSettings:
        return replace(self, **changes)


def model_store(paths: Paths) -> ModelStore:
    """Where downloaded Whisper models live."""
    return ModelStore(paths.data_dir / "models" / "whisper")


def system_language() -> str | None:
    """The system's language as an ISO 639-1 code (``en`` for ``en_GB.UTF-8``), if known."""
    try:
        name = locale.getlocale(locale.LC_MESSAGES)[0] or locale.getlocale()[0]
    except (ValueError, AttributeError):
        name = None
    if not name or name in {"C", "POSIX"}:
        return None
    return name.split("_")[0].split("-")[0].lower() or None


def _model_dir(settings: TranscriptionSettings, models: ModelStore, override: str) -> str | None:
    choice = override or settings.model_dir or settings.model
    if not choice:
        installed = models.installed_names()
        return str(models.folder(installed[0])) if installed else None
    if choice in CATALOGUE:
        if not models.installed(choice):
            raise EngineUnavailable(
                f"the Whisper model {choice!r} is not downloaded yet: download it in Settings"
            )
        return str(models.folder(choice))
    return str(Path(choice).expanduser())


def resolve(
    settings: TranscriptionSettings,
    paths: Paths,
    *,
    engine: str = "",
    model: str = "",
    language: str = "",
) -> EngineSpec:
    """The engine to run: the one asked for, else the settings', else Whisper when a model is
    there, else the built-in one. Raises :class:`EngineUnavailable` saying how to get it."""
    models = model_store(paths)
    name = engine or settings.engine
    asked = language or settings.language
    if name and name not in ENGINE_NAMES:
        raise EngineUnavailable(f"unknown engine {name!r} (choose {', '.join(ENGINE_NAMES)})")
    if not name:
        found = engine_available("whisper") and _model_dir(settings, models, model) is not None
        name = "whisper" if found else "pocketsphinx"
    if not engine_available(name):
        raise EngineUnavailable(
            f"transcription needs the optional engines; install them with: {INSTALL_HINT}"
        )
    if name == "whisper":
        folder = _model_dir(settings, models, model)
        return EngineSpec("whisper", folder, asked or system_language())
    # the built-in engine knows English only: it refuses another language only when asked for one
    return EngineSpec(name, None, asked or "en")
