import Foundation
import Testing
import OnCallTesting

@Suite("oncall doctor")
struct DoctorTests {
    @Test func nothingConfiguredExitsOneAndSaysWhatBreaks() async throws {
        let doctor = try ServerProcess(["doctor"])
        defer { doctor.terminate() }
        #expect(try await doctor.waitForExit() == 1)
        let text = doctor.text
        for name in ["defend", "bus", "psa", "hub_sso", "sms", "email", "hub_billing", "database"] {
            #expect(text.contains(name), "\(name) missing from:\n\(text)")
        }
        #expect(text.contains("no billable ticket, no PSA history"))
        #expect(text.contains("RMM, Security and Backups events are not being received"))
        #expect(text.contains("Defend escalations are refused"))
        #expect(text.contains("8 of 8 not configured"))
    }

    @Test func everythingConfiguredExitsZeroAndPrintsNoSecret() async throws {
        let secrets = ["defend-key-111", "bus-pass-222", "psa-key-333", "jwt-secret-444-with-at-least-32-bytes", "hub-key-555", "sms-token-777", "smtp-pass-888"]
        let doctor = try ServerProcess(["doctor"], environment: [
            "DEFEND_SERVICE_KEY": secrets[0],
            "BUS_CONNECTION_STRING": "postgres://bus:\(secrets[1])@127.0.0.1:5432/bus",
            "PSA_API_URL": "http://127.0.0.1:9000/psa", "PSA_SERVICE_KEY": secrets[2],
            "HUB_JWT_SECRET": secrets[3], "HUB_JWT_ISSUER": "https://hub.example",
            "HUB_API_URL": "http://127.0.0.1:9001", "HUB_SERVICE_KEY": secrets[4],
            "SMS_API_URL": "http://127.0.0.1:9002", "SMS_ACCOUNT_SID": "AC123", "SMS_AUTH_TOKEN": secrets[5], "SMS_FROM": "+15555550199",
            "SMTP_URL": "smtps://oncall:\(secrets[6])@smtp.example:465", "SMTP_FROM": "oncall@msp.example",
            "DATABASE_URL": "postgres://oncall:dbpass-666@127.0.0.1:5432/oncall",
        ])
        defer { doctor.terminate() }
        #expect(try await doctor.waitForExit() == 0, "\(doctor.text)")
        #expect(doctor.text.contains("all integrations configured"))
        #expect(!doctor.text.contains("NOT configured"))
        for secret in secrets + ["dbpass-666"] {
            #expect(!doctor.text.contains(secret), "\(secret) leaked")
        }
    }
}
