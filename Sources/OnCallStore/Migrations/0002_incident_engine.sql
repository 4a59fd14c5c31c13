-- The incident engine: who is paged (minimal domain, completed by the domain issue), incidents with their
-- workflow snapshot, the timeline, durable timers and the outbox. tenant_id leads every key.

CREATE TABLE technicians (
    tenant_id text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id text NOT NULL,
    name text NOT NULL,
    email text,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id)
);

CREATE TABLE contact_methods (
    tenant_id text NOT NULL,
    id text NOT NULL,
    technician_id text NOT NULL,
    type text NOT NULL CHECK (type IN ('webhook', 'slack', 'teams', 'sms', 'email')),
    address text NOT NULL,                       -- URL for webhook/slack/teams, number for sms, mailbox for email
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, technician_id) REFERENCES technicians (tenant_id, id) ON DELETE CASCADE
);

CREATE TABLE escalation_policies (
    tenant_id text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id text NOT NULL,
    name text NOT NULL,
    repeat_count integer NOT NULL DEFAULT 0 CHECK (repeat_count BETWEEN 0 AND 20),
    PRIMARY KEY (tenant_id, id)
);

CREATE TABLE escalation_layers (
    tenant_id text NOT NULL,
    policy_id text NOT NULL,
    position integer NOT NULL CHECK (position >= 1),
    delay_seconds integer NOT NULL CHECK (delay_seconds >= 1),
    PRIMARY KEY (tenant_id, policy_id, position),
    FOREIGN KEY (tenant_id, policy_id) REFERENCES escalation_policies (tenant_id, id) ON DELETE CASCADE
);

CREATE TABLE escalation_targets (
    tenant_id text NOT NULL,
    policy_id text NOT NULL,
    position integer NOT NULL,
    target_type text NOT NULL CHECK (target_type IN ('technician', 'schedule')),
    target_id text NOT NULL,
    PRIMARY KEY (tenant_id, policy_id, position, target_type, target_id),
    FOREIGN KEY (tenant_id, policy_id, position) REFERENCES escalation_layers (tenant_id, policy_id, position) ON DELETE CASCADE
);

CREATE TABLE services (
    tenant_id text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id text NOT NULL,
    name text NOT NULL,
    escalation_policy_id text NOT NULL,
    workflow text NOT NULL DEFAULT 'incident',
    ack_timeout_seconds integer CHECK (ack_timeout_seconds >= 1),
    auto_resolve_seconds integer CHECK (auto_resolve_seconds >= 1),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, escalation_policy_id) REFERENCES escalation_policies (tenant_id, id)
);

-- Per-tenant incident numbers (#1, #2, …), handed out in the creating transaction.
CREATE TABLE incident_counters (
    tenant_id text PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    last_number bigint NOT NULL DEFAULT 0
);

CREATE TABLE incidents (
    tenant_id text NOT NULL REFERENCES tenants (id),
    id uuid NOT NULL,
    number bigint NOT NULL,
    service_id text NOT NULL,
    workflow text NOT NULL,
    title text NOT NULL,
    severity text NOT NULL CHECK (severity IN ('critical', 'high', 'medium', 'low', 'info')),
    dedup_key text,
    state text NOT NULL,
    is_open boolean NOT NULL,                    -- false once the workflow reached a final state
    version bigint NOT NULL,                     -- optimistic fencing: every commit checks and bumps it
    snapshot jsonb NOT NULL,                     -- the workflow's IncidentSnapshot
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    acknowledged_at timestamptz,
    acknowledged_by text,
    resolved_at timestamptz,
    resolved_by text,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, number),
    FOREIGN KEY (tenant_id, service_id) REFERENCES services (tenant_id, id)
);
CREATE UNIQUE INDEX incidents_id ON incidents (id);
-- At most one open incident per dedup key and service: the second trigger folds into the first.
CREATE UNIQUE INDEX incidents_open_dedup ON incidents (tenant_id, service_id, dedup_key) WHERE is_open AND dedup_key IS NOT NULL;
CREATE INDEX incidents_open ON incidents (tenant_id, created_at DESC) WHERE is_open;

-- The timeline: every transition, page, note and delivery, with who and when.
CREATE TABLE incident_journal (
    tenant_id text NOT NULL,
    id bigserial NOT NULL,
    incident_id uuid NOT NULL,
    sequence bigint,                             -- the snapshot sequence of the event that wrote it (null: a delivery)
    kind text NOT NULL,
    actor text,
    detail jsonb NOT NULL DEFAULT '{}',
    at timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX incident_journal_incident ON incident_journal (tenant_id, incident_id, id);

-- Durable timers: one row per armed timer; the generation tells a live firing from a stale one.
CREATE TABLE incident_timers (
    tenant_id text NOT NULL,
    incident_id uuid NOT NULL,
    name text NOT NULL,
    generation bigint NOT NULL,
    due_at timestamptz NOT NULL,
    claimed_until timestamptz,                   -- lease of the node firing it
    claimed_by text,
    PRIMARY KEY (tenant_id, incident_id, name)
);
CREATE INDEX incident_timers_due ON incident_timers (due_at);

-- The transactional outbox: side effects written with the state change, delivered after the commit.
CREATE TABLE outbox (
    tenant_id text NOT NULL,
    id bigserial NOT NULL,
    incident_id uuid NOT NULL,
    sequence bigint NOT NULL,
    position integer NOT NULL,
    channel text NOT NULL,                       -- per-incident order is kept within a channel (page, hub, psa)
    kind text NOT NULL,
    payload jsonb NOT NULL,
    idempotency_key text NOT NULL,
    status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'dead')),
    attempts integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL,
    locked_until timestamptz,
    locked_by text,
    last_error text,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (idempotency_key)
);
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE status = 'pending';
CREATE INDEX outbox_incident_order ON outbox (incident_id, channel, id);

-- Delivered rows leave the hot table at once; kept here for audit and pruned after a retention period.
CREATE TABLE outbox_delivered (
    tenant_id text NOT NULL,
    id bigint NOT NULL,
    incident_id uuid NOT NULL,
    channel text NOT NULL,
    kind text NOT NULL,
    payload jsonb NOT NULL,
    idempotency_key text NOT NULL,
    attempts integer NOT NULL,
    created_at timestamptz NOT NULL,
    delivered_at timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX outbox_delivered_at ON outbox_delivered (delivered_at);
