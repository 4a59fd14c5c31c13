public import OnCallCore

/// A service as the engine runs it: its policy with the technicians and schedules each layer pages, its
/// maintenance windows as instants, and the technicians' contact methods. Built from the tenant's set-up.
public struct ServiceContext: Sendable {
    public struct Layer: Sendable {
        public var position: Int
        public var delay: Duration
        public var targets: [Target]
    }

    /// A technician, or a schedule that says who is on call when the layer is paged.
    public enum Target: Sendable {
        case technician(String)
        case schedule(String, ScheduleResolver?)
    }

    public var tenantID: String
    public var id: String
    public var name: String
    public var workflow: String
    public var ackTimeout: Duration?
    public var autoResolve: Duration?
    public var pageLowSeverity: Bool
    public var maintenance: [PagingDecision.Window]
    public var policyID: String
    public var repeatCount: Int
    public var layers: [Layer]
    public var technicians: [String: Technician]
    /// Every escalation policy of the tenant (a reassignment may move an incident to any of them).
    public var policies: [String: Policy]

    public struct Policy: Sendable {
        public var repeatCount: Int
        public var layers: [Layer]
    }

    /// What every service of a tenant shares: its policies (layers with their schedules' resolvers) and technicians,
    /// built once per tenant (the dictionaries are shared by the services, not copied).
    struct Shared {
        var tenantID: String
        var policies: [String: Policy]
        var technicians: [String: Technician]

        init(_ tenant: TenantConfiguration) {
            var resolvers: [String: ScheduleResolver] = [:]
            for schedule in tenant.schedules { resolvers[schedule.id] = try? ScheduleResolver(schedule) }
            var policies: [String: Policy] = [:]
            for each in tenant.escalationPolicies {
                policies[each.id] = Policy(repeatCount: each.repeatCount, layers: each.layers.enumerated().map { index, layer in
                    Layer(position: index + 1, delay: layer.delay, targets: layer.targets.map { target in
                        switch target {
                        case .technician(let id): .technician(id)
                        case .schedule(let id): .schedule(id, resolvers[id])
                        }
                    })
                })
            }
            self.tenantID = tenant.id
            self.policies = policies
            self.technicians = Dictionary(tenant.technicians.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        }
    }

    /// Every service of `tenant` whose policy exists, by id.
    public static func all(of tenant: TenantConfiguration) -> [String: ServiceContext] {
        let shared = Shared(tenant)
        var services: [String: ServiceContext] = [:]
        for service in tenant.services { services[service.id] = ServiceContext(service, shared) }
        return services
    }

    /// The service `id` of `tenant`; nil when the tenant has no such service (or its policy is missing).
    public init?(tenant: TenantConfiguration, serviceID id: String) {
        guard let service = tenant.services.first(where: { $0.id == id }) else { return nil }
        self.init(service, Shared(tenant))
    }

    init?(_ service: Service, _ shared: Shared) {
        guard let policy = shared.policies[service.escalationPolicy] else { return nil }
        self.tenantID = shared.tenantID
        self.id = service.id
        self.name = service.name
        self.workflow = service.workflow
        self.ackTimeout = service.ackTimeout
        self.autoResolve = service.autoResolve
        self.pageLowSeverity = service.pageLowSeverity
        self.maintenance = service.maintenanceWindows.compactMap { window in
            (try? window.instants()).map { PagingDecision.Window(start: $0.start, end: $0.end) }
        }
        self.policies = shared.policies
        self.policyID = service.escalationPolicy
        self.repeatCount = policy.repeatCount
        self.layers = policy.layers
        self.technicians = shared.technicians
    }

    /// This service as it runs an incident that a reassignment moved to `policy` (itself when that policy is
    /// its own or no longer exists).
    public func following(policy id: String?) -> ServiceContext {
        guard let id, id != policyID, let policy = policies[id] else { return self }
        var copy = self
        copy.policyID = id
        copy.repeatCount = policy.repeatCount
        copy.layers = policy.layers
        return copy
    }

    /// Who layer `position` (1-based) pages at `now`: its technicians and whoever its schedules have on call,
    /// each once, in the order the layer lists them.
    public func onCall(layer position: Int, at now: Timestamp) -> [Technician] {
        guard position >= 1, position <= layers.count else { return [] }
        var seen: Set<String> = []
        var people: [Technician] = []
        for target in layers[position - 1].targets {
            let id: String?
            switch target {
            case .technician(let technician): id = technician
            case .schedule(_, let resolver): id = resolver?.onCall(at: now).technician
            }
            guard let id, let technician = technicians[id], seen.insert(id).inserted else { continue }
            people.append(technician)
        }
        return people
    }

    /// Whether this service pages an incident of `severity` at `now`.
    public func paging(severity: Severity, at now: Timestamp) -> PagingDecision {
        PagingDecision.decide(severity: severity, pageLowSeverity: pageLowSeverity, windows: maintenance, now: now)
    }
}
