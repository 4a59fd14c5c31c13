#!/usr/bin/env python3
"""Writes Sources/OnCallHTTP/Resources/openapi.json: edit this file, then run `python3 ops/openapi/generate.py Sources/OnCallHTTP/Resources/openapi.json`."""
import json, sys

OUT = sys.argv[1]


def ref(name):
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(t, **extra):
    return {"type": [t, "null"], **extra}


def s(description=None, **kw):
    out = {"type": "string", **kw}
    if description:
        out["description"] = description
    return out


DT = {"type": "string", "format": "date-time"}
DT_NULL = {"type": ["string", "null"], "format": "date-time"}
UUID = {"type": "string", "format": "uuid"}
UUID_NULL = {"type": ["string", "null"], "format": "uuid"}
LOCAL_DT = {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2})?$",
            "description": "Wall-clock date-time without a zone (`2026-11-02T09:00`, seconds only when not zero)."}
LOCAL_TIME = {"type": "string", "pattern": "^[0-9]{2}:[0-9]{2}$", "description": "`HH:MM`; `24:00` is the end of the day."}
DURATION = {"type": "string", "pattern": "^-?([0-9]+[dhms])+$|^0$",
            "description": "A duration: `30s`, `5m`, `2h`, `1d`, combinable largest first (`1h30m`)."}
SEVERITIES = ["critical", "high", "medium", "low", "info"]


def obj(props, required=None, description=None, **extra):
    o = {"type": "object"}
    if description:
        o["description"] = description
    if required is None:
        required = list(props.keys())
    if required:
        o["required"] = required
    o["properties"] = props
    o.update(extra)
    return o


def arr(items, **extra):
    return {"type": "array", "items": items, **extra}


# ---------------------------------------------------------------- schemas
schemas = {}

schemas["Error"] = obj({
    "error": ref("ErrorDetail"),
}, description="Every 4xx and 5xx answer (from a route, the JSON error middleware or Hummingbird itself) has this body.")
schemas["ErrorDetail"] = obj({
    "code": s("Stable, machine-readable: `bad_request`, `unauthorized`, `forbidden`, `not_found`, `method_not_allowed`, "
              "`conflict`, `payload_too_large`, `unsupported_media_type`, `unprocessable_entity`, `rate_limited`, "
              "`not_ready`, `internal_error` (a growable set; other statuses get their reason phrase in snake_case).",
              examples=["not_found"]),
    "message": s("For people."),
    "problems": arr(ref("Problem"), minItems=1,
                    description="Each invalid field with its path inside the request body; absent when there are none."),
}, required=["code", "message"])
schemas["Problem"] = obj({
    "path": s("Field path relative to the body (`layers[0].members[2]`)."),
    "message": s(),
})

# Incidents
schemas["Severity"] = {"type": "string", "enum": SEVERITIES}
schemas["TimelineEntry"] = obj({
    "at": DT,
    "kind": s("What happened (`incident.triggered`, `technician.paged`, `incident.acknowledged`, `note.added`, `delivery.retried`, …).",
              examples=["incident.acknowledged"]),
    "actor": s("Who did it (`technician:alice`, `ops`, `integration:nagios-core`, `engine`, …); absent for the engine's own steps."),
    "detail": {"type": "object", "additionalProperties": {"type": "string"}},
}, required=["at", "kind", "detail"])
schemas["Incident"] = obj({
    "id": UUID,
    "number": {"type": "integer", "minimum": 1, "description": "Per-tenant incident number (`#42`)."},
    "tenant_id": s(),
    "service_id": s(),
    "workflow": s("The workflow the incident follows (`incident`)."),
    "title": s(),
    "severity": ref("Severity"),
    "dedup_key": s("Present when the incident has one."),
    "state": s("A state of its workflow; the shipped `incident` workflow has `triggered`, `escalating`, `acknowledged`, `resolved`.",
               examples=["escalating"]),
    "open": {"type": "boolean"},
    "alert_count": {"type": "integer", "minimum": 0},
    "last_alert_at": DT,
    "layer": {"type": "integer", "minimum": 0, "description": "Escalation layer paged last (0: none yet)."},
    "round": {"type": "integer", "minimum": 0},
    "escalation_exhausted": {"type": "boolean"},
    "assigned_to": s("The technician a reassignment handed it to (until escalation pages a layer again)."),
    "escalation_policy": s("The escalation policy a reassignment moved it to (absent: the service's own)."),
    "created_at": DT,
    "updated_at": DT,
    "acknowledged_at": DT,
    "acknowledged_by": s(),
    "resolved_at": DT,
    "resolved_by": s(),
    "version": {"type": "integer"},
    "source": s("Where the alert came from (`nagios`, `defend`, `api`, …). Only in `GET /api/incidents/{id}`."),
    "description": s("Only in `GET /api/incidents/{id}`."),
    "device": s("Only in `GET /api/incidents/{id}`."),
    "links": arr({"type": "object", "additionalProperties": {"type": "string"},
                  "properties": {"url": {"type": "string"}, "text": {"type": "string"}}},
                 description="Only in `GET /api/incidents/{id}`."),
    "details": {"type": "object", "additionalProperties": {"type": "string"}, "description": "Only in `GET /api/incidents/{id}`."},
    "psa_ticket_id": s("The PSA ticket opened on acknowledgement (docs/psa.md), once the PSA made it. Only in `GET /api/incidents/{id}`."),
    "timeline": arr(ref("TimelineEntry"), description="Only in `GET /api/incidents/{id}`, oldest first."),
}, required=["id", "number", "tenant_id", "service_id", "workflow", "title", "severity", "state", "open", "alert_count",
             "last_alert_at", "layer", "round", "escalation_exhausted", "created_at", "updated_at", "version"],
    description="An incident. Optional fields are left out when they have no value (never `null`).")
schemas["IncidentPage"] = obj({
    "incidents": arr(ref("Incident"), description="Newest first, without timelines."),
    "next_cursor": nullable("string", pattern="^n-?[0-9]+$", description="Pass as `cursor` for the next page; `null` on the last page."),
})
schemas["TriggerResult"] = obj({
    "incident": ref("Incident"),
    "deduplicated": {"type": "boolean", "description": "`true` (status 200) when the trigger folded into an open incident with the same dedup key."},
})
schemas["TriggerRequest"] = obj({
    "service": s("Id of one of the tenant's services.", minLength=1),
    "title": s(minLength=1),
    "severity": {"type": "string", "enum": SEVERITIES, "default": "medium", "description": "Case-insensitive."},
    "dedup_key": s(),
}, required=["service", "title"])
schemas["EscalateRequest"] = obj({"layer": {"type": "integer", "minimum": 1}})
schemas["SnoozeRequest"] = obj({"duration": {**DURATION, "description": "How long to stay quiet (`30m`, `4h`), more than 0 and at most 7 days."}})
schemas["NoteRequest"] = obj({"text": s(minLength=1)})
schemas["ReassignRequest"] = {
    "type": "object",
    "description": "Exactly one of `technician` and `policy` (an empty string counts as absent).",
    "properties": {"technician": s("A technician id: paged now.", minLength=1),
                   "policy": s("An escalation policy id: takes over from its layer 1.", minLength=1)},
    "oneOf": [{"required": ["technician"]}, {"required": ["policy"]}],
}
schemas["AckLinkConfirm"] = obj({
    "action": {"const": "confirm"},
    "method": {"const": "POST"},
    "incident": ref("Incident"),
}, description="`GET /ack/{token}` with `Accept: application/json`: what POST would acknowledge.")
schemas["AckLinkResult"] = obj({
    "result": s("The page's heading: `Acknowledged`, `Already acknowledged`, `Not acknowledged`, `This link was already used`, "
                "`This acknowledge link does not work`, `This incident no longer exists`."),
    "message": s("Why, when there is more to say."),
    "incident": ref("Incident"),
}, required=["result"], description="An acknowledge link's outcome as JSON (not the `Error` shape, also for 404 and 409).")

