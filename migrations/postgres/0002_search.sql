-- Full-text search (src/search/). `search` is a tsvector written by the application as a
-- literal (src/search/render.rs): its lexemes are our own tokens, so PostgreSQL's parser and
-- dictionaries never run and both stores match exactly the same tokens. It also holds the
-- tenant's token, so that the GIN index narrows a search to one tenant by itself.
ALTER TABLE events ADD COLUMN search tsvector;
CREATE INDEX events_search ON events USING GIN (search);
-- Events stored before this migration have no vector yet: the store indexes them when it
-- connects, finding them through this (then empty) index.
CREATE INDEX events_search_missing ON events (id) WHERE search IS NULL;
