"""Two synthetic domains of the same rendered objects: edge maps, and photos in colour styles."""

import numpy as np

from keras_lord.data.lord_data import LordData
from keras_lord.data.synthetic import SyntheticObjects

EDGES, PHOTOS = 0, 1
# Colour schemes of the photo domain: the rendering's grey level tinted, or its own colours.
COLOUR_SCHEMES = ("sepia", "teal", "violet", "rendered")
_TINTS = {"sepia": (1.0, 0.75, 0.45), "teal": (0.35, 0.85, 0.95), "violet": (0.8, 0.4, 1.0)}


def _edge_map(images: np.ndarray) -> np.ndarray:
    grey = images.astype("float32").mean(-1)
    rows = np.abs(np.diff(grey, axis=1, append=grey[:, -1:]))
    columns = np.abs(np.diff(grey, axis=2, append=grey[:, :, -1:]))
    # Dark lines on white, as Edges2Shoes' edge maps.
    lines = np.clip((rows + columns - 6.0) * 6.0, 0, 255)
    return np.repeat((255 - lines)[..., None], 3, axis=-1).astype("uint8")


def restyle(images: np.ndarray, scheme: str) -> np.ndarray:
    """Renders in one of `COLOUR_SCHEMES`: the grey level tinted, or the rendering as it is."""
    if scheme == "rendered":
        return images
    grey = images.astype("float32").mean(-1, keepdims=True)
    return np.clip(grey * np.array(_TINTS[scheme]) * 1.6, 0, 255).astype("uint8")


def synthetic_domains(
    num_objects: int = 8,
    num_views: int = 8,
    num_styles: int = 3,
    image_size: int = 32,
    seed: int = 0,
) -> tuple:
    """Rendered objects in two domains, for domain translation with styles (edges to photos).

    Every object is rendered from every view once as an edge map (domain 0, one style) and
    once per colour scheme as a photo (domain 1: its grey level in sepia, teal or violet,
    then the rendering's own colours; the first `num_styles`). The domain is the class; the
    content is the object and the view, shared by both domains, so every translation has an
    exact answer: the same content in the other domain and the chosen style.

    Args:
        num_objects: objects rendered.
        num_views: views (azimuths) of each.
        num_styles: colour schemes of the photo domain, 1 to 4.
        image_size: height and width.
        seed: seed of the objects.

    Returns:
        `(data, styles)`: a `LordData` whose `class_ids` are the domains (0 edges, 1
        photos) and `content_ids` the (object, view) pairs, and `(N,)` the colour scheme
        of each photo (-1 for edge maps).

    Raises:
        ValueError: for `num_styles` outside `[1, 4]`.

    Example:
    ```python
    data, styles = keras_lord.data.synthetic_domains(num_styles=3)
    photos = data.images[data.class_ids == 1]
    ```

    """
    if not 1 <= num_styles <= len(COLOUR_SCHEMES):
        raise ValueError(
            f"`num_styles` must lie in [1, {len(COLOUR_SCHEMES)}]; got {num_styles!r}."
        )
    objects = SyntheticObjects(
        num_classes=num_objects,
        num_azimuths=num_views,
        num_elevations=1,
        image_size=image_size,
        shape_variation=0.3,
        seed=seed,
    ).data()
    contents = objects.class_ids * num_views + objects.content_ids
    images = [_edge_map(objects.images)]
    domains, styles = [np.full(len(contents), EDGES)], [np.full(len(contents), -1)]
    for style, scheme in enumerate(COLOUR_SCHEMES[:num_styles]):
        images.append(restyle(objects.images, scheme))
        domains.append(np.full(len(contents), PHOTOS))
        styles.append(np.full(len(contents), style))
    data = LordData(
        images=np.concatenate(images),
        class_ids=np.concatenate(domains),
        num_classes=2,
        content_ids=np.tile(contents, num_styles + 1),
    )
    return data, np.concatenate(styles)
