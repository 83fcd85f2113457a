import Foundation
import Logging
import MosaicCore

/// A swift-log handler that writes one JSON object per line to standard error:
/// `{"ts":"…","level":"info","label":"mosaic.serve","msg":"…", …metadata}`.
///
/// Log collectors (Loki, Cloud Logging, jq) read these without parsing prose.
public struct JSONLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level
    let label: String

    public init(label: String, level: Logger.Level = .info) {
        self.label = label
        self.logLevel = level
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let level = event.level, message = event.message, explicit = event.metadata
        var w = JSONWriter(capacity: 256)
        w.beginObject()
        w.string("ts", Timestamp.format(Timestamp.now()))
        w.string("level", level.rawValue)
        w.string("label", label)
        w.string("msg", message.description)
        var all = metadata
        if let explicit { all.merge(explicit) { $1 } }
        for (k, v) in all.sorted(by: { $0.key < $1.key }) {
            w.key(k)
            w.string(v.description)
        }
        w.endObject()
        w.newline()
        // One write(2) per line, so lines from different threads never interleave.
        w.withBytes { p in
            var off = 0
            while off < p.count {
                let n = write(2, p.baseAddress! + off, p.count - off)
                if n <= 0 { break }
                off += n
            }
        }
    }

    /// A logger with this handler (no global bootstrap needed).
    public static func logger(label: String, level: Logger.Level) -> Logger {
        Logger(label: label) { JSONLogHandler(label: $0, level: level) }
    }
}
