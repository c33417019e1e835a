"""Passerelle: social prescribing for the canton of Bern."""