# Webhooks / Defend
schemas["AlertOutcome"] = obj({
    "action": {"type": "string", "enum": ["trigger", "acknowledge", "resolve"]},
    "dedup_key": nullable("string"),
    "incident_id": {**UUID_NULL, "description": "`null` when an acknowledge or resolve matched no open incident."},
    "deduplicated": {"type": "boolean"},
    "status": {"const": "success", "description": "PagerDuty integrations only (Events API v2 compatibility)."},
    "message": {"const": "Event processed", "description": "PagerDuty integrations only."},
}, required=["action", "dedup_key", "incident_id", "deduplicated"])
schemas["AlertBatch"] = obj({"alerts": arr(ref("AlertOutcome"))},
                            description="A payload that yields several alerts, or none (`{\"alerts\":[]}`), in payload order.")
schemas["CheckIn"] = obj({
    "action": {"const": "check_in"},
    "dedup_key": s(),
    "incident_id": {**UUID_NULL, "description": "The missed-heartbeat incident this check-in resolved, if any."},
    "deduplicated": {"const": False},
    "next_due": DT,
})
schemas["WebhookAnswer"] = {"oneOf": [ref("AlertOutcome"), ref("AlertBatch"), ref("CheckIn")]}
schemas["DefendEscalation"] = obj({
    "tenant_id": s(minLength=1),
    "threat_id": s(minLength=1),
    "severity": {"type": "string", "enum": ["critical", "high", "medium", "low"], "description": "Case-insensitive; only critical and high open incidents."},
    "device_name": s(),
    "mitre_technique": {"type": ["object", "null"], "properties": {"id": s(), "name": s()}},
    "recommended_action": s(),
    "detected_at": s(),
}, required=["tenant_id", "threat_id", "severity"])
schemas["DefendAnswer"] = obj({
    "action": {"type": "string", "enum": ["trigger", "ignored"]},
    "dedup_key": nullable("string"),
    "incident_id": UUID_NULL,
    "deduplicated": {"type": "boolean"},
    "reason": s("Only with `ignored`: why no incident was opened."),
}, required=["action", "dedup_key", "incident_id", "deduplicated"])

# Health
schemas["Health"] = obj({"status": {"const": "ok"}})
schemas["Readiness"] = obj({
    "status": {"type": "string", "enum": ["ready", "unavailable"]},
    "reason": s("Why not ready (`database unreachable: …`, `migrations not applied: 3, 4`); absent when ready."),
    "error": ref("ErrorDetail"),
    "migrations": obj({"applied": arr({"type": "integer"}), "pending": arr({"type": "integer"})}),
    "integrations": arr(obj({
        "name": s(examples=["psa"]),
        "configured": {"type": "boolean"},
        "impact": s("What does not work while it is not configured; absent when configured."),
    }, required=["name", "configured"])),
}, required=["status", "integrations"])

# Configuration objects (as the configuration codec writes them: every key, `null` for absent values)
schemas["ContactMethod"] = {
    "type": "object",
    "required": ["id", "type"],
    "properties": {
        "id": s(),
        "type": {"type": "string", "enum": ["webhook", "slack", "teams", "sms", "email"]},
        "url": s("webhook, slack, teams"),
        "to": s("sms: an E.164 number"),
        "address": s("email"),
    },
    "oneOf": [{"required": ["url"]}, {"required": ["to"]}, {"required": ["address"]}],
}
schemas["NotificationRule"] = obj({"contact_method": s(), "delay": DURATION})
schemas["Technician"] = obj({
    "id": s(),
    "name": s(),
    "email": nullable("string"),
    "hub_user_id": nullable("string"),
    "role": {"type": "string", "enum": ["owner", "admin", "member"]},
    "time_zone": nullable("string"),
    "contact_methods": arr(ref("ContactMethod")),
    "notification_rules": arr(ref("NotificationRule")),
})
schemas["TechnicianInput"] = obj({
    "id": s("Generated (`tech-…`) when absent on POST; must match the path on PUT."),
    "name": s(),
    "email": nullable("string"),
    "hub_user_id": nullable("string"),
    "role": {"type": "string", "enum": ["owner", "admin", "member"], "default": "member"},
    "time_zone": nullable("string"),
    "contact_methods": arr(ref("ContactMethod")),
    "notification_rules": arr(ref("NotificationRule")),
}, required=["name"])
schemas["Rotation"] = {"oneOf": [{"type": "string", "enum": ["hourly", "daily", "weekly"]},
                                  obj({"every": DURATION})]}
