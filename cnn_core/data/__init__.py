"""Images, data sets and their file formats, digits and imbalanced tasks, as plain uint8 arrays."""
