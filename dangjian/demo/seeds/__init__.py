"""The demo and scale data of each app, run by ``manage.py seed_demo`` in their ``ORDER``."""
