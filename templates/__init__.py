"""Every text a person reads: jinja2 templates shipped as package data (read through
importlib.resources, so an installed wheel finds them as a checkout does)."""
