-- Policies shipped with the project (AWS-managed documents an export left out) are `derived`: a real
-- export's document replaces them, never the other way round.
ALTER TABLE policies ADD COLUMN origin text NOT NULL DEFAULT 'inventory';
