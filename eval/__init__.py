"""Evaluation harness: labelled items, metrics, baselines, report."""
