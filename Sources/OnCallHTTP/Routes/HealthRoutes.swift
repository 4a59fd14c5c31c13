public import Hummingbird
import Foundation
public import OnCallCore
public import OnCallStore

/// `GET /healthz` (the process answers) and `GET /readyz` (the database answers and the schema is current).
public struct HealthRoutes: Sendable {
    public typealias ReadinessCheck = @Sendable () async -> Readiness

    let readiness: ReadinessCheck
    let integrations: [IntegrationStatus]

    public init(readiness: @escaping ReadinessCheck, integrations: [IntegrationStatus]) {
        self.readiness = readiness
        self.integrations = integrations
    }

    struct Health: ResponseEncodable {
        var status = "ok"
    }

    struct Ready: ResponseEncodable {
        struct Migrations: Codable {
            var applied: [Int]
            var pending: [Int]
        }
        struct Integration: Codable {
            var name: String
            var configured: Bool
            var impact: String?
        }
        var status: String
        var reason: String?
        var error: APIError.ErrorBody.Detail?
        var migrations: Migrations?
        var integrations: [Integration]
    }

    public func register(on router: Router<OnCallRequestContext>) {
        router.get("healthz") { _, _ in Health() }
        router.get("readyz") { _, _ -> Response in
            let result = await readiness()
            let body = Ready(
                status: result.ready ? "ready" : "unavailable",
                reason: result.reason,
                error: result.reason.map { .init(code: APIError.Code.notReady.rawValue, message: $0) },
                migrations: result.migrations.map { .init(applied: $0.appliedVersions, pending: $0.pending) },
                integrations: integrations.filter { $0.name != "database" }.map {
                    .init(name: $0.name, configured: $0.configured, impact: $0.configured ? nil : $0.impact)
                }
            )
            let data = try JSONEncoder.sortedKeys.encode(body)
            return Response(
                status: result.ready ? .ok : .serviceUnavailable,
                headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"],
                body: .init(byteBuffer: ByteBuffer(bytes: data))
            )
        }
    }
}
