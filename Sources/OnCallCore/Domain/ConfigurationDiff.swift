/// One object to create, change or delete to make a tenant match its desired set-up.
public struct ConfigurationChange: Sendable, Equatable, CustomStringConvertible {
    public enum Action: String, Sendable, Equatable {
        case create, update, delete
    }

    /// The object kinds in the order they are written (deletions run in the reverse order).
    public enum Kind: String, Sendable, Equatable, CaseIterable, Comparable {
        case tenant, technician, schedule
        case escalationPolicy = "escalation_policy"
        case service, route, integration

        public static func < (lhs: Kind, rhs: Kind) -> Bool { allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)! }
    }

    public var kind: Kind
    public var id: String
    public var action: Action
    /// What changes, for people (`rotate key`, fields that differ).
    public var detail: String?

    public init(kind: Kind, id: String, action: Action, detail: String? = nil) {
        self.kind = kind
        self.id = id
        self.action = action
        self.detail = detail
    }

    public var description: String {
        "\(action.rawValue) \(kind.rawValue.replacingUnderscores) \(id)" + (detail.map { " (\($0))" } ?? "")
    }
}

/// What differs between a tenant as stored and as desired, object by object.
public enum ConfigurationDiff {
    /// Creations and updates in write order, then deletions in reverse order. Integrations compare by everything
    /// but the key (keys are compared by the store, which holds their hashes).
    public static func changes(from current: TenantConfiguration?, to desired: TenantConfiguration) -> [ConfigurationChange] {
        var changes: [ConfigurationChange] = []
        if let current {
            let differs = [current.name != desired.name ? "name" : nil, current.settings != desired.settings ? "settings" : nil].compactMap { $0 }
            if !differs.isEmpty { changes.append(.init(kind: .tenant, id: desired.id, action: .update, detail: differs.joined(separator: ", "))) }
        } else {
            changes.append(.init(kind: .tenant, id: desired.id, action: .create))
        }
        let old = current ?? TenantConfiguration(id: desired.id, name: desired.name)
        var deletions: [ConfigurationChange] = []

        func compare<T: Equatable>(_ kind: ConfigurationChange.Kind, _ before: [T], _ after: [T], id: (T) -> String, same: (T, T) -> Bool = { $0 == $1 }) {
            let existing = Dictionary(before.map { (id($0), $0) }, uniquingKeysWith: { first, _ in first })
            let wanted = Set(after.map(id))
            for item in after {
                if let was = existing[id(item)] {
                    if !same(was, item) { changes.append(.init(kind: kind, id: id(item), action: .update)) }
                } else {
                    changes.append(.init(kind: kind, id: id(item), action: .create))
                }
            }
            for item in before where !wanted.contains(id(item)) {
                deletions.append(.init(kind: kind, id: id(item), action: .delete))
            }
        }
        compare(.technician, old.technicians, desired.technicians, id: \.id)
        compare(.schedule, old.schedules, desired.schedules, id: \.id)
        compare(.escalationPolicy, old.escalationPolicies, desired.escalationPolicies, id: \.id)
        compare(.service, old.services, desired.services, id: \.id)
        let routes = { (routes: Routes) in Routes.Source.allCases.compactMap { source in routes[source].map { (source: source.rawValue, service: $0) } } }
        compare(.route, routes(old.routes).map { [$0.source, $0.service] }, routes(desired.routes).map { [$0.source, $0.service] }, id: { $0[0] })
        compare(.integration, old.integrations, desired.integrations, id: \.id, same: { var a = $0, b = $1; a.key = nil; b.key = nil; return a == b })
        return changes + deletions.reversed()
    }
}

extension String {
    var replacingUnderscores: String { String(map { $0 == "_" ? " " : $0 }) }
}
