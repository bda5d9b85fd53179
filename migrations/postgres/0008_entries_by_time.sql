-- Near-duplicate lookups at wide distances (probe radius 3 or more bits per
-- 16-bit block, `dedup.distance` 12 and up) for items older than the
-- in-memory copy compare every fingerprint inside the item's time window:
-- the band rows would offer 4% or more of the whole table. This index holds
-- exactly what that scan reads.
CREATE INDEX entries_time ON entries ((COALESCE(published, first_seen)), fingerprint);
