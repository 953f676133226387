"""Finding a dataset's files as its publisher ships them.

An archive, or the folder it extracts to, with an error that says what is missing and where
to get it.
"""

import fnmatch
import io
import os
import tarfile
import zipfile


class DatasetFileError(FileNotFoundError):
    """A dataset's files are missing, or one of them cannot be read.

    The message names the file (or the pattern looked for), the folder searched and where
    the dataset is published.
    """


class DatasetSource:
    """The files of a dataset under `data_dir`: extracted, or inside `.tar(.gz)` / `.zip`.

    Args:
        data_dir: the folder the user downloaded into, or the archive itself.
        dataset: the dataset's name, for messages.
        published_at: where the files are published, for messages.

    Example:
    ```python
    source = DatasetSource("downloads/cars", "cars3d", "http://www.scottreed.info")
    for name, read in source.files("*/cars/car_*_mesh.mat"):
        content = read()
    ```

    """

    def __init__(self, data_dir: str | os.PathLike, dataset: str, published_at: str):
        self.data_dir = os.fspath(data_dir)
        self.dataset = dataset
        self.published_at = published_at
        if not os.path.exists(self.data_dir):
            raise DatasetFileError(
                f"{self.data_dir} does not exist. Download the {dataset} files from "
                f"{published_at} and pass the folder (or the archive) as the data dir."
            )

    def missing(self, what: str) -> DatasetFileError:
        """The error for files that are not there.

        Args:
            what: the files looked for (a name or a pattern).

        Returns:
            A `DatasetFileError` to raise.

        """
        return DatasetFileError(
            f"No {what} in {self.data_dir} (searched its folders and any .tar, .tar.gz or .zip "
            f"archive in it). The {self.dataset} files are published at {self.published_at}."
        )

    def damaged(self, name: str, error: Exception) -> ValueError:
        """The error for a file that is there but cannot be read.

        Args:
            name: the file.
            error: what the reader said.

        Returns:
            A `ValueError` to raise.

        """
        return ValueError(
            f"{name} in {self.data_dir} cannot be read ({type(error).__name__}: {error}); it is "
            f"truncated or damaged. Download it again from {self.published_at}."
        )

    def files(self, pattern: str) -> list:
        """Every file whose path (relative to the data dir or archive root) matches.

        Args:
            pattern: an `fnmatch` pattern on `/`-separated paths; a leading `*/` also
                matches at the top.

        Returns:
            Sorted `(name, read)` pairs, `read()` returning the file's bytes.

        Raises:
            DatasetFileError: if no file matches.
            ValueError: if an archive is damaged.

        """
        found = {}
        for name, read in self._entries(pattern):
            found.setdefault(name, read)
        if not found:
            raise self.missing(f"file matching {pattern!r}")
        return sorted(found.items())

    def _entries(self, pattern):
        if os.path.isfile(self.data_dir):
            yield from self._archive_entries(self.data_dir, pattern)
            return
        for root, _, names in os.walk(self.data_dir):
            for name in sorted(names):
                path = os.path.join(root, name)
                relative = os.path.relpath(path, self.data_dir).replace(os.sep, "/")
                if _is_archive(name):
                    yield from self._archive_entries(path, pattern)
                elif _matches(relative, pattern):
                    yield relative, _file_reader(path)

    def _archive_entries(self, path, pattern):
        try:
            if zipfile.is_zipfile(path):
                archive = zipfile.ZipFile(path)
                for info in archive.infolist():
                    if not info.is_dir() and _matches(info.filename, pattern):
                        yield info.filename, _zip_reader(archive, info.filename, self, path)
            elif _is_archive(path):
                with tarfile.open(path) as archive:
                    for member in archive:
                        # A compressed tar reads front to back: matching members are read
                        # as they pass.
                        if member.isfile() and _matches(member.name, pattern):
                            content = archive.extractfile(member).read()
                            yield member.name, (lambda content=content: content)
        except (tarfile.TarError, zipfile.BadZipFile, EOFError, OSError) as error:
            raise self.damaged(os.path.basename(path), error) from error


def _is_archive(name) -> bool:
    return name.endswith((".tar", ".tar.gz", ".tgz", ".zip"))


def _matches(name, pattern) -> bool:
    if fnmatch.fnmatch(name, pattern):
        return True
    return pattern.startswith("*/") and fnmatch.fnmatch(name, pattern[2:])


def _file_reader(path):
    def read():
        with open(path, "rb") as file:
            return file.read()

    return read


def _zip_reader(archive, name, source, path):
    def read():
        try:
            return archive.read(name)
        except (zipfile.BadZipFile, EOFError, OSError) as error:
            raise source.damaged(f"{os.path.basename(path)}:{name}", error) from error

    return read


def as_file(content: bytes) -> io.BytesIO:
    """Bytes as a file object, for readers that take one."""
    return io.BytesIO(content)
