"""The model: ``Sequential``, the model file it saves and loads, and the recipes and presets
that build networks and their optimizers."""
