"""KTH human actions (Schuldt et al., 2004): 25 people, 6 actions, 4 scenarios, as videos."""

import io
import os
import re

import numpy as np
from PIL import Image

from keras_lord.datasets.resizing import centre_square, run_in_threads
from keras_lord.datasets.sources import DatasetSource, reading_order
from keras_lord.datasets.splits import DatasetSplits, held_out_rows, split_by_rows

PUBLISHED_AT = "https://www.csc.kth.se/cvap/actions/ (one <action>.zip each, and 00sequences.txt)"
ACTIONS = ("boxing", "handclapping", "handwaving", "jogging", "running", "walking")
SCENARIOS = ("d1", "d2", "d3", "d4")
NUM_PEOPLE = 25
CROPS = ("centre", "squash")
VIDEO_NAME = re.compile(r"person(?P<person>\d+)_(?P<action>[a-z]+)_(?P<scenario>d\d)_uncomp\.avi$")
SEQUENCE_LINE = re.compile(r"^\s*(?P<video>person\d+_[a-z]+_d\d)\s+frames\s+(?P<ranges>[\d\s,-]+)$")
# The publisher's own copy of this video is cut short: its header declares 370 frames, and
# decoders read 304 or 305 of them, losing most of its fourth listed sequence (246 - 370).
# It is read as far as it goes; any other shortfall is a damaged download.
PUBLISHED_CUT_SHORT = {"person01_boxing_d4": {"declared": 370, "readable": 304}}


def _video_decoder():
    try:
        import av
    except ImportError as error:
        raise ImportError(
            "KTH's videos are decoded with PyAV, which is not installed: "
            "pip install 'keras-lord[video]' (or pip install av)."
        ) from error
    return av


def read_sequences(text: str) -> dict:
    """The action segments of each video in KTH's `00sequences.txt`.

    Args:
        text: the file's text (lines such as
            `person01_boxing_d1  frames  1-95, 96-185, 186-245, 246-360`).

    Returns:
        `{video: [(first, last), ...]}`, 1-based and inclusive, as the file writes them.

    Raises:
        ValueError: if no line lists a video's frames.

    Example:
    ```python
    read_sequences("person01_handwaving_d4  frames  1-80, 81-160")
    # {'person01_handwaving_d4': [(1, 80), (81, 160)]}
    ```

    """
    sequences = {}
    for line in text.splitlines():
        match = SEQUENCE_LINE.match(line)
        if match:
            ranges = re.findall(r"(\d+)\s*-\s*(\d+)", match["ranges"])
            sequences[match["video"]] = [(int(first), int(last)) for first, last in ranges]
    if not sequences:
        raise ValueError(
            "00sequences.txt lists no video's frames (lines such as "
            "'person01_boxing_d1  frames  1-95, 96-185'); download it again from " + PUBLISHED_AT
        )
    return sequences


