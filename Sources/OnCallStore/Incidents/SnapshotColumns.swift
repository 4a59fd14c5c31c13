import OnCallCore

/// The workflow snapshot is stored as jsonb (readable in SQL, one column to migrate), but Foundation's JSON
/// coders are slow on hot paths: PostgreSQL takes the document apart when reading (`SnapshotColumns.select`),
/// and ``encode(_:)`` writes it by hand. The shape is the one `IncidentSnapshot`'s Codable conformance gives,
/// so either side may use Codable too (tests check the two agree).
enum SnapshotColumns {
    /// Select-list entries that read the snapshot's fields as plain columns.
    static let select = """
        snapshot->>'state' AS s_state, (snapshot->>'sequence')::bigint AS s_sequence, snapshot->>'severity' AS s_severity,
        (snapshot->>'layer')::int AS s_layer, (snapshot->>'layerCovered')::bool AS s_layer_covered, (snapshot->>'round')::int AS s_round,
        (snapshot->>'exhausted')::bool AS s_exhausted, (snapshot->>'alertCount')::int AS s_alert_count,
        (snapshot->'lastAlertAt'->>'microseconds')::bigint AS s_last_alert, snapshot->>'assignee' AS s_assignee, snapshot->>'policy' AS s_policy,
        t.names AS s_timer_names, t.generations AS s_timer_generations, t.dues AS s_timer_dues
        """

    /// The lateral join that gathers the timers into three arrays (one pass over the timers object).
    static let timersJoin = """
        CROSS JOIN LATERAL (
            SELECT COALESCE(array_agg(key ORDER BY key), '{}') AS names,
                   COALESCE(array_agg((value->>'generation')::bigint ORDER BY key), '{}') AS generations,
                   COALESCE(array_agg((value->'dueAt'->>'microseconds')::bigint ORDER BY key), '{}') AS dues
            FROM jsonb_each(snapshot->'timers')
        ) AS t
        """

    static func snapshot(
        state: String, sequence: Int64, severity: String, layer: Int32, layerCovered: Bool, round: Int32, exhausted: Bool,
        alertCount: Int32, lastAlert: Int64, timerNames: [String], timerGenerations: [Int64], timerDues: [Int64],
        assignee: String? = nil, policy: String? = nil
    ) -> IncidentSnapshot {
        var snapshot = IncidentSnapshot(state: state, sequence: sequence, severity: Severity(rawValue: severity) ?? .medium, createdAt: Timestamp(microseconds: lastAlert))
        snapshot.layer = Int(layer)
        snapshot.layerCovered = layerCovered
        snapshot.round = Int(round)
        snapshot.exhausted = exhausted
        snapshot.alertCount = Int(alertCount)
        snapshot.assignee = assignee
        snapshot.policy = policy
        for (index, name) in timerNames.enumerated() where index < timerGenerations.count && index < timerDues.count {
            snapshot.timers[name] = .init(generation: timerGenerations[index], dueAt: Timestamp(microseconds: timerDues[index]))
        }
        return snapshot
    }

    /// The snapshot as JSON text, in the shape of its Codable conformance with sorted keys.
    static func encode(_ s: IncidentSnapshot) -> String {
        var out = "{\"alertCount\":\(s.alertCount)"
        if let assignee = s.assignee {
            out += ",\"assignee\":"
            JSONText.quote(assignee, into: &out)
        }
        out += ",\"exhausted\":\(s.exhausted),\"lastAlertAt\":{\"microseconds\":\(s.lastAlertAt.microseconds)}"
        out += ",\"layer\":\(s.layer),\"layerCovered\":\(s.layerCovered)"
        if let policy = s.policy {
            out += ",\"policy\":"
            JSONText.quote(policy, into: &out)
        }
        out += ",\"round\":\(s.round),\"sequence\":\(s.sequence)"
        out += ",\"severity\":\"\(s.severity.rawValue)\",\"state\":"
        JSONText.quote(s.state, into: &out)
        out += ",\"timers\":{"
        for (index, name) in s.timers.keys.sorted().enumerated() {
            let timer = s.timers[name]!
            if index > 0 { out += "," }
            JSONText.quote(name, into: &out)
            out += ":{\"dueAt\":{\"microseconds\":\(timer.dueAt.microseconds)},\"generation\":\(timer.generation)}"
        }
        return out + "}}"
    }
}
