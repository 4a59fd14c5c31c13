import Foundation
import OnCallCore
import OnCallIntegrations
import OnCallTesting
import Testing

/// The SMTP client against a real SMTP server on a local port (the fake).
@Suite("SMTP client")
struct SMTPClientTests {
    static func client(_ smtp: FakeSMTP, password: String? = nil) -> SMTPClient {
        SMTPClient(server: .init(host: "127.0.0.1", port: smtp.port, implicitTLS: false, username: smtp.username, password: password ?? smtp.password),
                   timeout: .seconds(5))
    }

    static let message = SMTPClient.Message(
        from: "On-Call <oncall@msp.example>", to: "alice@msp.example", subject: "[CRITICAL] #42 Disk C: voll — ünïcødé",
        text: "line one\n.starts with a dot\nAcknowledge: https://oncall.example/ack/v1.x", id: "5f0c1e9a:3:1"
    )

    @Test func aMessageArrivesWithItsHeadersAndBodyIntact() async throws {
        let smtp = try await FakeSMTP()
        try await Self.client(smtp).send(Self.message)
        let mail = try #require(smtp.mails.first)
        #expect(mail.from == "oncall@msp.example" && mail.to == ["alice@msp.example"] && mail.user == "oncall")
        #expect(mail.header("Subject") == "=?UTF-8?B?\(Data("[CRITICAL] #42 Disk C: voll — ünïcødé".utf8).base64EncodedString())?=")
        #expect(mail.header("Message-ID") == "<5f0c1e9a:3:1@theoneoncall>")
        #expect(mail.header("Date")?.hasSuffix("+0000") == true)
        #expect(mail.text == Self.message.text)
        await smtp.close()
    }

    /// STARTTLS: the server offers it and refuses AUTH before it; the client upgrades, checks the certificate
    /// against the given root, and authenticates inside TLS.
    @Test func startTLSBeforeCredentials() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("oncall-smtp-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let openssl = Process()
        openssl.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        openssl.arguments = ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
                             "-addext", "subjectAltName=DNS:localhost", "-keyout", dir + "/key.pem", "-out", dir + "/cert.pem"]
        openssl.standardError = FileHandle.nullDevice
        try openssl.run()
        openssl.waitUntilExit()
        #expect(openssl.terminationStatus == 0)
        let smtp = try await FakeSMTP(tls: (dir + "/cert.pem", dir + "/key.pem"))
        let trusted = SMTPClient(server: .init(host: "localhost", port: smtp.port, implicitTLS: false, username: smtp.username, password: smtp.password,
                                               caFile: dir + "/cert.pem"), timeout: .seconds(5))
        try await trusted.send(Self.message)
        #expect(smtp.mails.first?.user == "oncall" && smtp.mails.first?.text == Self.message.text)
        // Without the root, the certificate is not trusted: nothing is sent, not even the credentials.
        let untrusted = SMTPClient(server: .init(host: "localhost", port: smtp.port, implicitTLS: false, username: smtp.username, password: smtp.password),
                                   timeout: .seconds(5))
        await #expect(throws: SMTPClient.Failure.self) { try await untrusted.send(Self.message) }
        #expect(smtp.mails.count == 1)
        await smtp.close()
    }

    @Test func refusalsSayWhetherTryingAgainHelps() async throws {
        let smtp = try await FakeSMTP()
        smtp.refuse(code: 451)
        await #expect(throws: SMTPClient.Failure.self) { try await Self.client(smtp).send(Self.message) }
        do throws(SMTPClient.Failure) {
            try await Self.client(smtp).send(Self.message)
        } catch {
            Issue.record("the second attempt should go: \(error)")
        }
        #expect(smtp.mails.count == 1)

        smtp.refuse(code: 550)
        do throws(SMTPClient.Failure) {
            try await Self.client(smtp).send(Self.message)
            Issue.record("550 must fail")
        } catch {
            guard case .permanent(let text) = error else { Issue.record("550 is permanent: \(error)"); return }
            #expect(text.contains("550"))
        }
        do throws(SMTPClient.Failure) {
            try await Self.client(smtp, password: "wrong").send(Self.message)
            Issue.record("a wrong password must fail")
        } catch {
            guard case .permanent(let text) = error else { Issue.record("535 is permanent: \(error)"); return }
            #expect(text.contains("535") && !text.contains("wrong"), "the credentials never show: \(text)")
        }
        // Nobody listening: a network failure, worth trying again.
        let closedPort = smtp.port
        await smtp.close()
        do throws(SMTPClient.Failure) {
            try await SMTPClient(server: .init(host: "127.0.0.1", port: closedPort, implicitTLS: false), timeout: .seconds(5)).send(Self.message)
        } catch {
            guard case .transient = error else { Issue.record("a refused connection is transient: \(error)"); return }
        }
    }
}
