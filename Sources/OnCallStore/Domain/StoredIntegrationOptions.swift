import Foundation
import OnCallCore

/// The `options` column of an integration: what its type needs beyond the service.
struct StoredIntegrationOptions: Decodable {
    var grouping: String?
    var rate_per_second: Int?
    var burst: Int?
    var interval_seconds: Int64?
    var grace_seconds: Int64?

    static func integration(id: String, type: String, service: String?, options: String) -> Integration {
        let stored = (try? JSONDecoder().decode(Self.self, from: Data(options.utf8)))
        return Integration(
            id: id, type: Integration.Kind(rawValue: type) ?? .generic, service: service,
            grouping: stored?.grouping.flatMap(Integration.Grouping.init(rawValue:)), ratePerSecond: stored?.rate_per_second, burst: stored?.burst,
            interval: stored?.interval_seconds.map { .seconds($0) }, grace: stored?.grace_seconds.map { .seconds($0) }
        )
    }
}
