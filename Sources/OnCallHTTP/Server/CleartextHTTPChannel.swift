public import HummingbirdCore
public import HummingbirdHTTP2
public import Logging
public import NIOCore
public import NIOHTTP2

/// One cleartext port for HTTP/1.1 and HTTP/2 with prior knowledge (h2c).
///
/// Hummingbird's `plaintextHTTP2` speaks only HTTP/2 and its `HTTP2UpgradeChannel` chooses after TLS ALPN.
/// This channel chooses after reading the first bytes: a connection that opens with the HTTP/2 connection
/// preface (`PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n`) gets Hummingbird's HTTP/2 pipeline, any other gets its HTTP/1.1
/// pipeline; the bytes already read are replayed into the chosen pipeline.
public struct CleartextHTTPChannel: ServerChildChannel {
    public typealias Negotiated = NIONegotiatedHTTPVersion<HTTP1Channel.Value, HTTP2Channel.Value>

    public struct Value: ServerChildChannelValue {
        let negotiated: EventLoopFuture<Negotiated>
        public let channel: any Channel
    }

    private let http1: HTTP1Channel
    private let http2: HTTP2Channel
    /// How long a new connection may stay silent before it is closed (slow or idle openers hold a socket).
    private let prefaceTimeout: TimeAmount

    public init(responder: @escaping HTTPChannelHandler.Responder, configuration: HTTP2ChannelConfiguration = .init(), prefaceTimeout: TimeAmount = .seconds(30)) {
        self.http1 = HTTP1Channel(responder: responder, configuration: configuration.streamConfiguration)
        self.http2 = HTTP2Channel(responder: responder, configuration: configuration)
        self.prefaceTimeout = prefaceTimeout
    }

    public func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            let promise = channel.eventLoop.makePromise(of: Negotiated.self)
            let http1 = self.http1
            let http2 = self.http2
            let sniffer = HTTPPrefaceSniffer(timeout: prefaceTimeout, promise: promise) { channel, isHTTP2 in
                if isHTTP2 {
                    return http2.setup(channel: channel, logger: logger).map { Negotiated.http2($0) }
                } else {
                    return http1.setup(channel: channel, logger: logger).map { Negotiated.http1_1($0) }
                }
            }
            try channel.pipeline.syncOperations.addHandler(sniffer)
            return Value(negotiated: promise.futureResult, channel: channel)
        }
    }

    public func handle(value: Value, logger: Logger) async {
        do {
            switch try await value.negotiated.get() {
            case .http1_1(let connection): await http1.handle(value: connection, logger: logger)
            case .http2(let connection): await http2.handle(value: connection, logger: logger)
            }
        } catch {
            logger.debug("connection closed before its protocol was known: \(error)")
        }
    }
}

extension HTTPServerBuilder {
    /// HTTP/1.1 and h2c on one cleartext port; see ``CleartextHTTPChannel``.
    public static func cleartextHTTP1AndHTTP2(configuration: HTTP2ChannelConfiguration = .init()) -> HTTPServerBuilder {
        .init { responder in CleartextHTTPChannel(responder: responder, configuration: configuration) }
    }
}
