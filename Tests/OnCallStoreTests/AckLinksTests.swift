import Foundation
import OnCallCore
import OnCallStore
import Testing

/// Acknowledge link tokens, pure: bound to one incident and technician, signed, expiring.
@Suite struct AckLinksTests {
    let links = AckLinks(secret: Array("a-cluster-secret-of-32-bytes!!!!".utf8))
    let incident = UUID(uuidString: "5f0c1e9a-4b7e-4a59-9a55-2f6c3c1d2e77")!
    let now = Timestamp(microseconds: 1_795_000_000_000_000)

    func token(technician: String = "alice", tenant: String = "acme-msp", expires: Timestamp? = nil) -> String {
        links.token(tenantID: tenant, incidentID: incident, technicianID: technician, expires: expires ?? now + .seconds(3600), nonce: "row-1")
    }

    @Test func aTokenGrantsItsIncidentAndTechnicianUntilItExpires() {
        let claims = try? links.verify(token(technician: "é.ö/ü"), now: now).get()
        #expect(claims == AckLinks.Claims(tenantID: "acme-msp", incidentID: incident, technicianID: "é.ö/ü", expires: now + .seconds(3600)))
        #expect(links.verify(token(), now: now + .seconds(3600)) == .failure(.expired))
        #expect(links.verify(token(), now: now + .seconds(3599)).map(\.technicianID) == .success("alice"))
    }

    @Test func anyChangeOrAnotherKeyBreaksIt() {
        let good = token()
        var parts = good.split(separator: ".").map(String.init)
        parts[3] = "Ym9i"  // "bob"
        #expect(links.verify(parts.joined(separator: "."), now: now) == .failure(.badSignature))
        parts = good.split(separator: ".").map(String.init)
        parts[4] = String(Int(parts[4])! + 86_400)  // a day longer
        #expect(links.verify(parts.joined(separator: "."), now: now) == .failure(.badSignature))
        let other = AckLinks(secret: Array("another-cluster-secret-32-bytes!".utf8))
        #expect(other.verify(good, now: now) == .failure(.badSignature))
        #expect(links.verify(String(good.dropLast(3)), now: now) == .failure(.badSignature))
        #expect(links.verify("v1.x.y", now: now) == .failure(.malformed))
        #expect(links.verify("", now: now) == .failure(.malformed))
        #expect(token() != links.token(tenantID: "acme-msp", incidentID: incident, technicianID: "alice", expires: now + .seconds(3600), nonce: "row-2"),
                "each page has its own link")
    }
}
