-- The fingerprint band rows are read no more: near-duplicate candidates,
-- recent or old, are found in the in-memory copy of fingerprints (old
-- items load the span of their window into it). Writing them cost every
-- stored entry four rows and their index.
DROP TABLE entry_bands;
