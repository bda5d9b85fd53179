-- The in-memory fingerprint copy re-reads entries edited since it last
-- looked (`updated > first_seen`). Indexing only those rows keeps that read
-- from walking every entry inserted in the same second, which made ingest
-- cost grow with the rate of new entries.
DROP INDEX entries_updated;
CREATE INDEX entries_edited ON entries (updated) WHERE updated > first_seen;
