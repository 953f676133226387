"""Translation by the stage-2 encoders: one forward pass."""

from keras_lord.translation.method import TranslationMethod


class EncoderTranslation(TranslationMethod):
    """The class encoder on the class images, the content encoder on the content images."""

    name = "encoders"
    help = "one forward pass"

    def codes(self, model, class_images, content_images, batch_size, **arguments):
        return (
            model.encode_class(class_images, batch_size),
            model.encode_content(content_images, batch_size),
        )
