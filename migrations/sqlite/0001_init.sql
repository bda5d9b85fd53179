-- Sources, keyed by their config name; fetch state lives on the same row.
CREATE TABLE sources (
    id              INTEGER PRIMARY KEY,
    name            TEXT    NOT NULL UNIQUE,
    url             TEXT    NOT NULL,
    priority        BIGINT  NOT NULL DEFAULT 0,
    enabled         BIGINT  NOT NULL DEFAULT 1,
    etag            TEXT,
    last_modified   TEXT,
    last_fetch_at   BIGINT,           -- Unix seconds of the last attempt
    last_success_at BIGINT,
    last_status     BIGINT,           -- HTTP status of the last attempt, NULL if none
    last_error      TEXT,             -- NULL after a success
    error_count     BIGINT  NOT NULL DEFAULT 0  -- consecutive failures
);

-- The config's `groups` of each source, for per-group feeds.
CREATE TABLE source_groups (
    source_id BIGINT NOT NULL REFERENCES sources (id) ON DELETE CASCADE,
    name      TEXT   NOT NULL,
    PRIMARY KEY (source_id, name)
);

-- A story (cluster) is what the merged feed shows once: all copies of one article.
CREATE TABLE stories (
    id            INTEGER PRIMARY KEY,
    story_key     TEXT    NOT NULL UNIQUE,  -- stable public id (tag URI suffix), from the founding entry
    published     BIGINT  NOT NULL,         -- ordering time, Unix seconds
    updated       BIGINT  NOT NULL          -- last change to any member, Unix seconds
);
CREATE INDEX stories_published ON stories (published);

-- One row per item per source; re-fetching updates in place.
CREATE TABLE entries (
    id            INTEGER PRIMARY KEY,
    source_id     BIGINT  NOT NULL REFERENCES sources (id),
    guid          TEXT    NOT NULL,
    url           TEXT,
    canonical_url TEXT,
    title         TEXT    NOT NULL,
    author        TEXT,
    summary       TEXT,
    content       TEXT,
    published     BIGINT,
    first_seen    BIGINT  NOT NULL,
    updated       BIGINT  NOT NULL,
    story_id      BIGINT  NOT NULL REFERENCES stories (id),
    fingerprint   BIGINT,                   -- 64-bit simhash as signed; NULL when too little text
    pinned        BIGINT  NOT NULL DEFAULT 0, -- 1 after `feedfold split`: never re-clustered
    UNIQUE (source_id, guid)
);
CREATE INDEX entries_story ON entries (story_id);
CREATE INDEX entries_canonical_url ON entries (canonical_url);

-- The four 16-bit blocks of each entry's fingerprint (multi-probe lookup, see dedup::index).
CREATE TABLE entry_bands (
    entry_id BIGINT NOT NULL REFERENCES entries (id) ON DELETE CASCADE,
    block    BIGINT NOT NULL,
    value    BIGINT NOT NULL,
    PRIMARY KEY (entry_id, block)
);
CREATE INDEX entry_bands_lookup ON entry_bands (block, value);

-- Why each entry is in its story: for `feedfold explain`.
CREATE TABLE decisions (
    id               INTEGER PRIMARY KEY,
    entry_id         BIGINT  NOT NULL REFERENCES entries (id) ON DELETE CASCADE,
    story_id         BIGINT  NOT NULL REFERENCES stories (id),
    rule             TEXT    NOT NULL,  -- new | same-url | simhash | split
    matched_entry_id BIGINT,
    distance         BIGINT,
    decided_at       BIGINT  NOT NULL
);
CREATE INDEX decisions_entry ON decisions (entry_id);
