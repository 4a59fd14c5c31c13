/// A person who can be paged, with the ways to reach them and the order in which they are used.
public struct Technician: Sendable, Equatable {
    public var id: String
    public var name: String
    public var email: String?
    /// The Hub's user id (`sub` of the Hub's JWT); first login matches on it, then on the email.
    public var hubUserID: String?
    public var role: HubRole
    /// IANA time zone (for the technician's own views); nil: the tenant's schedules decide.
    public var timeZone: String?
    public var contactMethods: [ContactMethod]
    public var notificationRules: [NotificationRule]

    public init(
        id: String, name: String, email: String? = nil, hubUserID: String? = nil, role: HubRole = .member, timeZone: String? = nil,
        contactMethods: [ContactMethod] = [], notificationRules: [NotificationRule] = []
    ) {
        self.id = id
        self.name = name
        self.email = email
        self.hubUserID = hubUserID
        self.role = role
        self.timeZone = timeZone
        self.contactMethods = contactMethods
        self.notificationRules = notificationRules
    }
}

/// The role the Hub gives a user; it decides the On-Call role (see ``OnCallRole``).
public enum HubRole: String, Sendable, Equatable, CaseIterable, Codable {
    case owner, admin, member
}

/// A way to reach a technician.
public struct ContactMethod: Sendable, Equatable {
    public enum Kind: String, Sendable, Equatable, CaseIterable, Codable {
        case webhook, slack, teams, sms, email

        /// The key that holds the address in files and API bodies: `url`, `to` (a phone number) or `address`.
        public var addressKey: String {
            switch self {
            case .webhook, .slack, .teams: "url"
            case .sms: "to"
            case .email: "address"
            }
        }
    }

    public var id: String
    public var type: Kind
    /// URL for webhook/slack/teams, E.164 number for sms, mailbox for email.
    public var address: String

    public init(id: String, type: Kind, address: String) {
        self.id = id
        self.type = type
        self.address = address
    }
}

/// Once a technician is paged, use this contact method after this delay.
public struct NotificationRule: Sendable, Equatable {
    public var contactMethod: String
    public var delay: Duration

    public init(contactMethod: String, delay: Duration) {
        self.contactMethod = contactMethod
        self.delay = delay
    }
}
