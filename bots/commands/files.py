"""Files named on the command line: read whole, photos checked to be images before storing.

Each feature words the refusals its own way, so the text keys are the caller's.
"""

from __future__ import annotations

from pathlib import Path

from shared.domain import MediaKind
from shared.errors import InvalidInput
from shared.images import image_mime
from shared.posts.limits import read_photo
from shared.storage.media import NewFile
from shared.texts import Texts


def read(path: str, texts: Texts, missing: str) -> bytes:
    """The file's bytes; ``missing`` (with ``{path}``) when there is no such file."""
    file = Path(path)
    if not file.is_file():
        raise InvalidInput(texts(missing, path=path))
    return file.read_bytes()


def photo(path: str, texts: Texts, missing: str, not_image: str) -> NewFile:
    """A photo to store, its type from the image itself; ``not_image`` when Pillow can't read
    it, and a picture of too many pixels refused as the desk refuses it (``read_photo``)."""
    data = read(path, texts, missing)
    kind = read_photo(data, path, texts, texts(not_image, path=path))
    return NewFile(MediaKind.PHOTO, Path(path).name, image_mime(kind), data)