def kth(
    data_dir: str | os.PathLike,
    size: int = 64,
    actions: tuple = ("handwaving",),
    scenarios: tuple = ("d4",),
    crop: str = "centre",
    held_out: float = 0.1,
    seed: int = 0,
    verbose: bool = True,
) -> DatasetSplits:
    """KTH: class = person (25), no content; grayscale frames of the chosen videos.

    The frames kept are those `00sequences.txt` marks as the action (the reference code's
    default is handwaving in scenario d4, indoors). Videos are decoded with PyAV
    (`pip install 'keras-lord[video]'`). A video shorter than its header declares is a
    damaged download and raises, except `person01_boxing_d4`, which the publisher's own
    `boxing.zip` holds cut short (304 or 305 of 370 frames): it is read as far as it goes
    and named in the info's `cut_short_as_published`.

    Args:
        data_dir: the folder holding the `<action>.zip` archives (or their extracted
            `personNN_<action>_dN_uncomp.avi` files) and `00sequences.txt`.
        size: image side after resizing.
        actions: which of `ACTIONS` to read.
        scenarios: which of `SCENARIOS` to read (d1 outdoors, d2 outdoors with scale
            variation, d3 outdoors with different clothes, d4 indoors).
        crop: `"centre"` keeps the middle square of each frame (120x120 of KTH's 160x120;
            the person stands in the middle), `"squash"` resizes the whole frame.
        held_out: share of the frames held out, chosen with `seed`.
        seed: seed of the held-out choice.
        verbose: progress output.

    Returns:
        The `DatasetSplits`, class id `NN - 1` for `personNN`, with extras `action` (index
        into `ACTIONS`), `scenario` (1 to 4) and `frame` (1-based frame of its video).

    Raises:
        ImportError: if PyAV is not installed (naming the extra to install).
        DatasetFileError: if `00sequences.txt` or every chosen video is missing.
        ValueError: for an unknown action, scenario or crop, or a damaged video.

    Example:
    ```python
    splits = keras_lord.datasets.kth("downloads/kth", actions=("handwaving",))
    ```

    """
    av = _video_decoder()
    actions = (actions,) if isinstance(actions, str) else tuple(actions)
    scenarios = (scenarios,) if isinstance(scenarios, str) else tuple(scenarios)
    for name, chosen, known in (("action", actions, ACTIONS), ("scenario", scenarios, SCENARIOS)):
        unknown = sorted(set(chosen) - set(known))
        if unknown or not chosen:
            raise ValueError(f"KTH has no {name} {unknown or chosen}; choose from {known}.")
    if crop not in CROPS:
        raise ValueError(f"crop must be one of {CROPS}, not {crop!r}.")
    source = DatasetSource(data_dir, "KTH", PUBLISHED_AT)
    (_, read_text), *_ = source.files("*00sequences.txt")
    sequences = read_sequences(read_text().decode("utf-8", "replace"))
    videos = []
    for name, read in source.files("*_uncomp.avi"):
        match = VIDEO_NAME.search(os.path.basename(name))
        if match and match["action"] in actions and match["scenario"] in scenarios:
            videos.append((name, read, match))
    if not videos:
        raise source.missing(f"video of {', '.join(actions)} in {', '.join(scenarios)}")
    strangers = [name for name, _, match in videos if not 1 <= int(match["person"]) <= NUM_PEOPLE]
    if strangers:
        raise ValueError(f"KTH numbers its people 1 to {NUM_PEOPLE}, not as {strangers[0]} does.")
    unlisted = [name for name, _, match in videos if _video_key(match) not in sequences]
    if unlisted:
        raise ValueError(
            f"00sequences.txt lists no frames for {', '.join(unlisted[:3])}"
            f"{' ...' if len(unlisted) > 3 else ''}; it does not belong with these videos. "
            f"Download both again from {PUBLISHED_AT}"
        )
    frames = [None] * len(videos)
    cut_short = {}
    order = reading_order([(name, read) for name, read, _ in videos])

    def decode(position):
        index = order[position]
        name, read, match = videos[index]
        video = _video_key(match)
        kept = set()
        for first, last in sequences[video]:
            kept.update(range(first, last + 1))
        images, numbers, decoded, declared, failure = [], [], 0, None, None
        try:
            with av.open(io.BytesIO(read())) as container:
                declared = container.streams.video[0].frames
                for decoded, frame in enumerate(container.decode(video=0), start=1):
                    if decoded in kept:
                        picture = frame.to_image().convert("L")
                        if crop == "centre":
                            side = min(picture.size)
                            picture = picture.crop(centre_square(side)(*picture.size))
                        images.append(np.asarray(picture.resize((size, size), Image.BOX)))
                        numbers.append(decoded)
        except (av.FFmpegError, OSError, ValueError, IndexError) as error:
            failure = error
        # A cut file decodes up to the cut, then fails or just ends: compare with its header.
        if failure is None and decoded < declared:
            failure = ValueError(f"{decoded} frames decoded; its header declares {declared}")
        if failure is not None:
            if not _cut_short_as_published(video, declared, decoded):
                raise source.damaged(name, failure) from failure
            cut_short[video] = f"frames {decoded + 1} - {declared} are not in the file"
        if not images:
            raise source.damaged(
                name, ValueError(f"none of its {decoded} frames is in 00sequences.txt")
            )
        frames[index] = (np.stack(images)[..., None], np.array(numbers, "int32"))

    run_in_threads(decode, len(videos), verbose, label="video")
    if cut_short and verbose:
        for video, missing in sorted(cut_short.items()):
            print(f"{video}: {missing}, as published; its other frames are used.")
    counts = [len(numbers) for _, numbers in frames]
    images = np.concatenate([images for images, _ in frames])

    def per_frame(values, dtype):
        return np.repeat(np.array(values, dtype), counts)

    person = per_frame([int(match["person"]) for _, _, match in videos], "int64")
    extras = {
        "action": per_frame([ACTIONS.index(match["action"]) for _, _, match in videos], "int8"),
        "scenario": per_frame([int(match["scenario"][1]) for _, _, match in videos], "int8"),
        "frame": np.concatenate([numbers for _, numbers in frames]),
    }
    info = {
        "dataset": "kth",
        "source": PUBLISHED_AT,
        "class": "person: personNN is class NN - 1",
        "content": "none",
        "actions": list(actions),
        "scenarios": list(scenarios),
        "frames": "those 00sequences.txt marks as the action, grayscale",
        "crop": "the middle 120x120 square, then resized" if crop == "centre" else "squashed",
        "videos": len(videos),
        "cut_short_as_published": dict(sorted(cut_short.items())),
        "split": f"{held_out:.0%} of the frames, seed {seed}",
        "seed": seed,
        "size": size,
    }
    test_rows = held_out_rows(len(images), held_out, seed)
    return split_by_rows(images, person - 1, None, test_rows, NUM_PEOPLE, info, extras)


def _cut_short_as_published(video: str, declared: int | None, decoded: int) -> bool:
    published = PUBLISHED_CUT_SHORT.get(video)
    if published is None:
        return False
    return declared == published["declared"] and decoded >= published["readable"]


def _video_key(match) -> str:
    return f"person{match['person']}_{match['action']}_{match['scenario']}"
