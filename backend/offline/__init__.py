"""Working without a network: the pages a nurse uses offline (precached by the service worker)."""
