"""Support-offer directory, aligned with Open Referral HSDS 3: offers, search, upkeep,
HSDS import/export and the demo directory of the canton of Bern."""
