"""CRM adapters: one httpx adapter per vendor, the shared HTTP policy and the CrmError tree."""
