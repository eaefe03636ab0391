"""All-or-nothing output: every file of a run is written under a temporary name in its final folder and
renamed into place only once all of them have been written. A failure part-way (bad data found late, a full
disk, a bug) removes the temporaries, so no partial image and no half-updated set of images is ever left."""

import os
import tempfile

from .errors import PlotError

_UMASK = os.umask(0o022)
os.umask(_UMASK)


class AtomicBatch:
    """Use as a context manager: `temp_path(final)` for each file, `commit()` at the end; leaving the block
    without commit (or by an exception) deletes what was written."""

    def __init__(self):
        self._pending = []  # (temporary path, final path)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, trace):
        self.abort()
        return False

    def temp_path(self, final):
        """A fresh temporary file next to `final` (same folder, so the rename is atomic)."""
        folder = os.path.dirname(os.path.abspath(final))
        try:
            os.makedirs(folder, exist_ok=True)
            handle, temp = tempfile.mkstemp(prefix="." + os.path.basename(final) + ".", suffix=".tmp",
                                            dir=folder)
        except OSError as err:
            raise PlotError(f"{folder}: cannot write ({err.strerror})") from None
        os.close(handle)
        os.chmod(temp, 0o666 & ~_UMASK)  # mkstemp makes 0600; the images are meant to be shared
        self._pending.append((temp, final))
        return temp

    def finals(self):
        return [final for _, final in self._pending]

    def commit(self):
        """Renames every temporary file to its final name; returns the final paths."""
        written = []
        for temp, final in self._pending:
            os.replace(temp, final)
            written.append(final)
        self._pending = []
        return written

    def abort(self):
        for temp, _ in self._pending:
            try:
                os.remove(temp)
            except FileNotFoundError:
                pass
        self._pending = []
