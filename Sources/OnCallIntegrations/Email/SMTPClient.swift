public import Foundation
import NIOCore
import NIOExtras
import NIOPosix
import NIOSSL

/// A small SMTP client on SwiftNIO (no SMTP library is available): one message per connection, STARTTLS when
/// the server offers it (or TLS from the start for `smtps://`), AUTH PLAIN or LOGIN, and replies classified so
/// a caller knows whether trying again can help (4xx, network) or not (5xx).
public struct SMTPClient: Sendable {
    public struct Server: Sendable, Equatable {
        public var host: String
        public var port: Int
        /// TLS from the first byte (`smtps://`, port 465); otherwise STARTTLS when offered.
        public var implicitTLS: Bool
        public var username: String?
        public var password: String?
        /// PEM file of extra roots to trust (a private CA), else the system's.
        public var caFile: String?

        public init(host: String, port: Int, implicitTLS: Bool, username: String? = nil, password: String? = nil, caFile: String? = nil) {
            self.host = host
            self.port = port
            self.implicitTLS = implicitTLS
            self.username = username
            self.password = password
            self.caFile = caFile
        }

        var isLoopback: Bool { host == "127.0.0.1" || host == "::1" || host == "localhost" }
    }

    public struct Message: Sendable, Equatable {
        public var from: String
        public var to: String
        public var subject: String
        public var text: String
        /// Becomes the Message-ID (receivers can deduplicate a message sent twice).
        public var id: String

        public init(from: String, to: String, subject: String, text: String, id: String) {
            self.from = from
            self.to = to
            self.subject = subject
            self.text = text
            self.id = id
        }
    }

    public enum Failure: Error, Equatable, CustomStringConvertible {
        /// A 4xx reply or a broken connection: worth trying again.
        case transient(String)
        /// A 5xx reply or a refusal to go on (credentials without TLS): trying again cannot help.
        case permanent(String)

        public var description: String {
            switch self {
            case .transient(let text), .permanent(let text): text
            }
        }
    }

    public let server: Server
    public let timeout: Duration

    public init(server: Server, timeout: Duration = .seconds(20)) {
        self.server = server
        self.timeout = timeout
    }

    /// Sends one message; throws ``Failure``.
    public func send(_ message: Message) async throws(Failure) {
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await self.converse(message) }
                group.addTask {
                    try await Task.sleep(for: self.timeout)
                    throw Failure.transient("no answer from \(self.server.host):\(self.server.port) within \(self.timeout)")
                }
                try await group.next()
                group.cancelAll()
            }
        } catch let failure as Failure {
            throw failure
        } catch {
            throw .transient("\(server.host):\(server.port): \(error)")
        }
    }

    private func converse(_ message: Message) async throws {
        let replies = ReplyReader()
        let tls = try makeTLSContext()
        let implicitTLS = server.implicitTLS
        // SNI and name checks take a host name; an IP address goes without (the chain is still verified).
        let host: String? = server.host.contains(":") || server.host.allSatisfy({ $0.isNumber || $0 == "." }) ? nil : server.host
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(.seconds(10))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if implicitTLS { try channel.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: tls, serverHostname: host)) }
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(LineBasedFrameDecoder()))
                    try channel.pipeline.syncOperations.addHandler(replies)
                }
            }
            .connect(host: server.host, port: server.port).get()
        defer { channel.close(promise: nil) }
        let conversation = Conversation(channel: channel, replies: replies)

        try await conversation.expect(220, after: nil)
        var capabilities = try await conversation.expect(250, after: "EHLO \(Self.heloName)").lines
        var secure = implicitTLS
        if !secure && capabilities.contains(where: { $0.uppercased().hasPrefix("STARTTLS") }) {
            try await conversation.expect(220, after: "STARTTLS")
            try await channel.pipeline.addHandler(try NIOSSLClientHandler(context: tls, serverHostname: host), position: .first).get()
            secure = true
            capabilities = try await conversation.expect(250, after: "EHLO \(Self.heloName)").lines
        }
        if let username = server.username, let password = server.password {
            guard secure || server.isLoopback else {
                throw Failure.permanent("\(server.host) offers no STARTTLS: not sending credentials in the clear (use smtps:// or a server with STARTTLS)")
            }
            let auth = capabilities.first { $0.uppercased().hasPrefix("AUTH") }?.uppercased().split(separator: " ").map(String.init) ?? []
            if auth.contains("PLAIN") || !auth.contains("LOGIN") {
                let token = Data("\0\(username)\0\(password)".utf8).base64EncodedString()
                try await conversation.expect(235, after: "AUTH PLAIN \(token)", sensitive: true)
            } else {
                try await conversation.expect(334, after: "AUTH LOGIN")
                try await conversation.expect(334, after: Data(username.utf8).base64EncodedString(), sensitive: true)
                try await conversation.expect(235, after: Data(password.utf8).base64EncodedString(), sensitive: true)
            }
        }
        try await conversation.expect(250, after: "MAIL FROM:<\(Self.address(message.from))>")
        try await conversation.expect([250, 251], after: "RCPT TO:<\(Self.address(message.to))>")
        try await conversation.expect(354, after: "DATA")
        try await conversation.expect(250, after: Self.data(message) + "\r\n.")
        _ = try? await conversation.expect([221], after: "QUIT")
    }

    static let heloName = "oncall.local"

    /// The address part of `Name <address>` (or the whole text).
    static func address(_ text: String) -> String {
        if let open = text.lastIndex(of: "<"), let close = text.lastIndex(of: ">"), open < close {
            return String(text[text.index(after: open)..<close])
        }
        return text.trimmingCharacters(in: .whitespaces)
    }

    /// The message as DATA sends it: headers, a base64 UTF-8 body in 76-character lines (so no line starts with
    /// a dot and any server takes it), CRLF line ends.
    static func data(_ message: Message) -> String {
        let date = rfc5322(Date())
        let body = Data(message.text.utf8).base64EncodedString()
        let lines = stride(from: 0, to: body.count, by: 76).map { start -> String in
            let from = body.index(body.startIndex, offsetBy: start)
            return String(body[from..<(body.index(from, offsetBy: 76, limitedBy: body.endIndex) ?? body.endIndex)])
        }
        let headers = [
            "From: \(header(message.from))", "To: \(header(message.to))", "Subject: \(header(message.subject))", "Date: \(date)",
            "Message-ID: <\(message.id.filter { $0.isLetter || $0.isNumber || "-.:".contains($0) })@theoneoncall>", "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: base64", "Auto-Submitted: auto-generated",
        ]
        return (headers + [""] + lines).joined(separator: "\r\n")
    }

    /// `Sun, 29 Nov 2026 08:12:03 +0000`.
    static func rfc5322(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.weekday, .day, .month, .year, .hour, .minute, .second], from: date)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ n: Int?) -> String { let v = n ?? 0; return v < 10 ? "0\(v)" : "\(v)" }
        return "\(days[(c.weekday ?? 1) - 1]), \(two(c.day)) \(months[(c.month ?? 1) - 1]) \(c.year ?? 1970) \(two(c.hour)):\(two(c.minute)):\(two(c.second)) +0000"
    }

    /// A header value: as is when plain ASCII, else an RFC 2047 encoded word.
    static func header(_ text: String) -> String {
        let clean = text.replacingOccurrences(of: "\r", with: " ").replacingOccurrences(of: "\n", with: " ")
        if clean.unicodeScalars.allSatisfy({ $0.isASCII && $0.value >= 0x20 }) { return clean }
        return "=?UTF-8?B?\(Data(clean.utf8).base64EncodedString())?="
    }

    private func makeTLSContext() throws -> NIOSSLContext {
        var configuration = TLSConfiguration.makeClientConfiguration()
        if let caFile = server.caFile {
            configuration.trustRoots = .file(caFile)
        }
        return try NIOSSLContext(configuration: configuration)
    }
}

