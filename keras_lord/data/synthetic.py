"""Rendered 3D objects: every class is an object, every content label a viewpoint."""

import colorsys
import dataclasses

import keras
import numpy as np

from keras_lord.data.lord_data import LordData

_BACKGROUND = 0.08
_SUPERSAMPLING = 2


@dataclasses.dataclass(frozen=True)
class SyntheticObjects:
    """A procedural dataset with exact ground truth for class/content transfer.

    Each class is a rigid object made of coloured spheres at class-specific 3D positions;
    each content label is a viewpoint (an azimuth and an elevation of the camera). Every
    (class, viewpoint) pair can be rendered, so "the object of image i seen from the
    viewpoint of image j" has an exact answer: `render([class_i], [content_j])`.

    Args:
        num_classes: number of objects.
        num_azimuths: camera azimuths, evenly spaced over 360 degrees.
        num_elevations: camera elevations, evenly spaced in `[0, 45]` degrees.
        image_size: height and width of the images.
        channels: 3 for colour, 1 for grayscale.
        spheres_per_object: spheres that make each object.
        shape_variation: how far the objects' shapes differ, in `[0, 1]`. At 1 every
            object places its spheres independently, so a viewpoint looks different on every
            object and "the same viewpoint" means nothing visible across objects; below 1
            every object's spheres are a blend of one shared layout (weight
            `1 - shape_variation`) and its own, as cars share a body plan: a viewpoint then
            looks alike across objects, which is what content transfer needs to learn.
            Colours always differ per object.
        seed: seed of the object shapes and colours.

    Example:
    ```python
    objects = keras_lord.data.SyntheticObjects(num_classes=20)
    data = objects.data()  # every object from every viewpoint
    truth = objects.render(class_ids=[3], content_ids=[7])
    ```

    """

    num_classes: int = 32
    num_azimuths: int = 16
    num_elevations: int = 3
    image_size: int = 32
    channels: int = 3
    spheres_per_object: int = 5
    shape_variation: float = 1.0
    seed: int = 0

    def __post_init__(self):
        if min(self.num_classes, self.num_azimuths, self.num_elevations, self.image_size) < 1:
            raise ValueError("Counts and `image_size` of SyntheticObjects must be positive.")
        if self.channels not in (1, 3):
            raise ValueError(f"`channels` must be 1 or 3; got {self.channels}.")
        if not 0.0 <= self.shape_variation <= 1.0:
            raise ValueError(f"`shape_variation` must lie in [0, 1]; got {self.shape_variation}.")

    @property
    def num_contents(self) -> int:
        """Number of viewpoints."""
        return self.num_azimuths * self.num_elevations

    def _objects(self):
        rng = np.random.default_rng(self.seed)
        shape = (self.num_classes, self.spheres_per_object)
        directions = rng.normal(size=shape + (3,))
        directions /= np.linalg.norm(directions, axis=-1, keepdims=True)
        centres = directions * rng.uniform(0.3, 0.6, size=shape + (1,))
        radii = rng.uniform(0.2, 0.34, size=shape)
        hues = (rng.uniform(size=(self.num_classes, 1)) + np.linspace(0, 0.5, shape[1])) % 1.0
        if self.shape_variation < 1.0:
            # Drawn after the objects' own values, so that `shape_variation=1` renders the
            # objects of earlier versions unchanged.
            layout = np.random.default_rng([self.seed, 1])
            shared_directions = layout.normal(size=(1, shape[1], 3))
            shared_directions /= np.linalg.norm(shared_directions, axis=-1, keepdims=True)
            shared_centres = shared_directions * layout.uniform(0.3, 0.6, size=(1, shape[1], 1))
            shared_radii = layout.uniform(0.2, 0.34, size=(1, shape[1]))
            weight = self.shape_variation
            centres = weight * centres + (1.0 - weight) * shared_centres
            radii = weight * radii + (1.0 - weight) * shared_radii
        colours = np.array(
            [[colorsys.hsv_to_rgb(h, 0.85, 1.0) for h in row] for row in hues], dtype="float64"
        )
        return centres, radii, colours

    def _camera(self, content_ids):
        azimuth = (content_ids // self.num_elevations) * (2 * np.pi / self.num_azimuths)
        steps = max(self.num_elevations - 1, 1)
        elevation = (content_ids % self.num_elevations) * (np.pi / 4 / steps)
        cos_a, sin_a = np.cos(azimuth), np.sin(azimuth)
        cos_e, sin_e = np.cos(elevation), np.sin(elevation)
        zeros, ones = np.zeros_like(azimuth), np.ones_like(azimuth)
        yaw = np.stack(
            [
                np.stack([cos_a, zeros, sin_a], -1),
                np.stack([zeros, ones, zeros], -1),
                np.stack([-sin_a, zeros, cos_a], -1),
            ],
            -2,
        )
        pitch = np.stack(
            [
                np.stack([ones, zeros, zeros], -1),
                np.stack([zeros, cos_e, -sin_e], -1),
                np.stack([zeros, sin_e, cos_e], -1),
            ],
            -2,
        )
        return pitch @ yaw

    def render(self, class_ids: np.ndarray, content_ids: np.ndarray) -> np.ndarray:
        """Renders objects from viewpoints.

        Args:
            class_ids: `(N,)` object ids in `[0, num_classes)`.
            content_ids: `(N,)` viewpoint ids in `[0, num_contents)`.

        Returns:
            `(N, image_size, image_size, channels)` uint8 images.

        Raises:
            ValueError: for ids out of range or of different lengths.

        """
        class_ids = np.asarray(class_ids, dtype="int64").reshape(-1)
        content_ids = np.asarray(content_ids, dtype="int64").reshape(-1)
        if class_ids.shape != content_ids.shape:
            raise ValueError("`class_ids` and `content_ids` must have the same length.")
        if len(class_ids) and (class_ids.min() < 0 or class_ids.max() >= self.num_classes):
            raise ValueError(f"`class_ids` must lie in [0, {self.num_classes}).")
        if len(content_ids) and (content_ids.min() < 0 or content_ids.max() >= self.num_contents):
            raise ValueError(f"`content_ids` must lie in [0, {self.num_contents}).")
        centres, radii, colours = self._objects()
        rotated = np.einsum("nij,nkj->nki", self._camera(content_ids), centres[class_ids])
        radii, colours = radii[class_ids], colours[class_ids]
        size = self.image_size * _SUPERSAMPLING
        grid = (np.arange(size) + 0.5) / size * 2.0 - 1.0
        pixel_y, pixel_x = np.meshgrid(-grid, grid, indexing="ij")
        # Painter's algorithm: draw the spheres far to near.
        order = np.argsort(rotated[..., 2], axis=1)
        canvas = np.full((len(class_ids), size, size, 3), _BACKGROUND)
        rows = np.arange(len(class_ids))[:, None]
        for sphere in order.T:
            centre = rotated[rows[:, 0], sphere]
            radius = radii[rows[:, 0], sphere][:, None, None]
            dx = pixel_x[None] - centre[:, 0, None, None]
            dy = pixel_y[None] - centre[:, 1, None, None]
            inside = 1.0 - (dx**2 + dy**2) / radius**2
            mask = inside > 0
            # Lambertian shading from a light above the camera, a fixed direction in view
            # space, so the shading itself tells the viewpoint too.
            normal_z = np.sqrt(np.clip(inside, 0, 1))
            light = np.clip((-0.3 * dx / radius + 0.5 * dy / radius + 0.8 * normal_z), 0, 1)
            shade = (0.25 + 0.75 * light)[..., None] * colours[rows[:, 0], sphere][:, None, None]
            canvas = np.where(mask[..., None], shade, canvas)
        canvas = canvas.reshape(
            len(class_ids), self.image_size, _SUPERSAMPLING, self.image_size, _SUPERSAMPLING, 3
        ).mean(axis=(2, 4))
        if self.channels == 1:
            canvas = canvas @ np.array([[0.299], [0.587], [0.114]])
        return np.round(np.clip(canvas, 0, 1) * 255).astype("uint8")

    def data(self, chunk_size: int = 512, verbose: bool = False) -> LordData:
        """Renders every object from every viewpoint.

        Args:
            chunk_size: images rendered at once.
            verbose: show a progress bar.

        Returns:
            A `LordData` with `num_classes * num_contents` images, `class_ids` and
            `content_ids` (the viewpoint).

        """
        class_ids = np.repeat(np.arange(self.num_classes), self.num_contents)
        content_ids = np.tile(np.arange(self.num_contents), self.num_classes)
        progress = keras.utils.Progbar(len(class_ids), unit_name="image") if verbose else None
        chunks = []
        for start in range(0, len(class_ids), chunk_size):
            stop = start + chunk_size
            chunks.append(self.render(class_ids[start:stop], content_ids[start:stop]))
            if progress is not None:
                progress.update(min(stop, len(class_ids)))
        return LordData(
            images=np.concatenate(chunks),
            class_ids=class_ids,
            num_classes=self.num_classes,
            content_ids=content_ids,
        )
