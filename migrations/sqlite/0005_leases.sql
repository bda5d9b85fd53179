-- Work sharing between daemons on one database (issue 6): a source is run by
-- the daemon that holds its lease, once per scheduled time.
ALTER TABLE sources ADD COLUMN lease_owner TEXT;     -- the daemon running it now ("host:pid:nonce"), NULL when idle
ALTER TABLE sources ADD COLUMN lease_until BIGINT;   -- the lease lapses after this, Unix seconds; NULL once the run has finished
ALTER TABLE sources ADD COLUMN claimed_slot BIGINT;  -- the scheduled time (cron match, Unix seconds) last claimed
