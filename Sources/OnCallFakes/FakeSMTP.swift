public import Foundation
import NIOCore
import NIOExtras
import NIOPosix
import NIOSSL
import Synchronization

/// An SMTP server on a local port (AUTH PLAIN and LOGIN; with a certificate, STARTTLS, required before AUTH):
/// records each message, and can refuse the next ones (`refuse(code:times:)`, at MAIL FROM) to make a client
/// try again.
public final class FakeSMTP: Sendable {
    public struct Mail: Sendable, Equatable {
        public var from: String
        public var to: [String]
        /// Headers and body as sent (CRLF), dots unstuffed.
        public var data: String
        /// The user that authenticated, if any.
        public var user: String?

        /// A header's value (the first with that name).
        public func header(_ name: String) -> String? {
            for line in data.components(separatedBy: "\r\n") {
                if line.isEmpty { break }
                if line.lowercased().hasPrefix(name.lowercased() + ":") { return String(line.dropFirst(name.count + 1)).trimmingCharacters(in: .whitespaces) }
            }
            return nil
        }

        /// The body, base64 decoded when the message says so.
        public var text: String {
            guard let split = data.range(of: "\r\n\r\n") else { return "" }
            let body = String(data[split.upperBound...])
            if header("Content-Transfer-Encoding")?.lowercased() == "base64" {
                return Data(base64Encoded: body.replacingOccurrences(of: "\r\n", with: "")).map { String(decoding: $0, as: UTF8.self) } ?? body
            }
            return body
        }
    }

    final class Box: Sendable {
        struct State {
            var mails: [Mail] = []
            var refusals: [Int] = []
        }
        let mutex = Mutex(State())
    }

    private let state = Box()
    private let channel: any Channel
    public let port: Int
    public let username: String
    public let password: String

