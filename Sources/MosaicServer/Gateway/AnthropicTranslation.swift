import Foundation
import MosaicCore
import MosaicRouting

/// Tokens an answer used, as an outcome row counts them: `input` includes the cached tokens.
struct TokenUsage: Sendable, Equatable {
    var input = 0
    var output = 0
    var cached = 0

    /// OpenAI's `usage`: `prompt_tokens` (cached included), `completion_tokens`,
    /// `prompt_tokens_details.cached_tokens`. Nil when absent or null.
    init?(openAI usage: JSONValue?) {
        guard let usage, case .object = usage else { return nil }
        input = usage["prompt_tokens"]?.intValue ?? 0
        output = usage["completion_tokens"]?.intValue ?? 0
        cached = usage["prompt_tokens_details"]?["cached_tokens"]?.intValue ?? 0
    }

    init(input: Int = 0, output: Int = 0, cached: Int = 0) {
        self.input = input
        self.output = output
        self.cached = cached
    }

    /// The counts as an outcome row holds them: each in 0...``RouteRequest/maximumTokens`` (an
    /// upstream's count outside it is not one, and counts as 0), cached at most input. The store
    /// refuses a negative count: an upstream answering `"prompt_tokens": -5` lost its attempt's
    /// row ("CHECK constraint failed: input_tokens >= 0").
    var counted: TokenUsage {
        func count(_ n: Int) -> Int { (0...RouteRequest.maximumTokens).contains(n) ? n : 0 }
        let input = count(input)
        return TokenUsage(input: input, output: count(output), cached: min(count(cached), input))
    }

    /// OpenAI's `usage` object for these counts.
    var openAI: JSONValue {
        .obj([
            "prompt_tokens": .int(input),
            "completion_tokens": .int(output),
            "total_tokens": .int(input + output),
            "prompt_tokens_details": .obj(["cached_tokens": .int(cached)]),
        ])
    }
}

/// OpenAI chat completions ⇄ Anthropic messages.
///
/// Requests: system and developer messages become `system`; tool results become `tool_result`
/// blocks in a user turn; assistant tool calls become `tool_use` blocks; consecutive turns of
/// one role are merged (Anthropic wants them alternating); `max_tokens` defaults to 4096 since
/// Anthropic requires it. Answers and stream events come back as OpenAI's, with stop reasons
/// and usage mapped (Anthropic's `input_tokens` leaves out cache reads and writes; OpenAI's
/// `prompt_tokens` counts them, so they are added).
enum AnthropicTranslation {
    static let version = "2023-06-01"
    static let defaultMaxTokens = 4096

    // MARK: - Request

    static func request(_ body: JSONValue, model: String, stream: Bool) throws(OpenAIError) -> JSONValue {
        guard let messages = body["messages"]?.arrayValue else {
            throw OpenAIError.invalid("'messages' must be an array", param: "messages")
        }
        var system: [String] = []
        var turns: [(role: String, blocks: [JSONValue])] = []
        // Consecutive messages of one role become one turn. A message with nothing in it (an
        // assistant's "" or null without tool calls) adds none: Anthropic refuses an empty turn.
        func add(_ role: String, _ blocks: [JSONValue]) {
            guard !blocks.isEmpty else { return }
            if let last = turns.last, last.role == role {
                turns[turns.count - 1].blocks.append(contentsOf: blocks)
            } else {
                turns.append((role, blocks))
            }
        }
        for (k, m) in messages.enumerated() {
            guard let role = m["role"]?.stringValue else {
                throw OpenAIError.invalid("messages[\(k)].role must be a string", param: "messages")
            }
            switch role {
            case "system", "developer":
                system.append(text(of: m["content"]))
            case "user":
                add("user", try blocks(m["content"], at: k))
            case "assistant":
                var content = m["content"].map { c -> [JSONValue] in
                    if case .string(let s) = c { return s.isEmpty ? [] : [textBlock(s)] }
                    return (c.arrayValue ?? []).compactMap { part in
                        part["type"]?.stringValue == "text" ? textBlock(part["text"]?.stringValue ?? "") : nil
                    }
                } ?? []
                for call in m["tool_calls"]?.arrayValue ?? [] {
                    let arguments = call["function"]?["arguments"]?.stringValue ?? "{}"
                    let input = (try? JSONValue.parse(Array(arguments.utf8))) ?? .object([])
                    content.append(.obj([
                        "type": .string("tool_use"),
                        "id": call["id"] ?? .string("call_\(k)"),
                        "name": call["function"]?["name"] ?? .string(""),
                        "input": input,
                    ]))
                }
                add("assistant", content)
            case "tool":
                add("user", [.obj([
                    "type": .string("tool_result"),
                    "tool_use_id": m["tool_call_id"] ?? .string(""),
                    "content": .string(text(of: m["content"])),
                ])])
            default:
                throw OpenAIError.invalid("messages[\(k)].role '\(role)' is not one of system, developer, user, assistant, tool",
                                          param: "messages")
            }
        }
        var out: [JSONValue.Member] = [
            (key: "model", value: .string(model)),
            (key: "max_tokens", value: body["max_completion_tokens"] ?? body["max_tokens"] ?? .int(defaultMaxTokens)),
        ]
        if !system.isEmpty { out.append((key: "system", value: .string(system.joined(separator: "\n\n")))) }
        out.append((key: "messages", value: .array(turns.map { t in
            .obj(["role": .string(t.role), "content": .array(t.blocks)])
        })))
        for key in ["temperature", "top_p"] { if let v = body[key], !v.isNull { out.append((key: key, value: v)) } }
        if let stop = body["stop"] {
            if case .string = stop { out.append((key: "stop_sequences", value: .array([stop]))) }
            if case .array = stop { out.append((key: "stop_sequences", value: stop)) }
        }
        if let tools = body["tools"]?.arrayValue, !tools.isEmpty {
            out.append((key: "tools", value: .array(tools.map { t in
                let f = t["function"] ?? .object([])
                var tool: [JSONValue.Member] = [(key: "name", value: f["name"] ?? .string(""))]
                if let d = f["description"] { tool.append((key: "description", value: d)) }
                tool.append((key: "input_schema", value: f["parameters"] ?? .obj(["type": .string("object")])))
                return .object(tool)
            })))
        }
        if let choice = body["tool_choice"] {
            switch choice {
            case .string("auto"): out.append((key: "tool_choice", value: .obj(["type": .string("auto")])))
            case .string("required"): out.append((key: "tool_choice", value: .obj(["type": .string("any")])))
            case .string("none"): out.append((key: "tool_choice", value: .obj(["type": .string("none")])))
            default:
                if let name = choice["function"]?["name"] {
                    out.append((key: "tool_choice", value: .obj(["type": .string("tool"), "name": name])))
                }
            }
        }
        if let user = body["user"]?.stringValue {
            out.append((key: "metadata", value: .obj(["user_id": .string(user)])))
        }
        if stream { out.append((key: "stream", value: .bool(true))) }
        return .object(out)
    }

