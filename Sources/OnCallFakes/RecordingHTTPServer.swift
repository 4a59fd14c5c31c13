public import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// A real HTTP/1.1 server on a random local port that records every request and answers as told: the base
/// of every fake peer (webhook receivers, the PSA, and later the Hub, Slack, Teams, the SMS API). Answers come
/// from the queue first (to make a peer fail for a while), then from `respond` (a fake's own behaviour), then
/// the standing answer.
public final class RecordingHTTPServer: Sendable {
    public struct Received: Sendable {
        public var method: String
        public var path: String
        public var headers: [(name: String, value: String)]
        public var body: [UInt8]
        public var at: Date

        public var text: String { String(decoding: body, as: UTF8.self) }
        public func header(_ name: String) -> String? { headers.first { $0.name.lowercased() == name.lowercased() }?.value }
        public func json() -> [String: Any]? { (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] }
    }

    /// How to answer one request.
    public struct Answer: Sendable {
        public var status: Int
        public var headers: [(String, String)]
        public var body: String
        public var delay: Duration

        public init(status: Int = 200, headers: [(String, String)] = [], body: String = "{}", delay: Duration = .zero) {
            self.status = status
            self.headers = headers
            self.body = body
            self.delay = delay
        }
    }

    fileprivate struct State {
        var received: [Received] = []
        /// Answers used in order before falling back to `standing`.
        var queued: [Answer] = []
        var standing = Answer()
        var respond: (@Sendable (Received) -> Answer)?
    }

    /// The state, shared with the channel handlers.
    fileprivate final class StateBox: Sendable {
        private let mutex: Mutex<State>
        init(_ state: State) { mutex = Mutex(state) }
        func withLock<R>(_ body: (inout State) -> R) -> R { mutex.withLock { body(&$0) } }
    }

    private let state = StateBox(State())
    private let channel: any Channel
    public let port: Int

    /// - Parameter respond: how the fake answers a request the queue does not (nil: the standing answer).
    public init(port requestedPort: Int = 0, respond: (@Sendable (Received) -> Answer)? = nil) async throws {
        let box = state
        box.withLock { $0.respond = respond }
        channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(RecordingHandler(state: box))
                }
            }
            .bind(host: "127.0.0.1", port: requestedPort).get()
        port = channel.localAddress?.port ?? 0
    }

    public func url(_ path: String) -> String { "http://127.0.0.1:\(port)\(path)" }

    /// Every request so far, oldest first.
    public var received: [Received] { state.withLock { $0.received } }

    /// Requests whose path starts with `prefix`.
    public func received(path prefix: String) -> [Received] { received.filter { $0.path.hasPrefix(prefix) } }

    /// Answers the next requests with these, in order, then as before.
    public func queue(_ answers: [Answer]) { state.withLock { $0.queued.append(contentsOf: answers) } }

    /// How every request is answered once the queue is empty.
    public func answerAlways(_ answer: Answer) { state.withLock { $0.standing = answer } }

    /// Waits until `count` requests matching `prefix` arrived, or throws after `timeout`.
    @discardableResult
    public func waitFor(_ count: Int, path prefix: String = "/", timeout: Duration = .seconds(30)) async throws -> [Received] {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let matching = received(path: prefix)
            if matching.count >= count { return matching }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw FakeServerError("expected \(count) requests to \(prefix), got \(received(path: prefix).count) within \(timeout)")
    }

    public func close() async {
        try? await channel.close()
    }

    fileprivate static func take(_ state: StateBox, _ request: Received) -> Answer {
        let (queued, respond, standing) = state.withLock { state -> (Answer?, (@Sendable (Received) -> Answer)?, Answer) in
            state.received.append(request)
            return (state.queued.isEmpty ? nil : state.queued.removeFirst(), state.respond, state.standing)
        }
        if let queued { return queued }
        return respond?(request) ?? standing
    }

    private final class RecordingHandler: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart

        private let state: StateBox
        private var head: HTTPRequestHead?
        private var body: [UInt8] = []

        init(state: StateBox) {
            self.state = state
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let head):
                self.head = head
                body = []
            case .body(let buffer):
                body.append(contentsOf: buffer.readableBytesView)
            case .end:
                guard let head else { return }
                let request = Received(method: head.method.rawValue, path: head.uri, headers: head.headers.map { ($0.name, $0.value) }, body: body, at: Date())
                let answer = RecordingHTTPServer.take(state, request)
                let keepAlive = head.isKeepAlive
                let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
                let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
                let respond: @Sendable () -> Void = {
                    let context = loopBound.value
                    var headers = HTTPHeaders(answer.headers)
                    headers.replaceOrAdd(name: "Content-Length", value: String(answer.body.utf8.count))
                    headers.replaceOrAdd(name: "Content-Type", value: "application/json")
                    if !keepAlive { headers.replaceOrAdd(name: "Connection", value: "close") }
                    context.write(handler.value.wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: HTTPResponseStatus(statusCode: answer.status), headers: headers))), promise: nil)
                    context.write(handler.value.wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: answer.body)))), promise: nil)
                    context.writeAndFlush(handler.value.wrapOutboundOut(.end(nil))).whenComplete { _ in
                        if !keepAlive { loopBound.value.close(promise: nil) }
                    }
                }
                if answer.delay > .zero {
                    let nanos = answer.delay.components.seconds * 1_000_000_000 + answer.delay.components.attoseconds / 1_000_000_000
                    context.eventLoop.scheduleTask(in: .nanoseconds(nanos)) { respond() }
                } else {
                    respond()
                }
                self.head = nil
            }
        }
    }
}

public struct FakeServerError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
