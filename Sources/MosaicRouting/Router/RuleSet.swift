import MosaicCore

/// The policy's rules compiled for the hot path: every condition is a plain record and every
/// glob pattern lives in one byte arena, so finding the first matching rule reads no
/// reference-counted value and allocates nothing. Semantics equal ``RouteRequest/matches(_:)``.
final class RuleSet: Sendable {
    struct Condition: Sendable {
        enum Kind: UInt8, Sendable {
            case tenant, operation, modelFamily, resource, region, budgetTag, tag
            case promptOver, promptAtMost, compliance, capability, hours
        }
        var kind: Kind
        /// Pattern bytes in the arena (glob kinds); the capability index; or the numbers.
        var start = 0
        var count = 0
        var number = 0
        var number2 = 0
    }

    let conditions: [Condition]
    /// Rule r's conditions are `conditions[bounds[r] ..< bounds[r + 1]]`.
    let bounds: [Int]
    let arena: [UInt8]
    let capabilities: [String]

    init(_ rules: [RoutingRule]) {
        var conditions: [Condition] = []
        var bounds = [0]
        var arena: [UInt8] = []
        var capabilities: [String] = []
        func glob(_ kind: Condition.Kind, _ p: GlobPattern?) {
            guard let p else { return }
            let bytes = Array(p.text.utf8)
            conditions.append(Condition(kind: kind, start: arena.count, count: bytes.count))
            arena.append(contentsOf: bytes)
        }
        for rule in rules {
            let m = rule.match
            glob(.tenant, m.tenant)
            glob(.operation, m.operation)
            glob(.modelFamily, m.modelFamily)
            glob(.resource, m.resource)
            glob(.region, m.region)
            glob(.budgetTag, m.budgetTag)
            glob(.tag, m.tag)
            if let n = m.promptTokensOver { conditions.append(Condition(kind: .promptOver, number: n)) }
            if let n = m.promptTokensAtMost { conditions.append(Condition(kind: .promptAtMost, number: n)) }
            if let c = m.compliance { conditions.append(Condition(kind: .compliance, number: Int(c.rawValue))) }
            if let c = m.capability {
                conditions.append(Condition(kind: .capability, number: capabilities.count))
                capabilities.append(c)
            }
            if let h = m.hours { conditions.append(Condition(kind: .hours, number: h.start, number2: h.end)) }
            bounds.append(conditions.count)
        }
        self.conditions = conditions
        self.bounds = bounds
        self.arena = arena
        self.capabilities = capabilities
    }

    /// The index of the first rule whose conditions all hold, or -1.
    func firstMatch(_ r: RouteRequest) -> Int {
        let ruleCount = bounds.count - 1
        if ruleCount == 0 { return -1 }
        let micros = r.timestamp % Timestamp.microsPerDay
        let minute = Int((micros < 0 ? micros + Timestamp.microsPerDay : micros) / 60_000_000)
        return conditions.withUnsafeBufferPointer { cs in
            arena.withUnsafeBufferPointer { bytes in
                bounds.withUnsafeBufferPointer { b in
                    for rule in 0..<ruleCount {
                        var all = true
                        var k = b[rule]
                        while all && k < b[rule + 1] {
                            all = holds(cs[k], r, bytes, minute)
                            k += 1
                        }
                        if all { return rule }
                    }
                    return -1
                }
            }
        }
    }

    @inline(__always)
    private func holds(_ c: Condition, _ r: RouteRequest, _ bytes: UnsafeBufferPointer<UInt8>, _ minute: Int) -> Bool {
        let pattern = UnsafeBufferPointer(rebasing: bytes[c.start ..< c.start + c.count])
        switch c.kind {
        case .tenant: return Self.glob(pattern, r.tenant)
        case .operation: return Self.glob(pattern, r.operation)
        case .modelFamily: return Self.glob(pattern, r.modelFamily)
        case .resource: return Self.glob(pattern, r.resource)
        case .region: return Self.glob(pattern, r.region)
        case .budgetTag:
            guard let tag = r.budgetTag else { return false }
            return Self.glob(pattern, tag)
        case .tag:
            for t in r.tags where Self.glob(pattern, t) { return true }
            return false
        case .promptOver: return r.promptTokens > c.number
        case .promptAtMost: return r.promptTokens <= c.number
        case .compliance: return r.compliance.isSuperset(of: ComplianceSet(rawValue: UInt8(c.number)))
        case .capability: return r.capabilities.contains(capabilities[c.number])
        case .hours: return MinuteRange(start: c.number, end: c.number2).contains(minuteOfDay: minute)
        }
    }

    @inline(__always)
    static func glob(_ pattern: UnsafeBufferPointer<UInt8>, _ value: String) -> Bool {
        if let result = value.utf8.withContiguousStorageIfAvailable({ GlobPattern.match(pattern, $0) }) { return result }
        return Array(value.utf8).withUnsafeBufferPointer { GlobPattern.match(pattern, $0) }
    }
}
