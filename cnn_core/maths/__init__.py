"""The step-by-step teaching maths: windows, convolution, pooling, frames, kernels, metrics."""
