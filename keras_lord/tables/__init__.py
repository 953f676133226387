"""The latent tables of LORD: one learned code per class, per image, or per attribute."""

from keras_lord.tables.factor_tables import FactorTables

__all__ = ["FactorTables"]