schemas["Restriction"] = obj({
    "days": arr({"type": "string", "enum": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]}),
    "from": LOCAL_TIME,
    "to": LOCAL_TIME,
})
schemas["ScheduleLayer"] = obj({
    "name": s(),
    "rotation": ref("Rotation"),
    "handoff": LOCAL_DT,
    "members": arr({"type": "string"}),
    "restrictions": arr(ref("Restriction")),
})
schemas["ScheduleOverride"] = obj({"technician": s(), "start": LOCAL_DT, "end": LOCAL_DT})
schemas["Schedule"] = obj({
    "id": s(),
    "name": s(),
    "time_zone": s("IANA time zone."),
    "layers": arr(ref("ScheduleLayer")),
    "overrides": arr(ref("ScheduleOverride")),
})
schemas["ScheduleInput"] = obj({
    "id": s("Generated (`schedule-…`) when absent on POST; must match the path on PUT."),
    "name": s(),
    "time_zone": s("IANA time zone."),
    "layers": arr({**ref("ScheduleLayer"), "description": "`restrictions` may be left out."}),
    "overrides": arr(ref("ScheduleOverride")),
}, required=["name", "time_zone"])
schemas["EscalationTarget"] = {"oneOf": [obj({"technician": s()}), obj({"schedule": s()})]}
schemas["EscalationLayer"] = obj({"delay": DURATION, "targets": arr(ref("EscalationTarget"))})
schemas["EscalationPolicy"] = obj({
    "id": s(),
    "name": s(),
    "repeat": {"type": "integer", "minimum": 0, "maximum": 20},
    "layers": arr(ref("EscalationLayer")),
})
schemas["EscalationPolicyInput"] = obj({
    "id": s("Generated (`policy-…`) when absent on POST; must match the path on PUT."),
    "name": s(),
    "repeat": {"type": "integer", "minimum": 0, "maximum": 20, "default": 0},
    "layers": arr(ref("EscalationLayer")),
}, required=["name", "layers"])
schemas["MaintenanceWindow"] = obj({"start": LOCAL_DT, "end": LOCAL_DT, "time_zone": s()})
schemas["Service"] = obj({
    "id": s(),
    "name": s(),
    "escalation_policy": s(),
    "workflow": s(),
    "ack_timeout": {**DURATION, "type": ["string", "null"]},
    "auto_resolve": {**DURATION, "type": ["string", "null"]},
    "page_low_severity": {"type": "boolean"},
    "maintenance_windows": arr(ref("MaintenanceWindow")),
})
schemas["ServiceInput"] = obj({
    "id": s("Generated (`service-…`) when absent on POST; must match the path on PUT."),
    "name": s(),
    "escalation_policy": s(),
    "workflow": s("A loaded workflow.", default="incident"),
    "ack_timeout": {**DURATION, "type": ["string", "null"]},
    "auto_resolve": {**DURATION, "type": ["string", "null"]},
    "page_low_severity": {"type": "boolean", "default": False},
    "maintenance_windows": arr(ref("MaintenanceWindow")),
}, required=["name", "escalation_policy"])
INTEGRATION_TYPES = ["generic", "nagios", "icinga", "zabbix", "datadog", "pagerduty", "alertmanager", "grafana", "heartbeat", "bridge"]
schemas["IntegrationInput"] = obj({
    "id": s("Generated (`<type>-…`) when absent on POST; must match the path on PUT."),
    "type": {"type": "string", "enum": INTEGRATION_TYPES},
    "service": nullable("string", description="Required for every type but `bridge`."),
    "grouping": {"type": "string", "enum": ["per_group", "per_alert"], "description": "`alertmanager` and `grafana` only."},
    "rate_per_second": {"type": "integer", "minimum": 1, "maximum": 100000, "default": 200},
    "burst": {"type": "integer", "minimum": 1, "maximum": 1000000, "default": 2000},
    "interval": DURATION,
    "grace": DURATION,
}, required=["type"], description="A body with `key` is refused (422): keys are generated by On-Call.")
schemas["Integration"] = obj({
    "id": s(),
    "type": {"type": "string", "enum": INTEGRATION_TYPES},
    "service": nullable("string"),
    "webhook_url": s(),
    "key_hint": s("The key's last four characters."),
    "created_at": DT,
    "key_rotated_at": DT,
    "key": s("The key itself: only in the answers to create and rotate."),
}, required=["id", "type", "service", "webhook_url", "key_hint", "created_at", "key_rotated_at"],
    description="An integration as the API shows it (its options — grouping, rate, interval — are not included).")
ROUTE_SOURCES = ["defend", "rmm", "security", "backups"]
schemas["Routes"] = obj({k: nullable("string", description=f"Service receiving {k} alerts; `null`: refused.") for k in ROUTE_SOURCES},
                        description="Which service receives each product's alerts.")
schemas["RoutesInput"] = obj({k: nullable("string") for k in ROUTE_SOURCES}, required=[])
schemas["Settings"] = obj({"rmm_min_severity": ref("Severity")})
schemas["SettingsInput"] = obj({"rmm_min_severity": {"anyOf": [ref("Severity"), {"type": "null"}],
                                                    "description": "Default critical (also for `null`: PUT replaces, so left out or `null` means critical)."}},
                               required=[])
schemas["SigningSecret"] = obj({"secret": s(), "header": {"const": "X-OnCall-Signature"}})
PERMISSIONS = ["read", "respond", "configure", "manageKeys", "readBilling"]
schemas["Me"] = obj({
    "tenant_id": s(),
    "role": {"type": "string", "enum": ["responder", "manager", "owner"]},
    "permissions": arr({"type": "string", "enum": PERMISSIONS}),
    "technician": {"anyOf": [ref("Technician"), {"type": "null"}], "description": "`null` for the operator key."},
})
schemas["Activity"] = obj({
    "tenant_id": s(),
    "days": arr(obj({
        "day": s(format="date"),
        "active_technicians": {"type": "integer", "minimum": 0},
        "technicians": arr({"type": "string"}),
    })),
})

# Who is on call
schemas["Shift"] = obj({"technician": s(), "start": DT, "end": DT,
                        "source": s("`layer N (name)` or `override N`.", examples=["layer 1 (Primary)"])})
schemas["ScheduleOnCall"] = obj({
    "schedule": s(),
    "at": DT,
    "technician": nullable("string"),
    "source": nullable("string", description="What put `technician` on call."),
    "override": {"anyOf": [ref("Shift"), {"type": "null"}]},
    "layers": arr(obj({
        "index": {"type": "integer", "minimum": 1},
        "name": s(),
        "technician": nullable("string"),
        "shift": {"anyOf": [ref("Shift"), {"type": "null"}]},
    })),
})
schemas["ScheduleTimeline"] = obj({"schedule": s(), "from": DT, "to": DT, "shifts": arr(ref("Shift"))})
schemas["PolicyOnCall"] = obj({
    "at": DT,
    "escalation_policies": arr(obj({
        "escalation_policy": s(),
        "name": s(),
        "layers": arr(obj({
            "layer": {"type": "integer", "minimum": 1},
            "delay": DURATION,
            "targets": arr(obj({
                "type": {"type": "string", "enum": ["technician", "schedule"]},
                "id": s(),
                "technician": nullable("string", description="Whom the target pages at `at` (`null`: the schedule has nobody)."),
            })),
        })),
    })),
})

# Bridge and search
schemas["BridgePerson"] = obj({"id": s(), "name": s()})
schemas["BridgeIncidents"] = obj({"tenant_id": s(), "at": DT, "incidents": arr(ref("Incident"))})
schemas["BridgeSchedules"] = obj({
    "tenant_id": s(),
    "at": DT,
    "schedules": arr(obj({
        "id": s(),
        "name": s(),
        "time_zone": s(),
        "on_call": {"anyOf": [ref("BridgePerson"), {"type": "null"}]},
        "layers": arr(obj({
            "index": {"type": "integer", "minimum": 1},
            "name": s(),
            "on_call": {"anyOf": [ref("BridgePerson"), {"type": "null"}]},
            "until": DT_NULL,
        })),
    })),
})
schemas["BridgeEscalations"] = obj({
    "tenant_id": s(),
    "escalation_policies": arr({"allOf": [ref("EscalationPolicy"),
                                          obj({"services": arr({"type": "string"}, description="Services that use the policy.")})]}),
})
schemas["SearchResults"] = obj({
    "tenant_id": s(),
    "query": s(),
    "results": arr(obj({
        "kind": {"type": "string", "enum": ["incident", "service", "schedule", "technician"]},
        "id": s(),
        "title": s(),
        "detail": s(),
        "score": {"type": "number"},
    })),
})

# Ops
schemas["OutboxRow"] = obj({
    "id": {"type": "integer"},
    "incident_id": UUID,
    "channel": s(),
    "kind": s(examples=["psa.create_ticket"]),
    "status": {"type": "string", "enum": ["pending", "dead"]},
    "attempts": {"type": "integer", "minimum": 0},
    "next_attempt_at": DT,
    "last_error": nullable("string"),
    "created_at": DT,
    "locked_by": nullable("string", description="The node holding the row now."),
})
schemas["Outbox"] = obj({"outbox": arr(ref("OutboxRow"))})
schemas["Retried"] = obj({"retried": {"type": "integer", "minimum": 0}})
schemas["StuckWorkflow"] = obj({
    "incident_id": UUID,
    "number": {"type": "integer"},
    "title": s(),
    "service_id": s(),
    "state": s(),
    "reason": {"type": "string", "enum": ["timer_overdue", "delivery_retrying", "delivery_dead", "escalation_exhausted", "commands_failing"]},
    "detail": s(),
    "since": DT,
    "age_seconds": {"type": "number"},
})
schemas["StuckWorkflows"] = obj({"stuck": arr(ref("StuckWorkflow"))})
schemas["Rearmed"] = obj({"rearmed": {"type": "integer", "minimum": 0}, "incident": ref("Incident")})
schemas["ForceRequest"] = obj({"state": s("A state of the incident's workflow.", minLength=1),
                               "reason": s("Recorded in the timeline.", minLength=1)})
