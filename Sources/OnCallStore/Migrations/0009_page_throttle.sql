-- Storm protection: when each contact method last got a message (SMS, email), so a storm sends at most one per
-- window and bundles the rest into the next.
CREATE TABLE page_throttle (
    tenant_id text NOT NULL,
    contact_method_id text NOT NULL,
    last_sent_at timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, contact_method_id)
);
