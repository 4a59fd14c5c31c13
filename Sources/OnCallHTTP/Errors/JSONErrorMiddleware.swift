public import Hummingbird
import Logging

/// Turns every error a route throws (ours, Hummingbird's, or an unexpected one) into the JSON error shape.
/// Unexpected errors answer 500 with a generic message; their detail goes to the log only.
public struct JSONErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    public init() {}

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            return error.makeResponse()
        } catch let error as HTTPError {
            let message = error.body ?? Self.defaultMessage(error.status, request)
            return APIError(error.status, message: message, headers: error.headers).makeResponse()
        } catch let error as any HTTPResponseError {
            return APIError(error.status, message: Self.defaultMessage(error.status, request)).makeResponse()
        } catch {
            context.logger.error("unexpected error", metadata: ["error": "\(String(reflecting: error))", "path": "\(request.uri.path)"])
            return APIError(.internalServerError, message: "internal error; the server log has the details").makeResponse()
        }
    }

    static func defaultMessage(_ status: HTTPResponse.Status, _ request: Request) -> String {
        switch status.code {
        case 404: "no route for \(request.method) \(request.uri.path)"
        case 413: "request body is larger than this endpoint accepts"
        default: status.reasonPhrase
        }
    }
}
