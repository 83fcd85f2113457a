import MosaicCore
import MosaicRouting

/// Reading the API's request bodies.
///
/// Field names are the `mosaic route` options' (snake case): see `docs/openapi.yaml`. Unknown
/// fields are ignored; a field of the wrong type or out of range is a 400 naming it.
enum RequestParsing {
    static let maxTokens = RouteRequest.maximumTokens
    /// The most tags a request may carry (`tags`, and the gateway's `X-Mosaic-Tags`).
    static let maxTags = 64

    /// `POST /v1/route`.
    static func route(_ bytes: UnsafeRawBufferPointer) throws(APIError) -> RouteRequest {
        var s = JSONScanner(bytes)
        try s.beginObject()
        var r = RouteRequest()
        var sawTimestamp = false, sawPromptTokens = false
        while let k = try s.nextKey() {
            if s.takeNull() { continue }
            if s.key(k, is: "tenant") {
                r.tenant = try s.string()
                if r.tenant.isEmpty { throw s.fail("must not be empty") }
            } else if s.key(k, is: "operation") {
                r.operation = try s.string()
            } else if s.key(k, is: "model_family") {
                r.modelFamily = try s.string()
            } else if s.key(k, is: "resource") {
                r.resource = try s.string()
            } else if s.key(k, is: "region") {
                r.region = try s.string()
            } else if s.key(k, is: "residency") {
                r.residency = try s.string()
            } else if s.key(k, is: "prompt_tokens") {
                r.promptTokens = try s.count(max: maxTokens)
                sawPromptTokens = true
            } else if s.key(k, is: "expected_output_tokens") {
                r.expectedOutputTokens = try s.count(max: maxTokens)
            } else if s.key(k, is: "compliance") {
                let names = try s.strings()
                do { r.compliance = try ComplianceSet(parsing: names) } catch { throw s.fail(error.description) }
            } else if s.key(k, is: "capabilities") {
                r.capabilities = try s.strings()
            } else if s.key(k, is: "slo_ms") {
                let v = try s.double()
                guard v > 0 else { throw s.fail("must be positive") }
                r.latencySLOMs = v
            } else if s.key(k, is: "budget") {
                r.budgetTag = try s.string()
            } else if s.key(k, is: "tags") {
                r.tags = try s.strings(limit: maxTags)
            } else if s.key(k, is: "at") {
                r.timestamp = try s.timestamp()
                sawTimestamp = true
            } else if s.key(k, is: "text") {
                r.text = try s.string(allowingNUL: true)
            } else {
                try s.skipValue()
            }
        }
        try s.end()
        if !sawTimestamp { r.timestamp = .min }
        if !sawPromptTokens, let text = r.text { r.promptTokens = RouteRequest.estimatedTokens(of: text) }
        return r
    }

    /// `POST /v1/outcome`.
    struct Outcome: Sendable {
        var decisionID = ""
        var provider = ""
        var status: RequestStatus = .ok
        var latencyMs: Double?
        var inputTokens = 0
        var outputTokens = 0
        var cachedTokens = 0
        var model: String?
        var at: Int64?
    }

    static func outcome(_ bytes: UnsafeRawBufferPointer) throws(APIError) -> Outcome {
        var s = JSONScanner(bytes)
        try s.beginObject()
        var o = Outcome()
        var sawID = false, sawProvider = false, sawStatus = false
        while let k = try s.nextKey() {
            if s.takeNull() { continue }
            if s.key(k, is: "decision_id") {
                o.decisionID = try s.string()
                sawID = true
            } else if s.key(k, is: "provider") {
                o.provider = try s.string()
                sawProvider = true
            } else if s.key(k, is: "status") {
                if s.peek() == UInt8(ascii: "\"") {
                    let text = try s.string()
                    guard let st = RequestStatus(parsing: Substring(text)) else {
                        throw s.fail("'\(text)' is not one of ok, error, timeout, rate_limited, cancelled (or an HTTP status code)")
                    }
                    o.status = st
                } else {
                    let code = try s.count(max: 599)
                    guard code >= 100, let st = RequestStatus(parsing: Substring(String(code))) else {
                        throw s.fail("\(code) is not an HTTP status code")
                    }
                    o.status = st
                }
                sawStatus = true
            } else if s.key(k, is: "latency_ms") {
                let v = try s.double()
                guard v >= 0, v < 86_400_000 else { throw s.fail("must be between 0 and 86400000") }
                o.latencyMs = v
            } else if s.key(k, is: "input_tokens") {
                o.inputTokens = try s.count(max: maxTokens)
            } else if s.key(k, is: "output_tokens") {
                o.outputTokens = try s.count(max: maxTokens)
            } else if s.key(k, is: "cached_tokens") {
                o.cachedTokens = try s.count(max: maxTokens)
            } else if s.key(k, is: "model") {
                o.model = try s.string()
            } else if s.key(k, is: "at") {
                let at = try s.timestamp()
                guard at >= Timestamp.earliestPlausible else {
                    throw s.fail("\(Timestamp.format(at)) is before \(Timestamp.format(Timestamp.earliestPlausible)); an outcome that early is a misread date")
                }
                o.at = at
            } else {
                try s.skipValue()
            }
        }
        try s.end()
        if !sawID { throw APIError.badRequest("missing required field", field: "decision_id") }
        if !sawProvider { throw APIError.badRequest("missing required field", field: "provider") }
        if !sawStatus { throw APIError.badRequest("missing required field", field: "status") }
        if o.status == .ok && o.latencyMs == nil {
            throw APIError.badRequest("required when status is ok", field: "latency_ms")
        }
        // As in a request log: the row was stored with more cached tokens than input ones.
        if let problem = RequestRecord.cachedTokensProblem(Int64(o.cachedTokens), input: Int64(o.inputTokens)) {
            throw APIError.badRequest(problem, field: "cached_tokens")
        }
        return o
    }
}
