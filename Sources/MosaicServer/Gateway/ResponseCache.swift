import MosaicCore
import Synchronization

/// An exact-match answer cache: least recently used entries go first once the bytes held pass
/// `maxBytes`, and an entry older than `ttl` is never answered.
///
/// Keys are the whole normalised request (tenant, then the request body without the stream
/// settings, as compact JSON), so two requests share an answer only when they are byte for
/// byte the same; there is no hash to collide. Lookups and inserts are O(1).
final class ResponseCache: Sendable {
    struct Answer: Sendable, Equatable {
        /// The chat completion, OpenAI-shaped.
        var body: [UInt8]
        var provider: String
        /// The outcome row of the attempt that produced it (model, usage, exact cost): what a
        /// hit saves. nil in tests that need only bytes.
        var origin: RequestRecord? = nil
    }

    struct Counts: Sendable, Equatable {
        var hits = 0
        var misses = 0
        var bypassed = 0
        var stored = 0
        var evicted = 0
        var entries = 0
        var bytes = 0
    }

    /// A doubly linked list over array slots (no allocation per entry once warm).
    struct State: Sendable {
        var index: [String: Int] = [:]
        var keys: [String] = []
        var answers: [Answer] = []
        var storedAt: [UInt64] = []
        var previous: [Int] = []
        var next: [Int] = []
        var free: [Int] = []
        /// Most recently used; -1 when empty.
        var head = -1
        /// Least recently used; -1 when empty.
        var tail = -1
        var counts = Counts()

        mutating func unlink(_ k: Int) {
            if previous[k] >= 0 { next[previous[k]] = next[k] } else { head = next[k] }
            if next[k] >= 0 { previous[next[k]] = previous[k] } else { tail = previous[k] }
            previous[k] = -1
            next[k] = -1
        }

        mutating func pushFront(_ k: Int) {
            previous[k] = -1
            next[k] = head
            if head >= 0 { previous[head] = k }
            head = k
            if tail < 0 { tail = k }
        }

        mutating func remove(_ k: Int) {
            unlink(k)
            index[keys[k]] = nil
            counts.bytes -= keys[k].utf8.count + answers[k].body.count
            counts.entries -= 1
            keys[k] = ""
            answers[k] = Answer(body: [], provider: "")
            free.append(k)
        }
    }

    let maxBytes: Int
    /// Nanoseconds.
    let ttl: UInt64
    let state = Mutex(State())

    init(maxBytes: Int, ttlSeconds: Double) {
        self.maxBytes = maxBytes
        ttl = UInt64(ttlSeconds * 1e9)
    }

    /// The key of a request: nil when it may not be cached (temperature other than 0, or none).
    static func key(tenant: String, body: JSONValue) -> String? {
        guard let t = body["temperature"]?.doubleValue, t == 0 else { return nil }
        var b = body
        b.remove("stream")
        b.remove("stream_options")
        return tenant + "\n" + b.text
    }

    /// The answer for `key` when present and younger than the TTL (it becomes most recently used).
    func lookup(_ key: String, now: UInt64) -> Answer? {
        state.withLock { s in
            guard let k = s.index[key] else {
                s.counts.misses += 1
                return nil
            }
            if now &- s.storedAt[k] > ttl {
                s.remove(k)
                s.counts.misses += 1
                return nil
            }
            s.unlink(k)
            s.pushFront(k)
            s.counts.hits += 1
            return s.answers[k]
        }
    }

    func bypass() { state.withLock { $0.counts.bypassed += 1 } }

    /// Stores an answer, evicting the least recently used until it fits; an answer larger than
    /// the whole cache is not stored.
    func store(_ key: String, _ answer: Answer, now: UInt64) {
        let size = key.utf8.count + answer.body.count
        guard size <= maxBytes else { return }
        state.withLock { s in
            if let k = s.index[key] { s.remove(k) }
            while s.counts.bytes + size > maxBytes, s.tail >= 0 {
                s.remove(s.tail)
                s.counts.evicted += 1
            }
            let k: Int
            if let f = s.free.popLast() {
                k = f
                s.keys[k] = key
                s.answers[k] = answer
                s.storedAt[k] = now
            } else {
                k = s.keys.count
                s.keys.append(key)
                s.answers.append(answer)
                s.storedAt.append(now)
                s.previous.append(-1)
                s.next.append(-1)
            }
            s.index[key] = k
            s.pushFront(k)
            s.counts.bytes += size
            s.counts.entries += 1
            s.counts.stored += 1
        }
    }

    var counts: Counts { state.withLock { $0.counts } }
}
