"""The engine: NumPy maths only (layers, losses, initializers, optimizers, schedules, metrics,
gradient checks). It knows nothing of files, terminals or data sets."""
