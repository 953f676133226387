"""Finding a dataset's files as its publisher ships them.

An archive, or the folder it extracts to, with an error that says what is missing and where
to get it.
"""

import fnmatch
import functools
import io
import os
import tarfile
import threading
import zipfile

from keras_lord.utils.archive_limits import check_member_size, read_zip_member


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

        A file found twice, in an archive and in a folder extracted from it (next to the
        archive, or in a folder of its own name), is read once: files are the same where
        the last path parts that `pattern` names are, and the extracted copy is kept.

        Args:
            pattern: an `fnmatch` pattern on `/`-separated paths; a leading `*/` also
                matches at the top.

        Returns:
            `(name, read)` pairs sorted by those last path parts, `read()` returning the
            file's bytes. Members of a tar archive are read in one pass when read in
            `reading_order`.

        Raises:
            DatasetFileError: if no file matches.
            ValueError: if an archive is damaged.

        """
        depth = pattern.count("/") + 1
        found = {}
        for name, read, archived in self._entries(pattern):
            key = "/".join(name.split("/")[-depth:])
            if key not in found or (found[key][2] and not archived):
                found[key] = (name, read, archived)
        if not found:
            raise self.missing(f"file matching {pattern!r}")
        return [(name, read) for _, (name, read, _) in sorted(found.items())]

    def _entries(self, pattern):
        if os.path.isfile(self.data_dir):
            yield from self._archive_entries(self.data_dir, pattern)
            return
        for root, folders, names in os.walk(self.data_dir):
            folders.sort()
            for name in sorted(names):
                path = os.path.join(root, name)
                relative = os.path.relpath(path, self.data_dir).replace(os.sep, "/")
                if _is_archive(name):
                    yield from self._archive_entries(path, pattern)
                elif _matches(relative, pattern):
                    yield relative, _file_reader(path), False

    def _archive_entries(self, path, pattern):
        try:
            if zipfile.is_zipfile(path):
                archive = zipfile.ZipFile(path)
                for info in archive.infolist():
                    if not info.is_dir() and _matches(info.filename, pattern):
                        yield info.filename, _zip_reader(archive, info.filename, self, path), True
            elif _is_archive(path):
                stream = _TarStream(path, pattern, self)
                for index, name in enumerate(stream.names):
                    reader = functools.partial(stream.read, index)
                    reader.archive_position = index
                    yield name, reader, True
        except (tarfile.TarError, zipfile.BadZipFile, EOFError, OSError) as error:
            raise self.damaged(os.path.basename(path), error) from error


class _TarStream:
    """The matching members of a tar archive, read in one pass as they are asked for.

    A compressed tar can only be read front to back, and holding every member in memory
    would cost the archive's size (Edges2Shoes: 2 GB). Members are read in order as readers
    ask for them; one passed on the way to a later one is kept until it is asked for, so
    threads asking a little out of order cost no second pass. Asking again for one already
    handed out starts the pass over.
    """

    def __init__(self, path, pattern, source):
        self.path = path
        self.pattern = pattern
        self.source = source
        self.lock = threading.Lock()
        with tarfile.open(path) as archive:
            self.names = [member.name for member in archive if self._wanted(member)]
        self.archive = None
        self.next_index = 0  # of the next matching member in the open pass
        self.passed = {}

    def _wanted(self, member) -> bool:
        return member.isfile() and _matches(member.name, self.pattern)

    def read(self, index: int) -> bytes:
        with self.lock:
            if index in self.passed:
                return self.passed.pop(index)
            try:
                if self.archive is None or index < self.next_index:
                    self._start_pass()
                for member in self.members:
                    if self._wanted(member):
                        # A compressed tar stores no member's own compressed size: the
                        # whole archive bounds each.
                        check_member_size(
                            f"{os.path.basename(self.path)}:{member.name}",
                            member.size,
                            os.path.getsize(self.path),
                        )
                        content = self.archive.extractfile(member).read()
                        self.next_index += 1
                        if self.next_index - 1 == index:
                            return content
                        self.passed[self.next_index - 1] = content
            except (tarfile.TarError, EOFError, OSError) as error:
                raise self.source.damaged(os.path.basename(self.path), error) from error
            raise self.source.damaged(
                os.path.basename(self.path), EOFError(f"{self.names[index]} is gone")
            )

    def _start_pass(self):
        if self.archive is not None:
            self.archive.close()
        self.archive = tarfile.open(self.path)
        # One iterator for the whole pass: a new `for` over the archive would start again
        # from its first member.
        self.members = iter(self.archive)
        self.next_index = 0
        self.passed = {}


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
            return read_zip_member(archive, name, f"{os.path.basename(path)}:{name}")
        except (zipfile.BadZipFile, EOFError, OSError) as error:
            raise source.damaged(f"{os.path.basename(path)}:{name}", error) from error

    return read


def reading_order(files: list) -> list:
    """The order in which to read `files`, as `DatasetSource.files` lists them.

    A tar archive's members come in the archive's own order, so that one pass reads them.

    Args:
        files: `(name, read)` pairs.

    Returns:
        Indices into `files`.

    """
    return sorted(
        range(len(files)), key=lambda index: getattr(files[index][1], "archive_position", index)
    )


def as_file(content: bytes) -> io.BytesIO:
    """Bytes as a file object, for readers that take one."""
    return io.BytesIO(content)