schemas["IntegrationHealth"] = obj({
    "name": s(),
    "configured": {"type": "boolean"},
    "last_success_at": DT_NULL,
    "last_error_at": DT_NULL,
    "last_error": nullable("string"),
    "impact": s(),
})
schemas["IntegrationsHealth"] = obj({"integrations": arr(ref("IntegrationHealth"))})
schemas["BillingReport"] = obj({
    "tenant_id": s(),
    "day": s("YYYY-MM-DD", format="date"),
    "status": {"type": "string", "enum": ["pending", "dead"]},
    "active_technicians": {"type": "integer", "minimum": 0, "description": "The count reported for that day."},
    "attempts": {"type": "integer", "minimum": 0},
    "next_attempt_at": DT,
    "last_error": nullable("string"),
}, required=["tenant_id", "day", "status", "attempts", "next_attempt_at", "last_error"])
schemas["BillingReports"] = obj({"reports": arr(ref("BillingReport"))})


def collection_list(key, item):
    return obj({key: arr(ref(item))})


schemas["TechnicianList"] = collection_list("technicians", "Technician")
schemas["ScheduleList"] = collection_list("schedules", "Schedule")
schemas["EscalationPolicyList"] = collection_list("escalation_policies", "EscalationPolicy")
schemas["ServiceList"] = collection_list("services", "Service")
schemas["IntegrationList"] = collection_list("integrations", "Integration")

# ---------------------------------------------------------------- responses
JSON_CT = "application/json"


def err_resp(description, headers=None):
    r = {"description": description, "content": {JSON_CT: {"schema": ref("Error")}}}
    if headers:
        r["headers"] = headers
    return r


responses = {
    "BadRequest": err_resp("Bad request: a malformed body or query parameter, or the operator key without `X-Tenant-Id`."),
    "Unauthorized": err_resp("No or refused credentials.", {"WWW-Authenticate": {"schema": {"type": "string"}, "description": "Bearer schemes only."}}),
    "Forbidden": err_resp("The caller's role may not do this (or the token's tenant or role is unusable)."),
    "NotFound": err_resp("Not found (another tenant's objects answer exactly like missing ones)."),
    "Conflict": err_resp("The current state forbids it."),
    "PayloadTooLarge": err_resp("The body is over the limit (1 MiB for webhooks and Defend, about 1.06 MiB elsewhere)."),
    "UnsupportedMediaType": err_resp("A content type no monitoring tool sends."),
    "Unprocessable": err_resp("The body is well-formed but invalid; `problems` lists each field when known."),
    "RateLimited": err_resp("Over the integration's rate on this node.", {"Retry-After": {"schema": {"type": "integer", "minimum": 1}, "description": "Seconds."}}),
    "ServiceUnavailable": err_resp("A dependency is unavailable (the Hub's signing keys, or the feature is not configured)."),
    "InternalError": err_resp("Unexpected error; the detail is in the server log only."),
}
RESP_BY_CODE = {400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound", 409: "Conflict", 413: "PayloadTooLarge",
                415: "UnsupportedMediaType", 422: "Unprocessable", 429: "RateLimited", 503: "ServiceUnavailable", 500: "InternalError"}


def ok(description, schema=None, content_type=JSON_CT):
    r = {"description": description}
    if schema is not None:
        r["content"] = {content_type: {"schema": schema}}
    return r


def errs(*codes, overrides=None):
    out = {}
    # Every operation may answer 400: the front door refuses a NUL character (%00) in any query string, and any text
    # that reaches the database with one (PostgreSQL cannot hold it).
    for c in sorted(set(codes) | {400, 500}):
        if overrides and c in overrides:
            out[str(c)] = overrides[c]
        else:
            out[str(c)] = {"$ref": f"#/components/responses/{RESP_BY_CODE[c]}"}
    return out


def err_override(description, headers=None):
    return err_resp(description, headers)


# ---------------------------------------------------------------- parameters
parameters = {
    "IncidentId": {"name": "id", "in": "path", "required": True, "description": "Incident id (a UUID; anything else answers 404).", "schema": UUID},
    "ObjectId": {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}},
    "TechnicianIdHeader": {"name": "X-Technician-Id", "in": "header", "required": False,
                           "description": "With the operator key: the technician the action is recorded as (`technician:<id>` instead of `ops`).",
                           "schema": {"type": "string"}},
    "InstantAt": {"name": "at", "in": "query", "required": False, "description": "ISO 8601 instant with a zone (default: now).", "schema": DT},
    "RangeFrom": {"name": "from", "in": "query", "required": False, "description": "ISO 8601 instant with a zone; before `to`, at most 366 days apart.", "schema": DT},
    "RangeTo": {"name": "to", "in": "query", "required": False, "description": "ISO 8601 instant with a zone.", "schema": DT},
}


def pref(name):
    return {"$ref": f"#/components/parameters/{name}"}


def q(name, schema, description=None, required=False):
    p = {"name": name, "in": "query", "required": required, "schema": schema}
    if description:
        p["description"] = description
    return p


def path_param(name, schema, description=None):
    p = {"name": name, "in": "path", "required": True, "schema": schema}
    if description:
        p["description"] = description
    return p


def body(schema_name_or_schema, required=True, description=None, yaml=False):
    sc = ref(schema_name_or_schema) if isinstance(schema_name_or_schema, str) else schema_name_or_schema
    b = {"required": required, "content": {JSON_CT: {"schema": sc}}}
    if yaml:
        b["content"]["application/yaml"] = {"schema": sc}
    if description:
        b["description"] = description
    return b


# security requirements
SEC_HUB = [{"HubToken": []}, {"OperatorKey": [], "TenantHeader": []}]
SEC_BRIDGE = [{"IntegrationKey": [], "TenantHeader": []}]
SEC_WEBHOOK = [{"IntegrationKey": []}, {"IntegrationKeyQuery": []}]
SEC_DEFEND = [{"ServiceKey": []}]
NONE = []

AUTH_ERRS = (400, 401, 403, 503)

paths = {}


def op(path, method, tag, summary, responses_, security=SEC_HUB, parameters_=None, request=None, description=None, op_id=None):
    o = {"tags": [tag], "summary": summary}
    if description:
        o["description"] = description
    if op_id:
        o["operationId"] = op_id
    o["security"] = security
    if parameters_:
        o["parameters"] = parameters_
    if request:
        o["requestBody"] = request
    o["responses"] = responses_
    paths.setdefault(path, {})[method] = o


# ---- Health and meta
op("/healthz", "get", "Health", "Liveness: the process answers", {"200": ok("Always, while the process runs.", ref("Health")), **errs()},
   security=NONE, op_id="getHealth")
