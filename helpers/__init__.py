"""Helper library for the Transfer Learning and Fine-tuning course."""
