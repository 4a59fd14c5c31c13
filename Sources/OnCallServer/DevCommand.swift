import ArgumentParser
import Foundation
import OnCallFakes

/// `oncall dev fakes`: the peers On-Call talks to, as local servers that print what they receive, for demos
/// and trying things by hand (the tests use the same fakes).
struct DevCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "dev", abstract: "Tools for development and demos.", subcommands: [Fakes.self])

    struct Fakes: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run fake peers (webhook receiver for webhook/Slack/Teams pages, PSA, Hub Billing, SMS API) until interrupted."
        )

        @Option(help: "Port of the webhook receiver (the example configuration pages http://127.0.0.1:9911/pages/…).")
        var webhooksPort = 9911
        @Option(help: "Port of the fake PSA.")
        var psaPort = 9101
        @Option(help: "Port of the fake Hub Billing.")
        var hubPort = 9102
        @Option(help: "Port of the fake SMS API.")
        var smsPort = 9103
        @Option(help: "Port of the fake SMTP server (plain text, AUTH).")
        var smtpPort = 2525

        func run() async throws {
            let receiver = try await RecordingHTTPServer(port: webhooksPort) { _ in .init(status: 200, body: #"{"ok":true}"#) }
            let psa = try await FakePSA(port: psaPort)
            let hub = try await FakeHubBilling(port: hubPort)
            let sms = try await FakeSMS(port: smsPort)
            let smtp = try await FakeSMTP(port: smtpPort)
            announce("""
                fakes running; give oncall serve:
                  PSA_API_URL=\(psa.url) PSA_SERVICE_KEY=\(psa.serviceKey)
                  HUB_API_URL=\(hub.url) HUB_SERVICE_KEY=\(hub.serviceKey)
                  SMS_API_URL=\(sms.url) SMS_ACCOUNT_SID=\(sms.accountSID) SMS_AUTH_TOKEN=\(sms.authToken) SMS_FROM=+15555550199
                  SMTP_URL=smtp://\(smtp.username):\(smtp.password)@127.0.0.1:\(smtp.port) SMTP_FROM=oncall@msp.example
                and point webhook, slack and teams contact methods at \(receiver.url("/…")) (every request is answered 200).
                """)
            let servers: [(String, RecordingHTTPServer)] = [("webhook", receiver), ("psa", psa.server), ("hub", hub.server), ("sms", sms.server)]
            var seen = Array(repeating: 0, count: servers.count)
            var mailsSeen = 0
            while !Task.isCancelled {
                let mails = smtp.mails
                for mail in mails.dropFirst(mailsSeen) {
                    announce("smtp: to \(mail.to.joined(separator: ", ")): \(mail.header("Subject") ?? "")")
                }
                mailsSeen = mails.count
                for (index, (name, server)) in servers.enumerated() {
                    let received = server.received
                    for request in received.dropFirst(seen[index]) {
                        let body = request.text.count > 300 ? String(request.text.prefix(300)) + "…" : request.text
                        announce("\(name): \(request.method) \(request.path) \(body)")
                    }
                    seen[index] = received.count
                }
                try await Task.sleep(for: .milliseconds(200))
            }
        }
    }
}
