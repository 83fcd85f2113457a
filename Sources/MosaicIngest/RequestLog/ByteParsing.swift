/// Number and text parsing straight from bytes, for the ingest hot path.
enum ByteParsing {
    /// A non-negative or negative decimal integer; nil for anything else (including overflow).
    @inline(__always)
    static func int(_ b: UnsafeRawBufferPointer) -> Int64? {
        let n = b.count
        if n == 0 || n > 20 { return nil }
        var i = 0
        var negative = false
        if b[0] == 45 { negative = true; i = 1 } else if b[0] == 43 { i = 1 }
        if i == n { return nil }
        var magnitude: UInt64 = 0
        while i < n {
            let d = b[i] &- 48
            if d > 9 { return nil }
            let (m, o1) = magnitude.multipliedReportingOverflow(by: 10)
            let (s, o2) = m.addingReportingOverflow(UInt64(d))
            if o1 || o2 { return nil }
            magnitude = s
            i += 1
        }
        if negative {
            return magnitude <= UInt64(Int64.max) + 1 ? Int64(truncatingIfNeeded: 0 &- magnitude) : nil
        }
        return magnitude <= UInt64(Int64.max) ? Int64(magnitude) : nil
    }

    /// The words that mark a missing value, as pandas' `read_csv` reads them by default (R writes
    /// `NA`, numpy `nan`, spreadsheets `#N/A`, JSON-minded exporters `null`): one list for the
    /// series reader and the optional number columns of request logs and latency files. Checked
    /// only after a field fails to read as a number, so the hot path never looks them up.
    static let missingMarkers: Set<[UInt8]> = Set([
        "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN",
        "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null",
    ].map { Array($0.utf8) })

    /// Whether a field is one of ``missingMarkers``.
    static func isMissingMarker(_ b: UnsafeRawBufferPointer) -> Bool {
        b.count <= 9 && missingMarkers.contains(Array(b))
    }

    static let powersOf10: [Double] = (0...22).map { k in
        var p = 1.0
        for _ in 0..<k { p *= 10 }
        return p
    }

    /// A finite decimal number (`12`, `-3.5`, `1e3`); nil for anything else, `nan` and `inf`
    /// included. Plain decimals with up to 15 significant digits take an exact fast path
    /// (Clinger); the rest go through the standard library's correctly rounded parser.
    @inline(__always)
    static func double(_ b: UnsafeRawBufferPointer) -> Double? {
        let n = b.count
        if n == 0 { return nil }
        var i = 0
        var negative = false
        if b[0] == 45 { negative = true; i = 1 } else if b[0] == 43 { i = 1 }
        var mantissa: UInt64 = 0
        var digits = 0
        var fraction = 0
        var sawDot = false
        var sawDigit = false
        while i < n {
            let c = b[i]
            if c >= 48 && c <= 57 {
                sawDigit = true
                if mantissa != 0 || c != 48 { digits += 1 }
                mantissa = mantissa &* 10 &+ UInt64(c - 48)
                if sawDot { fraction += 1 }
            } else if c == 46 && !sawDot {
                sawDot = true
            } else {
                break
            }
            i += 1
        }
        if !sawDigit { return nil }
        if i == n && digits <= 15 && fraction <= 22 {
            let v = Double(mantissa) / powersOf10[fraction]
            return negative ? -v : v
        }
        // Slow path: exponents, long mantissas. Validate the shape, then let Double parse it.
        if i < n {
            guard b[i] == 101 || b[i] == 69 else { return nil }
            var k = i + 1
            if k < n && (b[k] == 43 || b[k] == 45) { k += 1 }
            if k == n { return nil }
            while k < n { guard b[k] >= 48 && b[k] <= 57 else { return nil }; k += 1 }
        }
        guard let v = Double(String(decoding: b, as: UTF8.self)), v.isFinite else { return nil }
        return v
    }

    /// True when the bytes are valid UTF-8 without NUL or other C0 control characters
    /// (tab excepted).
    @inline(__always)
    static func isCleanText(_ b: UnsafeRawBufferPointer) -> Bool {
        var ascii = true
        for c in b {
            if c < 32 && c != 9 { return false }
            if c >= 0x80 { ascii = false }
        }
        if ascii { return true }
        return String(validating: b, as: UTF8.self) != nil
    }

    /// Why bytes that are not clean text (``isCleanText(_:)``) are not: a line break (a quoted
    /// field that spans lines) unless `lineBreaks` are allowed, another control character, or
    /// bytes that are not UTF-8.
    static func uncleanTextReason(_ b: UnsafeRawBufferPointer, lineBreaks: Bool = false) -> String {
        if !lineBreaks && (b.contains(10) || b.contains(13)) {
            return "holds a line break (a quoted value spanning lines); a value is one line"
        }
        if let c = b.first(where: { $0 < 32 && $0 != 9 && (!lineBreaks || ($0 != 10 && $0 != 13)) }) {
            let hex = String(c, radix: 16, uppercase: true)
            return "holds the control character 0x\(hex.count == 1 ? "0" : "")\(hex)"
        }
        return "is not valid UTF-8 text; convert the file to UTF-8"
    }

    static func text(_ b: UnsafeRawBufferPointer) -> String { String(decoding: b, as: UTF8.self) }

    /// The bytes shown in an error message: at most 60 characters, with an ellipsis.
    static func excerpt(_ b: UnsafeRawBufferPointer) -> String {
        let t = String(decoding: b.prefix(60), as: UTF8.self)
        return b.count > 60 ? t + "…" : t
    }
}
