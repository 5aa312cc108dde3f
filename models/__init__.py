"""Model conversion and packaging for the sentence encoders."""