    static func textBlock(_ s: String) -> JSONValue { .obj(["type": .string("text"), "text": .string(s)]) }

    /// A message's content as plain text (string, or the text parts of an array).
    static func text(of content: JSONValue?) -> String {
        switch content {
        case .string(let s)?: return s
        case .array(let parts)?: return parts.compactMap { $0["text"]?.stringValue }.joined(separator: "\n")
        default: return ""
        }
    }

    static func blocks(_ content: JSONValue?, at k: Int) throws(OpenAIError) -> [JSONValue] {
        switch content {
        case .string(let s)?: return [textBlock(s)]
        case .array(let parts)?:
            var out: [JSONValue] = []
            for part in parts {
                switch part["type"]?.stringValue ?? "" {
                case "text": out.append(textBlock(part["text"]?.stringValue ?? ""))
                case "image_url":
                    let url = part["image_url"]?["url"]?.stringValue ?? ""
                    if url.hasPrefix("data:"), let comma = url.firstIndex(of: ","), let semi = url.firstIndex(of: ";"), semi < comma {
                        let mediaType = String(url[url.index(url.startIndex, offsetBy: 5)..<semi])
                        out.append(.obj(["type": .string("image"), "source": .obj([
                            "type": .string("base64"), "media_type": .string(mediaType),
                            "data": .string(String(url[url.index(after: comma)...])),
                        ])]))
                    } else {
                        out.append(.obj(["type": .string("image"), "source": .obj(["type": .string("url"), "url": .string(url)])]))
                    }
                default:
                    throw OpenAIError.invalid("messages[\(k)].content: part type '\(part["type"]?.stringValue ?? "?")' cannot be sent to an Anthropic upstream",
                                              param: "messages")
                }
            }
            return out
        default:
            throw OpenAIError.invalid("messages[\(k)].content must be a string or an array of parts", param: "messages")
        }
    }

    // MARK: - Answer

    static func finishReason(_ stop: String?) -> JSONValue {
        switch stop {
        case nil: return .null
        case "max_tokens"?: return .string("length")
        case "tool_use"?: return .string("tool_calls")
        case "refusal"?: return .string("content_filter")
        default: return .string("stop")  // end_turn, stop_sequence, pause_turn
        }
    }

    /// Anthropic's `usage` as counted in rows: cache reads and writes are input tokens too.
    static func usage(_ u: JSONValue?) -> TokenUsage {
        let read = u?["cache_read_input_tokens"]?.intValue ?? 0
        let write = u?["cache_creation_input_tokens"]?.intValue ?? 0
        return TokenUsage(input: (u?["input_tokens"]?.intValue ?? 0) + read + write, output: u?["output_tokens"]?.intValue ?? 0,
                          cached: read)
    }