op("/readyz", "get", "Health", "Readiness: the database answers and every migration is applied",
   {"200": ok("Ready.", ref("Readiness")),
    "503": ok("Not ready: `status` is `unavailable`, with `reason` and the same reason in `error`.", ref("Readiness")),
    **errs()}, security=NONE, op_id="getReadiness")
op("/openapi.json", "get", "Meta", "This document", {"200": ok("The OpenAPI 3.1 document.", {"type": "object"}), **errs()},
   security=NONE, op_id="getOpenAPI")
op("/metrics", "get", "Ops", "Prometheus metrics",
   {"200": ok("Prometheus text exposition format.", {"type": "string"}, "text/plain; version=0.0.4"),
    **errs(401, overrides={401: err_override("Without the operator key.")})},
   security=[{"OperatorKey": []}], description="The operator key itself (`Authorization: Bearer <OPS_API_KEY>`); no tenant needed.",
   op_id="getMetrics")
op("/ops", "get", "Ops", "Ops dashboard page",
   {"200": ok("The dashboard (HTML).", {"type": "string"}, "text/html"),
    **errs(401, overrides={401: err_override("Without the operator key.", {"WWW-Authenticate": {"schema": {"type": "string"}}})})},
   security=[{"OperatorKey": []}, {"OperatorBasic": []}],
   description="The operator key, as `Authorization: Bearer <OPS_API_KEY>` or, in a browser, Basic with any user name and the key as the password.",
   op_id="getOpsPage")

# ---- Incidents
inc_action_errs = errs(*AUTH_ERRS, 404, 409)
op("/api/incidents", "post", "Incidents", "Open an incident by hand",
   {"201": ok("Created.", ref("TriggerResult")),
    "200": ok("Folded into the open incident with the same dedup key (`deduplicated: true`).", ref("TriggerResult")),
    **errs(*AUTH_ERRS, 413, 422)},
   parameters_=[pref("TechnicianIdHeader")], request=body("TriggerRequest"),
   description="Permission `respond`. 422 when `service` or `title` is missing, `severity` is unknown, or the service does not exist; "
               "400 for a body that is not JSON of this shape.", op_id="createIncident")
op("/api/incidents", "get", "Incidents", "List incidents, newest first",
   {"200": ok("A page of incidents.", ref("IncidentPage")), **errs(*AUTH_ERRS)},
   parameters_=[
       q("state", {"type": "string"}, "Comma-separated workflow states."),
       q("open", {"type": "string", "enum": ["true", "false"]}),
       q("service", {"type": "string"}, "Comma-separated service ids."),
       q("severity", {"type": "string"}, "Comma-separated severities (critical, high, medium, low, info; case-insensitive)."),
       q("source", {"type": "string"}, "Comma-separated sources."),
       q("since", DT, "RFC 3339 instant: created at or after."),
       q("text", {"type": "string"}, "Part of the title or dedup key, or `#42`."),
       q("limit", {"type": "integer", "minimum": 1, "maximum": 200, "default": 50}),
       q("cursor", {"type": "string", "pattern": "^n-?[0-9]+$"}, "The `next_cursor` of the page before."),
   ], description="Permission `read`. 400 names the bad parameter.", op_id="listIncidents")
op("/api/incidents/{id}", "get", "Incidents", "An incident with its timeline and alert context",
   {"200": ok("The incident, with `timeline` and, when known, `source`, `description`, `device`, `links`, `details`, `psa_ticket_id`.", ref("Incident")),
    **errs(*AUTH_ERRS, 404)}, parameters_=[pref("IncidentId")], description="Permission `read`.", op_id="getIncident")
for action, summary in [("acknowledge", "Acknowledge"), ("resolve", "Resolve"), ("unacknowledge", "Unacknowledge (escalation restarts at layer 1)")]:
    op(f"/api/incidents/{{id}}/{action}", "post", "Incidents", summary,
       {"200": ok("The incident after the action (also when it was already applied).", ref("Incident")), **inc_action_errs},
       parameters_=[pref("IncidentId"), pref("TechnicianIdHeader")],
       description="Permission `respond`. 409 when the incident's state forbids it (the message names it).", op_id=f"{action}Incident")
op("/api/incidents/{id}/escalate", "post", "Incidents", "Page a layer of the policy now",
   {"200": ok("The incident.", ref("Incident")), **errs(*AUTH_ERRS, 404, 409, 413, 422)},
   parameters_=[pref("IncidentId"), pref("TechnicianIdHeader")], request=body("EscalateRequest"),
   description="Permission `respond`. 422 without a layer ≥ 1; 409 when the policy has no such layer or the state forbids it.", op_id="escalateIncident")
op("/api/incidents/{id}/snooze", "post", "Incidents", "Snooze an acknowledged incident",
   {"200": ok("The incident.", ref("Incident")), **errs(*AUTH_ERRS, 404, 409, 413, 422)},
   parameters_=[pref("IncidentId"), pref("TechnicianIdHeader")], request=body("SnoozeRequest"),
   description="Permission `respond`. 422 for a missing or out-of-range duration; 409 unless acknowledged.", op_id="snoozeIncident")
op("/api/incidents/{id}/reassign", "post", "Incidents", "Reassign to a technician or to another escalation policy",
   {"200": ok("The incident (`assigned_to` or `escalation_policy` set); also when it already had that owner.", ref("Incident")),
    **errs(*AUTH_ERRS, 404, 409, 413, 422)},
   parameters_=[pref("IncidentId"), pref("TechnicianIdHeader")], request=body("ReassignRequest"),
   description="Permission `respond`. 422 when neither or both are named, or the id does not exist in the tenant; "
               "409 when the state (or a workflow without `reassign`) forbids it.", op_id="reassignIncident")
op("/api/incidents/{id}/notes", "post", "Incidents", "Add a note",
   {"200": ok("The incident.", ref("Incident")), **errs(*AUTH_ERRS, 404, 409, 413, 422)},
   parameters_=[pref("IncidentId"), pref("TechnicianIdHeader")], request=body("NoteRequest"),
   description="Permission `respond`. 422 for an empty text.", op_id="addIncidentNote")

# ---- Ack links
token = path_param("token", {"type": "string"}, "The signed token of a page's `acknowledge_url` (valid 24 hours, once).")
html = {"type": "string"}
op("/ack/{token}", "get", "Ack links", "Show an acknowledge link's incident (a browser then posts the form)",
   {"200": {"description": "The page (submits itself in a browser), or with `Accept: application/json` what POST would do.",
            "content": {"text/html": {"schema": html}, JSON_CT: {"schema": ref("AckLinkConfirm")}}},
    "404": {"description": "Expired, altered or foreign link, or the incident no longer exists.",
            "content": {"text/html": {"schema": html}, JSON_CT: {"schema": ref("AckLinkResult")}}},
    **errs()}, security=NONE, parameters_=[token],
   description="No credentials: the token is one. Changes nothing (link previewers are harmless). `Accept: application/json` gets JSON instead of HTML.",
   op_id="showAckLink")
