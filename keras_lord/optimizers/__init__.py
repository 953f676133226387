from keras_lord.optimizers.rowwise_adam import RowwiseAdam

__all__ = ["RowwiseAdam"]
