import Foundation
import HTTPTypes
public import Hummingbird
public import OnCallCore
public import OnCallEngine
public import OnCallStore

/// What every admin route needs: the tenant store, who may do what, and whom to tell about a change.
public struct AdminContext: Sendable {
    let domain: DomainStore
    let auth: Authenticator
    /// This node's engine forgets its cached copy of a tenant after a change (other nodes within 5 s).
    let engine: IncidentEngine?
    /// Base of webhook URLs (`ONCALL_PUBLIC_URL`, else the listening address).
    let publicURL: String
    /// Loaded workflow names, so a service cannot name one that does not exist.
    let workflows: Set<String>?
    let clock: @Sendable () -> Timestamp

    public init(
        domain: DomainStore, auth: Authenticator, engine: IncidentEngine?, publicURL: String, workflows: Set<String>?,
        clock: @escaping @Sendable () -> Timestamp
    ) {
        self.domain = domain
        self.auth = auth
        self.engine = engine
        self.publicURL = publicURL
        self.workflows = workflows
        self.clock = clock
    }

    /// The caller's tenant as stored (404 when On-Call has nothing for it).
    func tenant(_ principal: Principal) async throws -> StoredTenant {
        guard let stored = try await domain.load(tenantID: principal.tenantID) else {
            throw APIError(.notFound, message: "tenant '\(principal.tenantID)' has no On-Call set-up yet")
        }
        return stored
    }

    /// Changes the caller's tenant: `change` edits the set-up (throwing an ``APIError`` to refuse), the whole tenant
    /// is validated, problems inside the edited object (`scope`, e.g. `schedules[2]`) answer 422 with paths relative
    /// to it, problems it causes elsewhere (a deleted technician still in a rotation) answer 409.
    func update(
        _ principal: Principal, rotateKeys: Set<String> = [],
        _ change: @escaping @Sendable (inout TenantConfiguration) throws -> String?
    ) async throws -> DomainStore.UpdateReport {
        let workflows = self.workflows
        let tenantID = principal.tenantID
        let report: DomainStore.UpdateReport
        do {
            report = try await domain.update(tenantID: tenantID, rotateKeys: rotateKeys) { stored in
                var configuration = stored?.configuration ?? TenantConfiguration(id: tenantID, name: tenantID)
                let scope = try change(&configuration)
                let problems = ConfigurationValidator.validate(configuration, workflows: workflows)
                guard problems.isEmpty else {
                    let inside = scope.map { problems.scoped(to: $0) } ?? []
                    if !inside.isEmpty {
                        throw APIError(
                            .unprocessableContent, message: inside.map(\.description).joined(separator: "; "),
                            problems: inside.map { ($0.path, $0.message) }
                        )
                    }
                    throw APIError(
                        .conflict, message: "the change would leave the tenant inconsistent: " + problems.map(\.description).joined(separator: "; "),
                        problems: problems.map { ($0.path, $0.message) }
                    )
                }
                return configuration
            }
        } catch let conflict as DomainStore.Conflict {
            throw APIError(.conflict, message: conflict.message)
        }
        engine?.forget(tenantID: tenantID)
        return report
    }

    /// 422 for a body that is not the object it should be, with each problem's path.
    static func invalid(_ error: InvalidConfiguration) -> APIError {
        APIError(.unprocessableContent, message: error.problems.map(\.description).joined(separator: "; "), problems: error.problems.map { ($0.path, $0.message) })
    }

    func webhookURL(_ webhookID: String) -> String { "\(publicURL)/api/webhooks/\(webhookID)" }
}

/// JSON text (from the configuration codec) as a response.
func jsonResponse(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
    Response(status: status, headers: [.contentType: "application/json; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: text)))
}

extension Request {
    /// The body as text (the configuration codec reads JSON, and YAML too).
    func bodyText(_ context: OnCallRequestContext) async throws -> String {
        let buffer = try await body.collect(upTo: context.maxUploadSize)
        return String(buffer: buffer)
    }
}

/// A new id for an object created without one: the kind's prefix and eight random characters.
func generatedID(_ prefix: String) -> String {
    let alphabet = Array("abcdefghijkmnpqrstuvwxyz23456789")
    var generator = SystemRandomNumberGenerator()
    return prefix + "-" + String((0..<8).map { _ in alphabet[Int(generator.next(upperBound: UInt64(alphabet.count)))] })
}