    /// - Parameter tls: PEM certificate and key files: the server then offers STARTTLS and refuses AUTH before it.
    public init(username: String = "oncall", password: String = "smtp-password", port requestedPort: Int = 0,
                tls: (certificate: String, key: String)? = nil) async throws {
        let box = state
        self.username = username
        self.password = password
        let context = try tls.map { files in
            try NIOSSLContext(configuration: .makeServerConfiguration(
                certificateChain: try NIOSSLCertificate.fromPEMFile(files.certificate).map { .certificate($0) },
                privateKey: .privateKey(try NIOSSLPrivateKey(file: files.key, format: .pem))
            ))
        }
        channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(LineBasedFrameDecoder()))
                    try channel.pipeline.syncOperations.addHandler(Session(state: box, username: username, password: password, tls: context))
                }
            }
            .bind(host: "127.0.0.1", port: requestedPort).get()
        port = channel.localAddress?.port ?? 0
    }

    /// Messages accepted so far.
    public var mails: [Mail] { state.mutex.withLock { $0.mails } }

    /// Answers the next `times` MAIL FROM with `code` (421/451: try later; 550: refused).
    public func refuse(code: Int, times: Int = 1) {
        state.mutex.withLock { $0.refusals += Array(repeating: code, count: times) }
    }

    public func close() async { try? await channel.close() }

    final class Session: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer

        let state: Box
        let username: String
        let password: String
        let tls: NIOSSLContext?
        // Event-loop confined.
        var secure = false
        var from: String?
        var to: [String] = []
        var data: [String]?
        var user: String?
        var loginStep = 0
        var loginUser = ""

        init(state: Box, username: String, password: String, tls: NIOSSLContext?) {
            self.state = state
            self.username = username
            self.password = password
            self.tls = tls
        }

        func channelActive(context: ChannelHandlerContext) {
            reply(context, "220 fake.smtp ESMTP ready")
        }

        func reply(_ context: ChannelHandlerContext, _ text: String) {
            context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: text + "\r\n")), promise: nil)
        }

        func channelRead(context: ChannelHandlerContext, data incoming: NIOAny) {
            var buffer = unwrapInboundIn(incoming)
            var line = buffer.readString(length: buffer.readableBytes) ?? ""
            if line.hasSuffix("\r") { line.removeLast() }
            if var lines = data {
                if line == "." {
                    let mail = Mail(from: from ?? "", to: to, data: lines.joined(separator: "\r\n"), user: user)
                    state.mutex.withLock { $0.mails.append(mail) }
                    data = nil
                    from = nil
                    to = []
                    reply(context, "250 2.0.0 queued as \(mail.data.count)")
                } else {
                    lines.append(line.hasPrefix("..") ? String(line.dropFirst()) : line)
                    data = lines
                }
                return
            }
            if loginStep == 1 {
                loginUser = Data(base64Encoded: line).map { String(decoding: $0, as: UTF8.self) } ?? ""
                loginStep = 2
                reply(context, "334 UGFzc3dvcmQ6")
                return
            }
            if loginStep == 2 {
                loginStep = 0
                let pass = Data(base64Encoded: line).map { String(decoding: $0, as: UTF8.self) } ?? ""
                authenticate(context, loginUser, pass)
                return
            }
            let upper = line.uppercased()
            if upper.hasPrefix("EHLO") || upper.hasPrefix("HELO") {
                reply(context, "250-fake.smtp\r\n" + (tls != nil && !secure ? "250-STARTTLS\r\n" : "") + "250-AUTH PLAIN LOGIN\r\n250 8BITMIME")
            } else if upper == "STARTTLS", let tls, !secure {
                reply(context, "220 2.0.0 ready to start TLS")
                // The reply has gone down the pipeline; what the client sends next is the TLS handshake.
                try? context.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls), position: .first)
                secure = true
            } else if upper.hasPrefix("AUTH"), tls != nil, !secure {
                reply(context, "530 5.7.0 must issue a STARTTLS command first")
            } else if upper.hasPrefix("AUTH PLAIN ") {
                let parts = (Data(base64Encoded: String(line.dropFirst(11))) ?? Data()).split(separator: 0, omittingEmptySubsequences: false)
                    .map { String(decoding: $0, as: UTF8.self) }
                authenticate(context, parts.count == 3 ? parts[1] : "", parts.count == 3 ? parts[2] : "")
            } else if upper == "AUTH LOGIN" {
                loginStep = 1
                reply(context, "334 VXNlcm5hbWU6")
            } else if upper.hasPrefix("MAIL FROM:") {
                if let code = state.mutex.withLock({ $0.refusals.isEmpty ? nil : $0.refusals.removeFirst() }) {
                    reply(context, "\(code) \(code < 500 ? "4.3.0 try again later" : "5.7.1 refused")")
                    return
                }
                guard user != nil else { return reply(context, "530 5.7.0 authentication required") }
                from = Self.address(line)
                reply(context, "250 2.1.0 ok")
            } else if upper.hasPrefix("RCPT TO:") {
                guard from != nil else { return reply(context, "503 5.5.1 MAIL first") }
                to.append(Self.address(line))
                reply(context, "250 2.1.5 ok")
            } else if upper == "DATA" {
                guard !to.isEmpty else { return reply(context, "503 5.5.1 RCPT first") }
                data = []
                reply(context, "354 end with <CRLF>.<CRLF>")
            } else if upper == "QUIT" {
                context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: "221 2.0.0 bye\r\n"))).whenComplete { _ in context.close(promise: nil) }
            } else if upper == "RSET" || upper == "NOOP" {
                reply(context, "250 ok")
            } else {
                reply(context, "502 5.5.2 not implemented")
            }
        }

        func authenticate(_ context: ChannelHandlerContext, _ name: String, _ pass: String) {
            if name == username && pass == password {
                user = name
                reply(context, "235 2.7.0 authenticated")
            } else {
                reply(context, "535 5.7.8 authentication failed")
            }
        }

        static func address(_ line: String) -> String {
            guard let open = line.firstIndex(of: "<"), let close = line.lastIndex(of: ">"), open < close else { return "" }
            return String(line[line.index(after: open)..<close])
        }
    }
}
