"""LORD's own start: content codes drawn uniformly in +-0.05 when the table is built."""

from keras_lord.tables.content_initialization.base import ContentInitialization


class TableStart(ContentInitialization):
    """Keeps the content table's initial rows (uniform in `[-0.05, 0.05]`, seeded), as LORD."""

    name = "random"

    def codes(self, images, class_ids, content_dim):
        return None

    def describe(self):
        return "content codes start at random (uniform in +-0.05, as LORD)"
