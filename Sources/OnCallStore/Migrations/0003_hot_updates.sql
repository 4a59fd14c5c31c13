-- Incident rows and timer rows are updated in place on every transition: leave room on each page so
-- PostgreSQL can make those heap-only (HOT) updates and skip rewriting every index of the row.
ALTER TABLE incidents SET (fillfactor = 80);
ALTER TABLE incident_timers SET (fillfactor = 80);
