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

-- A story is what the merged feed shows once: all copies of one article.
CREATE TABLE stories (
    id            INTEGER PRIMARY KEY,
    story_key     TEXT    NOT NULL UNIQUE,  -- stable public id (tag URI suffix)
    canonical_url TEXT,                     -- NULL when the founding entry had no link
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
    UNIQUE (source_id, guid)
);
CREATE INDEX entries_story ON entries (story_id);
CREATE INDEX entries_canonical_url ON entries (canonical_url);
