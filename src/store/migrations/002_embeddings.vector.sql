-- Embeddings of identity profiles and incident summaries, computed lazily (never during ingest).
CREATE EXTENSION IF NOT EXISTS vector;
CREATE TABLE embeddings (
  kind          text NOT NULL,
  id            text NOT NULL,
  model         text NOT NULL,
  content_hash  text NOT NULL,
  embedding     vector(256) NOT NULL,
  PRIMARY KEY (kind, id)
);
