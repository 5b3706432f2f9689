"""Whisper models: the sizes a rep can choose; downloading one once, verified, into the data folder.

A model is never fetched silently: the rep picks a size (:data:`CATALOGUE`, with its download
size and cost), and :func:`download_model` fetches that model's files from a Hugging Face-style
hub (the same layout a local mirror can serve) with progress and cancel:

* the file list comes from the hub's tree listing, which gives every file's size and checksum
  (SHA-256 for large files, the git blob SHA-1 for small ones); every file is checked against it;
* files are written as ``*.part`` in ``<name>.partial/`` and the folder becomes ``<name>/`` only
  when every file is complete and verified, so a half-downloaded model is never used;
* an interrupted download resumes with an HTTP range request next time; if the server ignores
  the range the file starts over, and if the model changed on the server meanwhile (another
  listing) the partial files are discarded: nothing unverified is ever kept;
* a checksum failure deletes the file and says so; sizes, the listing and every wait are bounded.

The rep can also point calldesk at a model folder they already have (offline machines).
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import quote

import httpx

from calldesk.transcribe.engine import TranscriptionCancelled, TranscriptionError
from calldesk.transcribe.whisper import MODEL_FILES

DEFAULT_HUB = "https://huggingface.co"
#: The files of a faster-whisper model folder calldesk downloads (others in the repo are skipped).
WANTED = (*MODEL_FILES, "vocabulary.json", "vocabulary.txt", "preprocessor_config.json")
MAX_LISTING_BYTES = 1024 * 1024
MAX_MODEL_BYTES = 4 * 1024**3
_CHUNK = 1024 * 1024


@dataclass(frozen=True, slots=True)
class ModelInfo:
    """One size a rep can choose: its repository and what it costs."""

    name: str
    repo: str
    download_mb: int
    memory_mb: int
    speed: str

    @property
    def label(self) -> str:
        return f"{self.name} ({self.download_mb} MB download, ~{self.memory_mb} MB memory)"


CATALOGUE: dict[str, ModelInfo] = {
    info.name: info
    for info in (
        ModelInfo("tiny", "Systran/faster-whisper-tiny", 75, 300, "fastest; ~0.1x real time"),
        ModelInfo("base", "Systran/faster-whisper-base", 145, 500, "good; ~0.2x real time"),
        ModelInfo("small", "Systran/faster-whisper-small", 484, 1000, "best; ~0.6x real time"),
    )
}


class ModelDownloadError(TranscriptionError):
    """The model could not be downloaded; nothing unverified was kept."""


class ChecksumMismatch(ModelDownloadError):
    """A downloaded file did not match its checksum; it was deleted."""


class DownloadInterrupted(ModelDownloadError):
    """The transfer broke off; the part already fetched is kept to resume from."""


@dataclass(frozen=True, slots=True)
class RemoteFile:
    path: str
    size: int
    sha256: str | None  # large (LFS) files
    git_oid: str | None  # small files: the git blob SHA-1


ProgressFn = Callable[[int, int], None]


class ModelStore:
    """The Whisper models folder in calldesk's data directory."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def folder(self, name: str) -> Path:
        return self.root / name

    def installed(self, name: str) -> bool:
        folder = self.folder(name)
        return all((folder / f).is_file() for f in MODEL_FILES)

    def installed_names(self) -> list[str]:
        return [name for name in CATALOGUE if self.installed(name)]

    def remove(self, name: str) -> None:
        for folder in (self.folder(name), self._partial(name)):
            shutil.rmtree(folder, ignore_errors=True)

    def _partial(self, name: str) -> Path:
        return self.root / f"{name}.partial"


def list_files(
    client: httpx.Client, hub: str, repo: str, revision: str = "main"
) -> list[RemoteFile]:
    """The model's files, sizes and checksums from the hub's tree listing."""
    url = f"{hub.rstrip('/')}/api/models/{repo}/tree/{quote(revision, safe='')}"
    try:
        with client.stream("GET", url) as response:
            if response.status_code != 200:
                raise ModelDownloadError(
                    f"the model list at {url} answered HTTP {response.status_code}"
                )
            body = b""
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > MAX_LISTING_BYTES:
                    raise ModelDownloadError(f"the model list at {url} is too large")
    except httpx.HTTPError as exc:
        raise ModelDownloadError(f"can't reach {hub}: {exc}") from None
    try:
        entries = json.loads(body)
        files = [
            RemoteFile(
                path=str(e["path"]),
                size=int(e["size"]),
                sha256=(e.get("lfs") or {}).get("oid"),
                git_oid=None if e.get("lfs") else e.get("oid"),
            )
            for e in entries
            if e.get("type") == "file" and e.get("path") in WANTED
        ]
    except (ValueError, TypeError, KeyError, AttributeError):
        raise ModelDownloadError(f"the model list at {url} is not what calldesk expects") from None
    names = {f.path for f in files}
    missing = [name for name in MODEL_FILES if name not in names]
    if missing:
        raise ModelDownloadError(f"{repo} has no {', '.join(missing)}: not a faster-whisper model")
    if any(f.sha256 is None and f.git_oid is None for f in files):
        raise ModelDownloadError(f"the model list of {repo} gives no checksum for some files")
    if sum(f.size for f in files) > MAX_MODEL_BYTES:
        raise ModelDownloadError(f"{repo} is larger than calldesk accepts")
    return files


