-- Retention (issue 17): pruning deletes stories, and a story's row may be
-- named by decisions of entries that left it (split, merged): without this
-- index each deleted story would scan every decision (the foreign key check
-- does too).
CREATE INDEX decisions_story ON decisions (story_id);
-- Chores run by one daemon at a time when several share the database: the
-- daemon that claims a task's row runs it, until `until`, and `last_run`
-- spaces the runs. `prune` deletes what `daemon.keep` no longer covers.
CREATE TABLE maintenance (
    task     TEXT   NOT NULL PRIMARY KEY,
    owner    TEXT,              -- the daemon running it now ("host:pid:nonce")
    until    BIGINT,            -- its claim lapses after this, Unix seconds
    last_run BIGINT             -- when the last run started, Unix seconds
);
INSERT INTO maintenance (task) VALUES ('prune');
