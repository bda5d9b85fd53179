-- Retention (issue 17): an entry pruned while its source's feed still lists
-- it (a podcast keeps every episode; some feeds list their oldest items)
-- would come back as a new entry at the next fetch, and be pruned again
-- later. Pruning leaves its (source, GUID) here; ingest skips those and
-- notes when it last saw each, and a tombstone goes once its item has been
-- out of the feed for `daemon.keep`.
CREATE TABLE tombstones (
    source_id BIGINT NOT NULL,
    guid      TEXT   NOT NULL,
    last_seen BIGINT NOT NULL,  -- when pruned, or last listed since, Unix seconds
    PRIMARY KEY (source_id, guid)
);
CREATE INDEX tombstones_by_age ON tombstones (last_seen);
