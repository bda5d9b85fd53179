-- Related coverage (issue 20): the event each story is in, as the last
-- events pass found it. A row only for a story grouped with others; the
-- event is named by its earliest story (`event_story_id`, which has a row
-- naming itself). The link is the story's strongest passing pair inside the
-- event, with its figures (thousandths), for `feedfold explain`.
CREATE TABLE story_events (
    story_id        BIGINT NOT NULL PRIMARY KEY REFERENCES stories (id) ON DELETE CASCADE,
    event_story_id  BIGINT NOT NULL,
    linked_story_id BIGINT NOT NULL,
    score           BIGINT NOT NULL,
    cosine          BIGINT NOT NULL,
    title_cosine    BIGINT NOT NULL,
    same_source     BIGINT NOT NULL,
    gap_secs        BIGINT NOT NULL,
    terms           TEXT   NOT NULL,  -- strongest shared terms, JSON [["term", weight], ...]
    decided_at      BIGINT NOT NULL
);
CREATE INDEX story_events_event ON story_events (event_story_id);
-- 1 after `feedfold split --event`: the story is never grouped again.
ALTER TABLE stories ADD COLUMN event_split BIGINT NOT NULL DEFAULT 0;
-- The events pass runs on one daemon at a time (see 0013's maintenance).
INSERT INTO maintenance (task) VALUES ('events');
