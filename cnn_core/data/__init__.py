"""Pictures and their pixel scales, data sets and their file formats, digits, imbalanced tasks."""
