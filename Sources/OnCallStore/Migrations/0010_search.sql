-- Search (GET /api/search): trigram similarity next to full-text matching. pg_trgm is a trusted extension
-- (PostgreSQL 13+): a database owner may create it without being a superuser.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
