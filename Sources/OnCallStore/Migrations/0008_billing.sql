-- Hub Billing: one report per tenant and UTC day (distinct technicians active that day), queued when the day
-- is over (or later, for days missed while no node ran), sent until the Hub has it.
CREATE TABLE billing_reports (
    tenant_id text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    day date NOT NULL,
    active_technicians int NOT NULL,
    status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'dead')),
    attempts int NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    locked_until timestamptz,
    locked_by text,
    last_error text,
    sent_at timestamptz,
    PRIMARY KEY (tenant_id, day)
);
CREATE INDEX billing_reports_due ON billing_reports (next_attempt_at) WHERE status = 'pending';
