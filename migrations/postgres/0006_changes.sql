-- A counter bumped by every write that can change the published feeds, so a
-- daemon sharing the database notices other daemons' changes with one cheap
-- read and re-renders its feeds (issue 6).
CREATE TABLE changes (
    id      BIGINT NOT NULL PRIMARY KEY CHECK (id = 1),
    version BIGINT NOT NULL
);
INSERT INTO changes (id, version) VALUES (1, 0);
