-- Ops (docs/ops.md): what keeps failing, for the stuck-workflow list and integration health.

-- A command on an incident that failed (a timer that could not fire, …): counted per incident and command.
-- Shown as stuck while the last failure is newer than the incident's last change.
CREATE TABLE incident_failures (
    tenant_id text NOT NULL,
    incident_id uuid NOT NULL,
    command text NOT NULL,                       -- timer:<name>, …
    failures integer NOT NULL,
    first_at timestamptz NOT NULL,
    last_at timestamptz NOT NULL,
    last_error text NOT NULL,
    PRIMARY KEY (tenant_id, incident_id, command)
);

-- Each node's last success and last error per integration ('' = the platform's, else per tenant), written
-- every few seconds from memory; GET /api/ops/integrations folds the nodes together.
CREATE TABLE integration_status (
    tenant_id text NOT NULL,
    name text NOT NULL,
    node text NOT NULL,
    last_success_at timestamptz,
    last_error_at timestamptz,
    last_error text,
    PRIMARY KEY (tenant_id, name, node)
);