op("/ack/{token}", "post", "Ack links", "Acknowledge through a link, as the technician it was made for",
   {"200": {"description": "Acknowledged, or already acknowledged (nothing changes).",
            "content": {"text/html": {"schema": html}, JSON_CT: {"schema": ref("AckLinkResult")}}},
    "404": {"description": "Expired, altered or foreign link, or the incident no longer exists.",
            "content": {"text/html": {"schema": html}, JSON_CT: {"schema": ref("AckLinkResult")}}},
    "409": {"description": "The link was already used, or the incident's state refuses (resolved).",
            "content": {"text/html": {"schema": html}, JSON_CT: {"schema": ref("AckLinkResult")}}},
    **errs()}, security=NONE, parameters_=[token],
   description="Each link acknowledges once. `Accept: application/json` gets `{result, message, incident}`.", op_id="followAckLink")

# ---- Admin collections
ADMIN_BODY_DESC = ("The configuration format's object as JSON (YAML is accepted too). Unknown keys are errors; "
                   "a body that does not parse answers 422 with the problems.")
for name, noun, item, item_in, list_schema, tag in [
    ("technicians", "technician", "Technician", "TechnicianInput", "TechnicianList", "Technicians"),
    ("schedules", "schedule", "Schedule", "ScheduleInput", "ScheduleList", "Schedules"),
    ("escalation_policies", "escalation policy", "EscalationPolicy", "EscalationPolicyInput", "EscalationPolicyList", "Escalation policies"),
    ("services", "service", "Service", "ServiceInput", "ServiceList", "Services"),
]:
    camel = item
    op(f"/api/{name}", "get", tag, f"List {name.replace('_', ' ')}",
       {"200": ok(f"Every {noun} of the tenant.", ref(list_schema)), **errs(*AUTH_ERRS, 404)},
       description="Permission `read`. 404 when the tenant has no On-Call set-up yet.", op_id=f"list{camel}s")
    op(f"/api/{name}", "post", tag, f"Create a {noun}",
       {"201": ok(f"The {noun} as stored.", ref(item)), **errs(*AUTH_ERRS, 409, 413, 422)},
       request=body(item_in, description=ADMIN_BODY_DESC, yaml=True),
       description="Permission `configure`. 409 for a taken id or a change that leaves the tenant inconsistent; 422 for an invalid body.",
       op_id=f"create{camel}")
    op(f"/api/{name}/{{id}}", "get", tag, f"A {noun}",
       {"200": ok(f"The {noun}.", ref(item)), **errs(*AUTH_ERRS, 404)},
       parameters_=[pref("ObjectId")], description="Permission `read`.", op_id=f"get{camel}")
    op(f"/api/{name}/{{id}}", "put", tag, f"Replace (or create) a {noun}",
       {"200": ok("Replaced.", ref(item)), "201": ok("Created (no such id before).", ref(item)), **errs(*AUTH_ERRS, 409, 413, 422)},
       parameters_=[pref("ObjectId")], request=body(item_in, description=ADMIN_BODY_DESC, yaml=True),
       description="Permission `configure`. An `id` in the body must match the path (422).", op_id=f"replace{camel}")
    op(f"/api/{name}/{{id}}", "delete", tag, f"Delete a {noun}",
       {"204": ok("Deleted."), **errs(*AUTH_ERRS, 404, 409)},
       parameters_=[pref("ObjectId")], description="Permission `configure`. 409 when another object still refers to it.",
       op_id=f"delete{camel}")

op("/api/schedules/{id}/overrides", "post", "Schedules", "Add an override to a schedule",
   {"201": ok("The whole schedule with the new override.", ref("Schedule")), **errs(*AUTH_ERRS, 404, 409, 413, 422)},
   parameters_=[pref("ObjectId")], request=body("ScheduleOverride", yaml=True),
   description="Permission `configure`. 422 for an invalid or overlapping override.", op_id="addScheduleOverride")
op("/api/schedules/{id}/overrides/{index}", "delete", "Schedules", "Remove an override (numbered from 1)",
   {"204": ok("Removed."), **errs(*AUTH_ERRS, 404, 409)},
   parameters_=[pref("ObjectId"), path_param("index", {"type": "integer", "minimum": 1}, "Position in the schedule's `overrides`, from 1.")],
   description="Permission `configure`.", op_id="deleteScheduleOverride")
op("/api/schedules/{id}/oncall", "get", "On-call", "Who is on call in a schedule, per layer and in the end",
   {"200": ok("The answer at `at`.", ref("ScheduleOnCall")), **errs(*AUTH_ERRS, 404, 422)},
   parameters_=[pref("ObjectId"), pref("InstantAt")],
   description="Permission `read`. 400 for an `at` that is not an ISO 8601 instant with a zone; 422 when the schedule cannot be resolved.",
   op_id="getScheduleOnCall")
op("/api/schedules/{id}/timeline", "get", "On-call", "A schedule's final shifts over a range",
   {"200": ok("The shifts (default: two weeks from now).", ref("ScheduleTimeline")), **errs(*AUTH_ERRS, 404, 422)},
   parameters_=[pref("ObjectId"), pref("RangeFrom"), pref("RangeTo")],
   description="Permission `read`. 400 for a bad instant, `from` not before `to`, or more than 366 days.", op_id="getScheduleTimeline")
op("/api/oncall", "get", "On-call", "Who each escalation policy layer pages",
   {"200": ok("Per policy and layer.", ref("PolicyOnCall")), **errs(*AUTH_ERRS, 404)},
   parameters_=[pref("InstantAt"), q("escalation_policy", {"type": "string"}, "Only this policy (404 when it does not exist).")],
   description="Permission `read`.", op_id="getOnCall")
op("/api/technicians/{id}/shifts.ics", "get", "On-call", "A technician's shifts as an iCalendar feed",
   {"200": ok("iCalendar (default range: a week back, 90 days ahead).", {"type": "string"}, "text/calendar"), **errs(*AUTH_ERRS, 404)},
   parameters_=[pref("ObjectId"), pref("RangeFrom"), pref("RangeTo")],
   description="Permission `read`. 400 for a bad range.", op_id="getTechnicianShifts")

# ---- Integrations
op("/api/integrations", "get", "Integrations", "List integrations (webhook URLs and key hints, never keys)",
   {"200": ok("Every integration of the tenant.", ref("IntegrationList")), **errs(*AUTH_ERRS, 404)},
   description="Permission `read`.", op_id="listIntegrations")
op("/api/integrations", "post", "Integrations", "Create an integration (its key is shown once)",
   {"201": ok("The integration with `key`.", ref("Integration")), **errs(*AUTH_ERRS, 409, 413, 422)},
   request=body("IntegrationInput", description=ADMIN_BODY_DESC, yaml=True),
   description="Permission `manageKeys` (owner).", op_id="createIntegration")
op("/api/integrations/{id}", "get", "Integrations", "An integration",
   {"200": ok("The integration (no key).", ref("Integration")), **errs(*AUTH_ERRS, 404)},
   parameters_=[pref("ObjectId")], description="Permission `read`.", op_id="getIntegration")
op("/api/integrations/{id}", "put", "Integrations", "Replace an integration's settings (URL and key unchanged)",
   {"200": ok("The integration (no key).", ref("Integration")), **errs(*AUTH_ERRS, 404, 409, 413, 422)},
   parameters_=[pref("ObjectId")], request=body("IntegrationInput", description=ADMIN_BODY_DESC, yaml=True),
   description="Permission `configure`. Replaces the whole integration: send `type`, `service` and every option to keep.",
   op_id="replaceIntegration")
