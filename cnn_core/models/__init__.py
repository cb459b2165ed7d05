"""Models as plain data: layer specs, presets, layer tables and the reports of trained models."""
