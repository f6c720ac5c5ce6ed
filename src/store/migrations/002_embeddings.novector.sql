-- Embeddings without pgvector: the same table with real[]; similarity search is an exact scan
-- (`idcopilot doctor` says so).
CREATE TABLE embeddings (
  kind          text NOT NULL,
  id            text NOT NULL,
  model         text NOT NULL,
  content_hash  text NOT NULL,
  embedding     real[] NOT NULL,
  PRIMARY KEY (kind, id)
);
