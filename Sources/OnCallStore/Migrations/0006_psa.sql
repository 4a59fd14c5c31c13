-- PSA ticket sync: the ticket the PSA made for an incident, set once when its creation is delivered (in the same
-- transaction that marks the outbox row delivered). Notes and the resolution are sent to it.
ALTER TABLE incidents ADD COLUMN psa_ticket_id text;
