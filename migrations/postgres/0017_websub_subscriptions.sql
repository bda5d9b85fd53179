-- WebSub subscriptions (issue 18): the hub a source's feed advertises, and
-- where our subscription to it stands. One row per source; the callback id
-- is the opaque part of `<base_url>websub/<id>`, the secret signs pushes.
-- Several daemons may share the database: `claimed_until` is taken with a
-- conditional UPDATE, so one of them talks to the hub at a time.
CREATE TABLE websub_subscriptions (
    source_id     BIGINT NOT NULL PRIMARY KEY,
    callback_id   TEXT   NOT NULL UNIQUE,
    hub           TEXT   NOT NULL,
    topic         TEXT   NOT NULL,
    secret        TEXT   NOT NULL,
    state         TEXT   NOT NULL,           -- new, pending, active, failed, denied, unsubscribing
    lease_until   BIGINT,                    -- end of the hub's lease, Unix seconds (active)
    next_attempt  BIGINT NOT NULL DEFAULT 0, -- when to (re)subscribe, renew or give up, Unix seconds
    failures      BIGINT NOT NULL DEFAULT 0, -- consecutive failed requests to the hub
    claimed_until BIGINT NOT NULL DEFAULT 0, -- a daemon is talking to the hub until then
    last_error    TEXT,
    updated_at    BIGINT NOT NULL
);
CREATE INDEX websub_subscriptions_due ON websub_subscriptions (next_attempt);
