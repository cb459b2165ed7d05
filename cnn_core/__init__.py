"""CNN Classroom's teaching engine: pure numpy/OpenCV code plus Keras work run off the UI.

Importing this package imports neither streamlit nor tensorflow; modules that need
TensorFlow import it inside their functions.
"""

__version__ = "0.1.0"