def _hasher(remote: RemoteFile) -> hashlib._Hash:
    if remote.sha256 is not None:
        return hashlib.sha256()
    digest = hashlib.sha1(usedforsecurity=False)
    digest.update(f"blob {remote.size}\0".encode())
    return digest


def download_model(
    store: ModelStore,
    name: str,
    *,
    client: httpx.Client,
    hub: str = DEFAULT_HUB,
    revision: str = "main",
    on_progress: ProgressFn = lambda done, total: None,
    cancelled: Callable[[], bool] = lambda: False,
) -> Path:
    """Download model ``name`` of :data:`CATALOGUE` into ``store``; return its folder."""
    info = CATALOGUE.get(name)
    if info is None:
        raise ModelDownloadError(f"unknown model {name!r} (choose {', '.join(CATALOGUE)})")
    if store.installed(name):
        return store.folder(name)
    files = list_files(client, hub, info.repo, revision)
    partial = store._partial(name)
    listing = partial / ".listing.json"
    wanted = json.dumps([asdict(f) for f in files], sort_keys=True)
    if partial.exists() and (not listing.is_file() or listing.read_text() != wanted):
        shutil.rmtree(partial)  # the model changed on the server: refuse to mix the two
    partial.mkdir(parents=True, exist_ok=True)
    listing.write_text(wanted)
    total = sum(f.size for f in files)
    done = 0
    for remote in files:
        url = f"{hub.rstrip('/')}/{info.repo}/resolve/{quote(revision, safe='')}/{remote.path}"
        done = _fetch(
            client,
            url,
            remote,
            partial,
            done=done,
            total=total,
            on_progress=on_progress,
            cancelled=cancelled,
        )
    folder = store.folder(name)
    if folder.exists():
        shutil.rmtree(folder)
    for remote in files:
        (partial / f"{remote.path}.part").rename(partial / remote.path)
    listing.unlink()
    partial.rename(folder)
    return folder


def _fetch(
    client: httpx.Client,
    url: str,
    remote: RemoteFile,
    partial: Path,
    *,
    done: int,
    total: int,
    on_progress: ProgressFn,
    cancelled: Callable[[], bool],
) -> int:
    part = partial / f"{remote.path}.part"
    have = part.stat().st_size if part.exists() else 0
    if have > remote.size:
        part.unlink()
        have = 0
    digest = _hasher(remote)
    if have:
        with part.open("rb") as existing:
            while block := existing.read(_CHUNK):
                digest.update(block)
    headers = {"Range": f"bytes={have}-"} if 0 < have < remote.size else {}
    base = done
    try:
        if have < remote.size:
            with client.stream("GET", url, headers=headers) as response:
                if response.status_code == 200 and have:
                    have, digest = 0, _hasher(remote)  # the server ignored the range: start over
                elif response.status_code == 206:
                    if not response.headers.get("content-range", "").startswith(f"bytes {have}-"):
                        raise ModelDownloadError(f"{url} answered a different range; try again")
                elif response.status_code != 200:
                    raise ModelDownloadError(f"{url} answered HTTP {response.status_code}")
                with part.open("ab" if have else "wb") as out:
                    on_progress(base + have, total)
                    for chunk in response.iter_bytes():
                        if cancelled():
                            raise TranscriptionCancelled("model download cancelled")
                        have += len(chunk)
                        if have > remote.size:
                            raise ModelDownloadError(f"{url} sent more than its listed size")
                        out.write(chunk)
                        digest.update(chunk)
                        on_progress(base + have, total)
    except httpx.HTTPError as exc:
        raise DownloadInterrupted(
            f"the download of {remote.path} broke off after {have / 1e6:.1f} of "
            f"{remote.size / 1e6:.1f} MB ({type(exc).__name__}); it resumes from there next time"
        ) from None
    if have != remote.size:
        raise DownloadInterrupted(
            f"the download of {remote.path} stopped after {have / 1e6:.1f} of "
            f"{remote.size / 1e6:.1f} MB; it resumes from there next time"
        )
    expected = remote.sha256 or remote.git_oid
    if digest.hexdigest() != expected:
        part.unlink()
        raise ChecksumMismatch(
            f"{remote.path} did not match its checksum and was deleted; try the download again"
        )
    return base + remote.size
