public import Foundation
import Synchronization

/// The PSA of docs/psa.md as a real HTTP server: tickets, notes and resolutions, each call checked for
/// `X-Service-Key` and deduplicated on `Idempotency-Key` (a repeated key is answered as the first time and
/// changes nothing). Make it fail for a while with `server.queue(...)`.
public final class FakePSA: Sendable {
    public struct Ticket: Sendable, Equatable {
        public var id: String
        public var externalRef: String
        public var tenantID: String
        public var title: String
        public var notes: [String]
        public var status: String
        public var resolution: String?
    }

    struct State {
        var tickets: [Ticket] = []
        var answered: [String: RecordingHTTPServer.Answer] = [:]
        var notes = 0
        /// Answers still to hold back (the call is applied at once, the answer comes late).
        var slow: [Duration] = []
    }

    final class Box: Sendable {
        let mutex = Mutex(State())
    }

    public let server: RecordingHTTPServer
    public let serviceKey: String
    private let state: Box

    public init(serviceKey: String = "psa-service-key", port: Int = 0) async throws {
        let state = Box()
        self.state = state
        self.serviceKey = serviceKey
        server = try await RecordingHTTPServer(port: port) { request in
            Self.respond(to: request, key: serviceKey, state: state)
        }
    }

    /// `PSA_API_URL` for this fake.
    public var url: String { server.url("") }

    /// Tickets made so far, oldest first.
    public var tickets: [Ticket] { state.mutex.withLock { $0.tickets } }

    public func close() async { await server.close() }

    /// Applies the next `times` calls at once but answers each only after `delay` (to lose an answer in a crash).
    public func answerSlowly(_ delay: Duration, times: Int = 1) {
        state.mutex.withLock { $0.slow += Array(repeating: delay, count: times) }
    }