op("/api/integrations/{id}/rotate", "post", "Integrations", "Rotate an integration's key",
   {"200": ok("The integration with its new `key` (the old one is refused at once).", ref("Integration")), **errs(*AUTH_ERRS, 404, 409)},
   parameters_=[pref("ObjectId")], description="Permission `manageKeys` (owner).", op_id="rotateIntegrationKey")
op("/api/integrations/{id}", "delete", "Integrations", "Delete an integration",
   {"204": ok("Deleted."), **errs(*AUTH_ERRS, 404, 409)},
   parameters_=[pref("ObjectId")], description="Permission `configure`.", op_id="deleteIntegration")

# ---- Routes and settings
op("/api/routes", "get", "Settings", "Which service receives each product's alerts",
   {"200": ok("The routes.", ref("Routes")), **errs(*AUTH_ERRS, 404)}, description="Permission `read`.", op_id="getRoutes")
op("/api/routes", "put", "Settings", "Replace the routes",
   {"200": ok("The routes as stored.", ref("Routes")), **errs(*AUTH_ERRS, 409, 413, 422)},
   request=body("RoutesInput", yaml=True), description="Permission `configure`. A source left out or `null` is refused.", op_id="putRoutes")
op("/api/settings", "get", "Settings", "Tenant settings",
   {"200": ok("The settings.", ref("Settings")), **errs(*AUTH_ERRS, 404)}, description="Permission `read`.", op_id="getSettings")
op("/api/settings", "put", "Settings", "Replace tenant settings",
   {"200": ok("The settings as stored.", ref("Settings")), **errs(*AUTH_ERRS, 409, 413, 422)},
   request=body("SettingsInput", yaml=True), description="Permission `configure`.", op_id="putSettings")
op("/api/settings/webhook-signing-secret", "get", "Settings", "The secret of pages' `X-OnCall-Signature`",
   {"200": ok("The secret.", ref("SigningSecret")), **errs(*AUTH_ERRS)},
   description="Permission `manageKeys` (owner). Registered when the server has signing secrets (always in `oncall serve`).",
   op_id="getSigningSecret")
op("/api/settings/webhook-signing-secret/rotate", "post", "Settings", "Rotate the webhook signing secret",
   {"200": ok("The new secret, in force on every node at once.", ref("SigningSecret")), **errs(*AUTH_ERRS)},
   description="Permission `manageKeys` (owner).", op_id="rotateSigningSecret")

# ---- Account
op("/api/me", "get", "Account", "The caller: tenant, role, permissions, technician",
   {"200": ok("The caller.", ref("Me")), **errs(*AUTH_ERRS)}, description="Permission `read`.", op_id="getMe")
op("/api/activity", "get", "Account", "Active technicians per day (what the Hub bills)",
   {"200": ok("Days with activity in the range.", ref("Activity")), **errs(*AUTH_ERRS)},
   parameters_=[q("from", {"type": "string", "format": "date"}, "First day (default today, UTC)."),
                q("to", {"type": "string", "format": "date"}, "Last day (default today, UTC).")],
   description="Permission `readBilling` (owner). 400 for a date not like 2026-11-29; 503 when activity is not available.",
   op_id="getActivity")

# ---- Webhooks
webhook_id = path_param("webhook", {"type": "string"}, "The integration's webhook id (from its `webhook_url`), not its `id`.")
webhook_body = {"required": False, "description": "What the tool sends; read by the integration type's parser (JSON is detected whatever the header says).",
                "content": {JSON_CT: {"schema": {}}, "application/x-www-form-urlencoded": {"schema": {"type": "object"}},
                            "text/plain": {"schema": {"type": "string"}}}}
op("/api/webhooks/{webhook}", "post", "Webhooks", "Receive a monitoring tool's alert (or a heartbeat check-in)",
   {"202": ok("Committed: one alert's outcome, `{\"alerts\":[…]}` for several or none, or a heartbeat check-in.", ref("WebhookAnswer")),
    **errs(400, 401, 413, 415, 429, overrides={
        400: err_override("The parser cannot read the body: `<type> payload: <what and where>`."),
        401: err_override("Always `unknown integration or wrong key`, whatever was wrong (no key, unknown webhook id, wrong key, a bridge integration)."),
    })},
   security=SEC_WEBHOOK, parameters_=[webhook_id], request=webhook_body,
   description="Checks, in order: a key is present, the content type, the key, the rate, the size (1 MiB), the parser. "
               "`generic` integrations also read alert fields from the query string (`title`, `severity`, `dedup_key`, `status`, …).",
   op_id="receiveWebhook")
op("/api/webhooks/{webhook}", "get", "Webhooks", "Heartbeat check-in (a cron job's `curl URL`)",
   {"202": ok("The check-in.", ref("CheckIn")),
    **errs(401, 405, 415, 429, overrides={
        401: err_override("Always `unknown integration or wrong key`."),
        405: err_override("Not a heartbeat integration: send alerts with POST.", {"Allow": {"schema": {"const": "POST"}}}),
    })},
   security=SEC_WEBHOOK, parameters_=[webhook_id], op_id="heartbeatCheckIn")

# ---- Defend
op("/api/internal/defend/escalations", "post", "Defend", "Receive a Defend (EDR) escalation",
   {"202": ok("Critical and high open (or fold into) an incident on the tenant's `defend` route; lower severities are `ignored`.", ref("DefendAnswer")),
    **errs(401, 413, 422, overrides={
        401: err_override("Missing or wrong `X-Service-Key` (also when `DEFEND_SERVICE_KEY` is not set)."),
        422: err_override("A missing or wrong field, or a tenant without a `defend` route."),
    })},
   security=SEC_DEFEND, request=body("DefendEscalation"), op_id="receiveDefendEscalation")

# ---- Bridge and search
bridge_401 = err_override("Always `unknown tenant or wrong bridge key`, whatever was wrong.")
op("/api/bridge/incidents", "get", "Bridge", "Open incidents and those changed recently",
   {"200": ok("Newest first, without timelines.", ref("BridgeIncidents")), **errs(400, 401, overrides={401: bridge_401})},
   security=SEC_BRIDGE,
   parameters_=[q("since", DT, "RFC 3339 (default: the last 24 hours)."),
                q("limit", {"type": "integer", "minimum": 1, "maximum": 500, "default": 100})], op_id="bridgeIncidents")
op("/api/bridge/schedules", "get", "Bridge", "Who is on call now in each schedule and layer",
   {"200": ok("The schedules.", ref("BridgeSchedules")), **errs(401, overrides={401: bridge_401})}, security=SEC_BRIDGE, op_id="bridgeSchedules")
op("/api/bridge/escalations", "get", "Bridge", "Escalation policies with the services that use them",
   {"200": ok("The policies.", ref("BridgeEscalations")), **errs(401, overrides={401: bridge_401})}, security=SEC_BRIDGE, op_id="bridgeEscalations")
op("/api/search", "get", "Search", "Search incidents, services, schedules and technicians",
   {"200": ok("Best first.", ref("SearchResults")), **errs(400, 401, overrides={401: bridge_401})},
   security=SEC_BRIDGE + [{"IntegrationKey": []}],
   parameters_=[q("q", {"type": "string", "minLength": 1, "maxLength": 200}, "What to look for.", required=True),
                q("tenant_id", {"type": "string"}, "The tenant (else `X-Tenant-Id`)."),
                q("limit", {"type": "integer", "minimum": 1, "maximum": 100, "default": 20})],
   description="The bridge key is checked before the query (401 before 400).", op_id="search")

