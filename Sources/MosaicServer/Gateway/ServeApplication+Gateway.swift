import Hummingbird

extension ServeApplication {
    /// The OpenAI-compatible endpoints (`mosaic serve --gateway FILE`). They answer errors in
    /// OpenAI's shape, not the routing API's `{"error", "field"}`.
    static func addGatewayRoutes(_ router: Hummingbird.Router<ServeContext>, service: RoutingService, gateway: Gateway) {
        router.post("/v1/chat/completions") { request, _ -> Response in
            await service.gatewayRequest(request, endpoint: .chat, gateway: gateway)
        }
        router.post("/v1/embeddings") { request, _ -> Response in
            await service.gatewayRequest(request, endpoint: .embeddings, gateway: gateway)
        }
        router.get("/v1/models") { request, _ -> Response in
            do throws(OpenAIError) {
                _ = try RoutingService.virtualKey(request.headers, gateway.loaded.file)
            } catch {
                gateway.answered("models", status: Int(error.status.code))
                return error.response
            }
            return service.gatewayModels(gateway)
        }
    }
}
