-- Fetch state for the fetcher that survives the real web (issue 3).
ALTER TABLE sources ADD COLUMN retry_at BIGINT;     -- backoff or Retry-After: not fetched before this, Unix seconds
ALTER TABLE sources ADD COLUMN fresh_until BIGINT;  -- Cache-Control max-age / Expires: not fetched before this
ALTER TABLE sources ADD COLUMN gone_at BIGINT;      -- 410 Gone: not fetched again until its URL changes
ALTER TABLE sources ADD COLUMN moved_to TEXT;       -- where a 301/308 says the feed now lives