# ---- Ops
OPS_DESC = "Permission `configure`: the operator key with `X-Tenant-Id`, or a manager's or owner's Hub token."
op("/api/ops/outbox", "get", "Ops", "The tenant's outbox rows waiting or dead, oldest first",
   {"200": ok("The rows.", ref("Outbox")), **errs(*AUTH_ERRS)},
   parameters_=[q("status", {"type": "string", "enum": ["pending", "dead"]}, "Both when absent."),
                q("kind", {"type": "string"}, "e.g. `psa.create_ticket`."),
                q("limit", {"type": "integer", "minimum": 1, "maximum": 1000, "default": 200})],
   description=OPS_DESC, op_id="listOutbox")
op("/api/ops/outbox/{id}/retry", "post", "Ops", "Send a dead letter again",
   {"200": ok("`{\"retried\":1}`.", ref("Retried")), **errs(*AUTH_ERRS, 404, 409)},
   parameters_=[path_param("id", {"type": "integer"}, "Outbox row id (not a number: 404).")],
   description=OPS_DESC + " 409 when the row is not a dead letter of this tenant.", op_id="retryOutboxRow")
op("/api/ops/outbox/retry", "post", "Ops", "Send every dead letter (of a kind) again",
   {"200": ok("How many.", ref("Retried")), **errs(*AUTH_ERRS)},
   parameters_=[q("kind", {"type": "string"}, "Only this kind (every kind when absent).")], description=OPS_DESC, op_id="retryOutbox")
op("/api/ops/workflows", "get", "Ops", "Stuck workflows",
   {"200": ok("Incidents whose workflow looks stuck.", ref("StuckWorkflows")), **errs(*AUTH_ERRS)},
   parameters_=[q("limit", {"type": "integer", "minimum": 1, "maximum": 500, "default": 200})], description=OPS_DESC + " 400 for a bad limit.",
   op_id="listStuckWorkflows")
op("/api/ops/incidents/{id}/rearm", "post", "Ops", "Re-arm an incident's timers",
   {"200": ok("How many timers were re-armed, and the incident.", ref("Rearmed")), **errs(*AUTH_ERRS, 404)},
   parameters_=[pref("IncidentId")], description=OPS_DESC, op_id="rearmIncident")
op("/api/ops/incidents/{id}/force", "post", "Ops", "Force an incident into a state",
   {"200": ok("The incident in its new state.", ref("Incident")), **errs(*AUTH_ERRS, 404, 409, 413, 422)},
   parameters_=[pref("IncidentId")], request=body("ForceRequest"),
   description=OPS_DESC + " 422 for a missing `state` or `reason`, or a state the workflow does not have; 409 when the workflow refuses (a final state cannot be left).", op_id="forceIncidentState")
op("/api/ops/integrations", "get", "Ops", "Health of the peers of The One Stack",
   {"200": ok("Each peer.", ref("IntegrationsHealth")), **errs(*AUTH_ERRS)}, description=OPS_DESC, op_id="integrationHealth")
op("/api/ops/billing", "get", "Ops", "Hub Billing reports waiting or dead",
   {"200": ok("The reports.", ref("BillingReports")), **errs(*AUTH_ERRS)},
   parameters_=[q("status", {"type": "string", "enum": ["pending", "dead"]})], description=OPS_DESC, op_id="listBillingReports")
op("/api/ops/billing/retry", "post", "Ops", "Send dead Hub Billing reports again",
   {"200": ok("How many.", ref("Retried")), **errs(*AUTH_ERRS)}, description=OPS_DESC, op_id="retryBillingReports")

# ---------------------------------------------------------------- document
doc = {
    "openapi": "3.1.0",
    "info": {
        "title": "The One On-Call API",
        "version": "1.0.0",
        "description": "Incidents, paging and escalation for The One Stack. Every error answer has the body "
                       "`{\"error\":{\"code\":\"…\",\"message\":\"…\"}}` (the `Error` schema) — except acknowledge links, "
                       "which answer pages (or `AckLinkResult` JSON), and `/readyz`, whose 503 is a `Readiness`. "
                       "The tenant is always the credential's; another tenant's objects answer 404.",
    },
    "servers": [{"url": "/"}],
    "tags": [
        {"name": "Health", "description": "Liveness and readiness."},
        {"name": "Incidents", "description": "The technician API for incidents."},
        {"name": "Ack links", "description": "One-click acknowledge links carried by pages (docs/paging.md)."},
        {"name": "Technicians", "description": "Admin API (docs/config.md)."},
        {"name": "Schedules", "description": "Admin API."},
        {"name": "Escalation policies", "description": "Admin API."},
        {"name": "Services", "description": "Admin API."},
        {"name": "Integrations", "description": "Inbound doors and their keys (docs/integrations.md)."},
        {"name": "Settings", "description": "Routes, tenant settings, the webhook signing secret."},
        {"name": "On-call", "description": "Who is on call, timelines, iCalendar feeds."},
        {"name": "Account", "description": "The caller and billing activity."},
        {"name": "Webhooks", "description": "Monitoring tools' alerts and heartbeats."},
        {"name": "Defend", "description": "EDR escalations."},
        {"name": "Bridge", "description": "Read-only API for NOC walls and bots (docs/bridge.md)."},
        {"name": "Search", "description": "Search with a bridge key."},
        {"name": "Ops", "description": "Seeing and unsticking side effects (docs/ops.md)."},
        {"name": "Meta", "description": "This document."},
    ],
    "paths": paths,
    "components": {
        "securitySchemes": {
            "HubToken": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                         "description": "`Authorization: Bearer <Hub JWT>`: the token's tenant; its Hub role (owner, admin, member) gives the On-Call role (owner, manager, responder)."},
            "OperatorKey": {"type": "http", "scheme": "bearer",
                            "description": "`Authorization: Bearer <OPS_API_KEY>` together with `X-Tenant-Id`: owner rights on that tenant (recorded as `ops`, or as `X-Technician-Id`)."},
            "TenantHeader": {"type": "apiKey", "in": "header", "name": "X-Tenant-Id",
                             "description": "The tenant, with the operator key or a bridge key."},
            "IntegrationKey": {"type": "apiKey", "in": "header", "name": "X-Integration-Key",
                               "description": "An integration's key: a webhook integration's for `/api/webhooks`, a `bridge` integration's for the Bridge and Search."},
            "IntegrationKeyQuery": {"type": "apiKey", "in": "query", "name": "key",
                                    "description": "The webhook key in the URL, for tools that cannot set headers (the header wins when both are sent)."},
            "OperatorBasic": {"type": "http", "scheme": "basic",
                              "description": "The `/ops` page in a browser: any user name, `OPS_API_KEY` as the password."},
            "ServiceKey": {"type": "apiKey", "in": "header", "name": "X-Service-Key", "description": "`DEFEND_SERVICE_KEY`."},
        },
        "parameters": parameters,
        "responses": responses,
        "schemas": schemas,
    },
}

with open(OUT, "w") as f:
    json.dump(doc, f, indent=2, ensure_ascii=False)
    f.write("\n")
print("paths", len(paths), "operations", sum(len(v) for v in paths.values()))
