"""The use cases the faces share: train, resume, evaluate, predict, describe a model file,
inspect a model on data. Each returns a result and never prints; the command line and the
web app draw those results."""
