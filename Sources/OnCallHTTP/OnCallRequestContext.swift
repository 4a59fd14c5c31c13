public import Hummingbird

/// The per-request context of every On-Call route.
public struct OnCallRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
    }

    /// Webhook bodies may be up to 1 MiB; the extra leaves room for form encoding overhead.
    public var maxUploadSize: Int { 1024 * 1024 + 64 * 1024 }
}
