"""Everything that runs Keras: worker processes, training, inference, explanations, device probe.

The only subpackage that imports TensorFlow or Keras, and only inside the functions that run in a
worker process, so the Streamlit server never loads them (tests/core/test_package.py enforces it).
"""