    static func respond(to request: RecordingHTTPServer.Received, key: String, state: Box) -> RecordingHTTPServer.Answer {
        guard request.header("X-Service-Key") == key else { return .init(status: 401, body: #"{"error":"wrong or missing X-Service-Key"}"#) }
        guard let idempotencyKey = request.header("Idempotency-Key"), !idempotencyKey.isEmpty else {
            return .init(status: 400, body: #"{"error":"Idempotency-Key is required"}"#)
        }
        let body = request.json() ?? [:]
        let path = request.path.split(separator: "?").first.map(String.init) ?? request.path
        let parts = path.split(separator: "/").map(String.init)
        return state.mutex.withLock { state in
            if let earlier = state.answered[idempotencyKey] { return earlier }
            let answer: RecordingHTTPServer.Answer
            switch (request.method, parts.count) {
            case ("POST", 1) where parts[0] == "tickets":
                guard let ref = body["external_ref"] as? String, let title = body["title"] as? String else {
                    return .init(status: 422, body: #"{"error":"external_ref and title are required"}"#)
                }
                if let existing = state.tickets.first(where: { $0.externalRef == ref }) {
                    answer = .init(status: 409, body: #"{"id":"\#(existing.id)","error":"a ticket with this external_ref exists"}"#)
                } else {
                    let id = "T-\(1001 + state.tickets.count)"
                    state.tickets.append(Ticket(id: id, externalRef: ref, tenantID: body["tenant_id"] as? String ?? "", title: title, notes: [], status: "open"))
                    answer = .init(status: 201, body: #"{"id":"\#(id)","status":"open"}"#)
                }
            case ("POST", 3) where parts[0] == "tickets" && parts[2] == "notes":
                guard let index = state.tickets.firstIndex(where: { $0.id == parts[1] }) else { return .init(status: 404, body: #"{"error":"no such ticket"}"#) }
                state.tickets[index].notes.append(body["text"] as? String ?? "")
                state.notes += 1
                answer = .init(status: 201, body: #"{"id":"N-\#(state.notes)"}"#)
            case ("PATCH", 2) where parts[0] == "tickets":
                guard let index = state.tickets.firstIndex(where: { $0.id == parts[1] }) else { return .init(status: 404, body: #"{"error":"no such ticket"}"#) }
                if let status = body["status"] as? String { state.tickets[index].status = status }
                if let resolution = body["resolution"] as? String { state.tickets[index].resolution = resolution }
                answer = .init(status: 200, body: #"{"id":"\#(parts[1])","status":"\#(state.tickets[index].status)"}"#)
            default:
                return .init(status: 404, body: #"{"error":"no such endpoint"}"#)
            }
            state.answered[idempotencyKey] = answer
            if !state.slow.isEmpty {
                var late = answer
                late.delay = state.slow.removeFirst()
                return late
            }
            return answer
        }
    }
}

/// Hub Billing (docs/hub.md) as a real HTTP server: usage reports, checked for `X-Service-Key`, kept once per
/// `Idempotency-Key`. Make it fail for a while with `server.queue(...)`.
public final class FakeHubBilling: Sendable {
    public struct Usage: Sendable, Equatable {
        public var tenantID: String
        public var date: String
        public var quantity: Int
    }

    final class Box: Sendable {
        let mutex = Mutex<[String: Usage]>([:])
    }

    public let server: RecordingHTTPServer
    public let serviceKey: String
    private let state: Box

    public init(serviceKey: String = "hub-service-key", port: Int = 0) async throws {
        let state = Box()
        self.state = state
        self.serviceKey = serviceKey
        server = try await RecordingHTTPServer(port: port) { request in
            guard request.header("X-Service-Key") == serviceKey else { return .init(status: 401, body: #"{"error":"wrong or missing X-Service-Key"}"#) }
            guard request.method == "POST", request.path == "/billing/usage" else { return .init(status: 404, body: #"{"error":"no such endpoint"}"#) }
            guard let key = request.header("Idempotency-Key"), let body = request.json(), let tenant = body["tenant_id"] as? String,
                  let date = body["date"] as? String, let quantity = body["quantity"] as? Int else {
                return .init(status: 422, body: #"{"error":"tenant_id, date, quantity and Idempotency-Key are required"}"#)
            }
            state.mutex.withLock { if $0[key] == nil { $0[key] = Usage(tenantID: tenant, date: date, quantity: quantity) } }
            return .init(status: 202, body: #"{"accepted":true}"#)
        }
    }

    /// `HUB_API_URL` for this fake.
    public var url: String { server.url("") }

    /// Usage kept (one per Idempotency-Key), by tenant then date.
    public var usage: [Usage] { state.mutex.withLock { Array($0.values) }.sorted { ($0.tenantID, $0.date) < ($1.tenantID, $1.date) } }

    public func close() async { await server.close() }
}

/// A Twilio-compatible SMS API as a real HTTP server: `POST /2010-04-01/Accounts/{sid}/Messages.json` with HTTP
/// Basic, a form with `To`, `From` and `Body`; answers 201 with a message `sid`. Fail it with `server.queue(...)`.
public final class FakeSMS: Sendable {
    public struct Message: Sendable, Equatable {
        public var to: String
        public var from: String
        public var body: String
    }

    final class Box: Sendable {
        let mutex = Mutex<[Message]>([])
    }

    public let server: RecordingHTTPServer
    public let accountSID: String
    public let authToken: String
    private let state: Box

    public init(accountSID: String = "AC0000000000000000000000000000test", authToken: String = "sms-auth-token", port: Int = 0) async throws {
        let state = Box()
        self.state = state
        self.accountSID = accountSID
        self.authToken = authToken
        let expected = "Basic " + Data("\(accountSID):\(authToken)".utf8).base64EncodedString()
        server = try await RecordingHTTPServer(port: port) { request in
            guard request.header("Authorization") == expected else { return .init(status: 401, body: #"{"code":20003,"message":"Authenticate"}"#) }
            guard request.method == "POST", request.path == "/2010-04-01/Accounts/\(accountSID)/Messages.json" else {
                return .init(status: 404, body: #"{"code":20404,"message":"not found"}"#)
            }
            var fields: [String: String] = [:]
            for pair in request.text.split(separator: "&") {
                let parts = pair.split(separator: "=", maxSplits: 1).map { String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String($0) }
                if parts.count == 2 { fields[parts[0]] = parts[1] }
            }
            guard let to = fields["To"], let from = fields["From"], let body = fields["Body"] else {
                return .init(status: 400, body: #"{"code":21604,"message":"To, From and Body are required"}"#)
            }
            let count = state.mutex.withLock { messages in
                messages.append(Message(to: to, from: from, body: body))
                return messages.count
            }
            return .init(status: 201, body: #"{"sid":"SM\#(String(format: "%032d", count))","status":"queued"}"#)
        }
    }

    /// `SMS_API_URL` for this fake.
    public var url: String { server.url("") }

    public var messages: [Message] { state.mutex.withLock { $0 } }

    public func close() async { await server.close() }
}
