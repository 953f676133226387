"""A sample of KTH: uncompressed AVI videos, zipped per action, and `00sequences.txt`."""

import io
import os
import zipfile

import numpy as np

# Video name -> the frame ranges `00sequences.txt` lists for it.
KTH_SEQUENCES = {
    "person01_handwaving_d4": [(1, 4), (6, 9)],
    "person02_handwaving_d4": [(2, 10)],
    "person03_handwaving_d4": [(1, 3)],
    "person03_handwaving_d1": [(1, 12)],
    "person01_boxing_d4": [(3, 5)],
}


def kth_video(person: int, frames: int) -> bytes:
    """An uncompressed 160x120 AVI at 25 fps whose frame k is grey `(20 * person + k) % 256`.

    Args:
        person: the person's number (1 - 25).
        frames: frames in the video.

    Returns:
        The file's bytes (needs PyAV, `pip install 'keras-lord[video]'`).

    """
    import av

    buffer = io.BytesIO()
    with av.open(buffer, "w", format="avi") as container:
        stream = container.add_stream("rawvideo", rate=25)
        stream.width, stream.height, stream.pix_fmt = 160, 120, "bgr24"
        for number in range(1, frames + 1):
            picture = np.full((120, 160, 3), (20 * person + number) % 256, "uint8")
            container.mux(stream.encode(av.VideoFrame.from_ndarray(picture, format="rgb24")))
        container.mux(stream.encode())
    return buffer.getvalue()


def write_kth_sample(
    folder: str | os.PathLike, archived: bool = True, sequences: dict | None = None
) -> str:
    """Writes KTH videos and `00sequences.txt` as published: one zip per action, or extracted.

    Args:
        folder: where to write; created if missing.
        archived: `handwaving.zip`, `boxing.zip`, ... (as published) if true, else the
            `personXX_action_dY_uncomp.avi` files themselves.
        sequences: `{video name: [(first, last), ...]}` (default `KTH_SEQUENCES`); every
            video has 12 frames, or as many as its last listed frame.

    Returns:
        `folder`.

    Example:
    ```python
    folder = keras_lord.datasets.samples.write_kth_sample("/tmp/kth")
    splits = keras_lord.datasets.kth(folder, size=32)
    ```

    """
    sequences = KTH_SEQUENCES if sequences is None else sequences
    os.makedirs(folder, exist_ok=True)
    lines = ["Here is the list of sequences, with the frames of each subsequence:", ""]
    for video, ranges in sequences.items():
        spans = ", ".join(f"{first}-{last}" for first, last in ranges)
        lines.append(f"{video}\t\tframes\t{spans}")
    with open(os.path.join(folder, "00sequences.txt"), "w") as file:
        file.write("\n".join(lines) + "\n")
    archives = {}
    for video, ranges in sequences.items():
        frames = max(12, max(last for _, last in ranges))
        content = kth_video(int(video[6:8]), frames)
        name = f"{video}_uncomp.avi"
        if not archived:
            with open(os.path.join(folder, name), "wb") as file:
                file.write(content)
            continue
        action = video.split("_")[1]
        if action not in archives:
            archives[action] = zipfile.ZipFile(os.path.join(folder, f"{action}.zip"), "w")
        archives[action].writestr(name, content)
    for archive in archives.values():
        archive.close()
    return os.fspath(folder)
