-- The in-memory fingerprint copy re-reads rows changed since it last looked.
CREATE INDEX entries_updated ON entries (updated);
