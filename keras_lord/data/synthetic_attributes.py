"""Rendered objects in colour schemes: a class (the object) and an attribute (the colours)."""

import numpy as np

from keras_lord.data.lord_data import LordData
from keras_lord.data.synthetic import SyntheticObjects
from keras_lord.data.synthetic_domains import COLOUR_SCHEMES, restyle


def synthetic_attributes(
    num_objects: int = 4,
    num_views: int = 16,
    num_schemes: int = 3,
    image_size: int = 32,
    seed: int = 0,
) -> tuple:
    """Every rendered object from every view in every colour scheme, for multi-attribute LORD.

    Two independent categorical factors besides the view: the object (the class) and the
    colour scheme (an attribute: the grey level in sepia, teal or violet, then the
    rendering's own colours; the first `num_schemes`). Every (object, view, scheme) is
    rendered once, so a change of one attribute has an exact answer: the same object and
    view in the other scheme.

    Args:
        num_objects: objects rendered (the classes).
        num_views: views (azimuths) of each; `content_ids` numbers them.
        num_schemes: colour schemes, 2 to 4.
        image_size: height and width.
        seed: seed of the objects.

    Returns:
        `(data, schemes)`: a `LordData` whose `class_ids` are the objects and `content_ids`
        the views, scheme by scheme; and `(N,)` the colour scheme of each image, an index
        into `keras_lord.data.synthetic_domains.COLOUR_SCHEMES`.

    Raises:
        ValueError: for `num_schemes` outside `[2, 4]`.

    Example:
    ```python
    data, schemes = keras_lord.data.synthetic_attributes(num_objects=4, num_schemes=3)
    inputs = {**data.inputs(), "scheme_id": schemes}
    trainer = keras_lord.LordTrainer(
        num_classes=4, num_samples=data.num_samples, preset="small", attributes={"scheme": 3}
    )
    ```

    """
    if not 2 <= num_schemes <= len(COLOUR_SCHEMES):
        raise ValueError(
            f"`num_schemes` must lie in [2, {len(COLOUR_SCHEMES)}]; got {num_schemes!r}."
        )
    objects = SyntheticObjects(
        num_classes=num_objects,
        num_azimuths=num_views,
        num_elevations=1,
        image_size=image_size,
        seed=seed,
    ).data()
    schemes = np.repeat(np.arange(num_schemes), objects.num_samples)
    data = LordData(
        images=np.concatenate([restyle(objects.images, s) for s in COLOUR_SCHEMES[:num_schemes]]),
        class_ids=np.tile(objects.class_ids, num_schemes),
        num_classes=num_objects,
        content_ids=np.tile(objects.content_ids, num_schemes),
    )
    return data, schemes