    /// A messages answer as a chat completion.
    static func response(_ a: JSONValue, model: String, created: Int) -> (JSONValue, TokenUsage) {
        var text = ""
        var calls: [JSONValue] = []
        for block in a["content"]?.arrayValue ?? [] {
            switch block["type"]?.stringValue ?? "" {
            case "text": text += block["text"]?.stringValue ?? ""
            case "tool_use":
                calls.append(.obj([
                    "id": block["id"] ?? .string(""),
                    "type": .string("function"),
                    "function": .obj([
                        "name": block["name"] ?? .string(""),
                        "arguments": .string((block["input"] ?? .object([])).text),
                    ]),
                ]))
            default: break
            }
        }
        var message: [JSONValue.Member] = [
            (key: "role", value: .string("assistant")),
            (key: "content", value: text.isEmpty && !calls.isEmpty ? .null : .string(text)),
        ]
        if !calls.isEmpty { message.append((key: "tool_calls", value: .array(calls))) }
        let usage = usage(a["usage"])
        let out: JSONValue = .obj([
            "id": .string("chatcmpl-" + (a["id"]?.stringValue ?? "")),
            "object": .string("chat.completion"),
            "created": .int(created),
            "model": .string(model),
            "choices": .array([.obj([
                "index": .int(0),
                "message": .object(message),
                "finish_reason": finishReason(a["stop_reason"]?.stringValue),
            ])]),
            "usage": usage.openAI,
        ])
        return (out, usage)
    }

    /// An Anthropic error body (`{"type":"error","error":{"type","message"}}`) in OpenAI's words.
    static func error(_ body: JSONValue?) -> (message: String, type: String) {
        let message = body?["error"]?["message"]?.stringValue ?? "no error message in the answer"
        let type = body?["error"]?["type"]?.stringValue ?? "api_error"
        return (message, type)
    }

    // MARK: - Stream

    /// Turns Anthropic stream events into OpenAI chunks, one event at a time.
    struct StreamTranslator {
        let model: String
        let created: Int
        let includeUsage: Bool
        var id = "chatcmpl-"
        var usage = TokenUsage()
        var finish: JSONValue = .null
        /// Content block index → tool call index (OpenAI numbers tool calls from 0).
        var toolIndex: [Int: Int] = [:]
        var finished = false

        func chunk(_ delta: JSONValue, finish: JSONValue = .null) -> JSONValue {
            .obj([
                "id": .string(id), "object": .string("chat.completion.chunk"), "created": .int(created),
                "model": .string(model),
                "choices": .array([.obj(["index": .int(0), "delta": delta, "finish_reason": finish])]),
            ])
        }

        enum Output: Equatable {
            /// An OpenAI chunk; `token` when it carries generated output (for the time to first token).
            case chunk(JSONValue, token: Bool)
            /// The final usage chunk.
            case usage(JSONValue)
            case done
            case error(message: String, type: String)
        }

        /// What one Anthropic event becomes.
        mutating func translate(_ e: JSONValue) -> [Output] {
            switch e["type"]?.stringValue ?? "" {
            case "message_start":
                if let mid = e["message"]?["id"]?.stringValue { id = "chatcmpl-" + mid }
                usage = AnthropicTranslation.usage(e["message"]?["usage"])
                return [.chunk(chunk(.obj(["role": .string("assistant"), "content": .string("")])), token: false)]
            case "content_block_start":
                guard let block = e["content_block"], block["type"]?.stringValue == "tool_use" else { return [] }
                let index = e["index"]?.intValue ?? 0
                let n = toolIndex.count
                toolIndex[index] = n
                return [.chunk(chunk(.obj(["tool_calls": .array([.obj([
                    "index": .int(n), "id": block["id"] ?? .string(""), "type": .string("function"),
                    "function": .obj(["name": block["name"] ?? .string(""), "arguments": .string("")]),
                ])])])), token: true)]
            case "content_block_delta":
                let delta = e["delta"]
                switch delta?["type"]?.stringValue ?? "" {
                case "text_delta":
                    return [.chunk(chunk(.obj(["content": delta?["text"] ?? .string("")])), token: true)]
                case "input_json_delta":
                    let n = toolIndex[e["index"]?.intValue ?? 0] ?? 0
                    return [.chunk(chunk(.obj(["tool_calls": .array([.obj([
                        "index": .int(n), "function": .obj(["arguments": delta?["partial_json"] ?? .string("")]),
                    ])])])), token: true)]
                default: return []
                }
            case "message_delta":
                finish = AnthropicTranslation.finishReason(e["delta"]?["stop_reason"]?.stringValue)
                if let out = e["usage"]?["output_tokens"]?.intValue { usage.output = out }
                if e["usage"]?["input_tokens"]?.intValue != nil {
                    // Newer servers repeat the final input counts here.
                    let u = AnthropicTranslation.usage(e["usage"])
                    usage.input = u.input
                    usage.cached = u.cached
                }
                return [.chunk(chunk(.object([]), finish: finish), token: false)]
            case "message_stop":
                finished = true
                var out: [Output] = []
                if includeUsage {
                    out.append(.usage(.obj([
                        "id": .string(id), "object": .string("chat.completion.chunk"), "created": .int(created),
                        "model": .string(model), "choices": .array([]), "usage": usage.openAI,
                    ])))
                }
                out.append(.done)
                return out
            case "error":
                let (message, type) = AnthropicTranslation.error(e)
                return [.error(message: message, type: type)]
            default:
                return []  // ping, content_block_stop
            }
        }
    }
}
