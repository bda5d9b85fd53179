-- Article pages scraped for entries whose feed carries only a teaser, keyed
-- by URL: what extraction found (and which strategy won, and why), or why
-- there is nothing. Entries keep the feed's own content when `error` is set.
CREATE TABLE articles (
    url        TEXT   PRIMARY KEY,
    fetched_at BIGINT NOT NULL,      -- Unix seconds of the attempt
    status     BIGINT,               -- HTTP status, NULL if none arrived
    strategy   TEXT,                 -- selector, readability, density or body; NULL on failure
    reason     TEXT,                 -- why that strategy's candidate won
    error      TEXT,                 -- why there is no article; NULL on success
    title      TEXT,
    text       TEXT,
    html       TEXT,
    published  BIGINT                -- publication time the page gives, Unix seconds
);