/// One reply: its code and its lines' texts.
struct SMTPReply: Sendable {
    var code: Int
    var lines: [String]
}

/// Sends commands and waits for each reply in turn.
struct Conversation {
    let channel: any Channel
    let replies: ReplyReader

    @discardableResult
    func expect(_ code: Int, after command: String?, sensitive: Bool = false) async throws -> SMTPReply {
        try await expect([code], after: command, sensitive: sensitive)
    }

    @discardableResult
    func expect(_ codes: [Int], after command: String?, sensitive: Bool = false) async throws -> SMTPReply {
        let reply = replies.next(on: channel.eventLoop)
        if let command { try await channel.writeAndFlush(ByteBuffer(string: command + "\r\n")).get() }
        let answer: SMTPReply
        do {
            answer = try await reply.get()
        } catch {
            throw SMTPClient.Failure.transient("connection lost: \(error)")
        }
        guard codes.contains(answer.code) else {
            let what = command.map { sensitive ? String($0.prefix { $0 != " " }) + " …" : String($0.prefix(60)) } ?? "greeting"
            let text = "\(what): \(answer.code) \(answer.lines.joined(separator: " "))"
            throw (400..<500).contains(answer.code) ? SMTPClient.Failure.transient(text) : SMTPClient.Failure.permanent(text)
        }
        return answer
    }
}

/// Gathers multi-line replies (`250-…` … `250 …`) and hands them out in order.
final class ReplyReader: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer

    // Touched only on the channel's event loop.
    private var waiting: [EventLoopPromise<SMTPReply>] = []
    private var ready: [SMTPReply] = []
    private var lines: [String] = []
    private var closed: (any Error)?

    func next(on loop: any EventLoop) -> EventLoopFuture<SMTPReply> {
        loop.flatSubmit {
            if !self.ready.isEmpty { return loop.makeSucceededFuture(self.ready.removeFirst()) }
            if let closed = self.closed { return loop.makeFailedFuture(closed) }
            let promise = loop.makePromise(of: SMTPReply.self)
            self.waiting.append(promise)
            return promise.futureResult
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        var line = buffer.readString(length: buffer.readableBytes) ?? ""
        if line.hasSuffix("\r") { line.removeLast() }
        let code = Int(line.prefix(3)) ?? 0
        let more = line.count > 3 && line[line.index(line.startIndex, offsetBy: 3)] == "-"
        lines.append(line.count > 4 ? String(line.dropFirst(4)) : "")
        guard !more else { return }
        let reply = SMTPReply(code: code, lines: lines)
        lines = []
        if waiting.isEmpty { ready.append(reply) } else { waiting.removeFirst().succeed(reply) }
    }

    func channelInactive(context: ChannelHandlerContext) {
        fail(ChannelError.eof)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(error)
        context.close(promise: nil)
    }

    private func fail(_ error: any Error) {
        closed = error
        for promise in waiting { promise.fail(error) }
        waiting = []
    }
}
