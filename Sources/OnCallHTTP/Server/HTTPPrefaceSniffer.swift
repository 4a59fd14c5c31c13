import HummingbirdCore
import NIOCore
import NIOHTTP2

/// Buffers a connection's first bytes until they show whether it opens with the HTTP/2 preface, then has the
/// matching pipeline built behind it, replays the bytes into it and removes itself.
final class HTTPPrefaceSniffer: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias Configure = @Sendable (any Channel, _ isHTTP2: Bool) -> EventLoopFuture<CleartextHTTPChannel.Negotiated>

    static let preface: [UInt8] = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)

    private enum State {
        case waiting
        case configuring
        case done
    }

    private var state = State.waiting
    private var buffered: ByteBuffer?
    private var pendingReadComplete = false
    private var timeoutTask: Scheduled<Void>?
    private let timeout: TimeAmount
    private let promise: EventLoopPromise<CleartextHTTPChannel.Negotiated>
    private let configure: Configure

    init(timeout: TimeAmount, promise: EventLoopPromise<CleartextHTTPChannel.Negotiated>, configure: @escaping Configure) {
        self.timeout = timeout
        self.promise = promise
        self.configure = configure
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let channel = context.channel
        timeoutTask = context.eventLoop.scheduleTask(in: timeout) { channel.close(promise: nil) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timeoutTask?.cancel()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        if buffered == nil { buffered = bytes } else { buffered!.writeBuffer(&bytes) }
        guard case .waiting = state, let buffer = buffered else { return }

        let seen = buffer.readableBytesView.prefix(Self.preface.count)
        let isPrefix = seen.elementsEqual(Self.preface.prefix(seen.count))
        if isPrefix && seen.count < Self.preface.count { return }  // could still be HTTP/2: wait for more
        decide(context: context, isHTTP2: isPrefix)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if case .done = state { context.fireChannelReadComplete() } else { pendingReadComplete = true }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if case .waiting = state {
            state = .done
            promise.fail(ChannelError.eof)
        }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if case .waiting = state {
            state = .done
            promise.fail(error)
            context.close(promise: nil)
        } else {
            context.fireErrorCaught(error)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        // Server shutting down while the connection has said nothing yet: nothing to drain, close it.
        if case .waiting = state, event is ChannelShouldQuiesceEvent {
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    private func decide(context: ChannelHandlerContext, isHTTP2: Bool) {
        state = .configuring
        timeoutTask?.cancel()
        timeoutTask = nil
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        configure(context.channel, isHTTP2).hop(to: context.eventLoop).whenComplete { result in
            let (sniffer, context) = loopBound.value
            switch result {
            case .success(let negotiated):
                sniffer.state = .done
                sniffer.promise.succeed(negotiated)
                if let bytes = sniffer.buffered {
                    sniffer.buffered = nil
                    context.fireChannelRead(sniffer.wrapInboundOut(bytes))
                }
                if sniffer.pendingReadComplete { context.fireChannelReadComplete() }
                context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
            case .failure(let error):
                sniffer.state = .done
                sniffer.promise.fail(error)
                context.close(promise: nil)
            }
        }
    }
}
