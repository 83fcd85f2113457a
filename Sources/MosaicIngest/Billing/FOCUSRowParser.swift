import MosaicCore

/// Turns one FOCUS record into a ``BillingLine``, checking every field on the way.
///
/// - `NULL` and the empty field are null. Null in a column of ``FOCUSColumn/requiringValue``
///   is a bad row.
/// - Costs (`BilledCost`, `EffectiveCost`, `ListCost`, `ContractedCost`, `ListUnitPrice`) are
///   read exactly from their text with `Money.parse`; quantities and the other decimal columns
///   are checked to be decimals and kept as written.
/// - Date/times are ISO 8601 (`2024-09-18 22:00:00`, `2024-09-18T22:00:00Z`, offsets
///   allowed; none means UTC); a period may not end before it starts.
/// - `Tags` is stored canonically (sorted keys) and fills team, tenant and project.
/// - Every column without a ``BillingLine`` field goes into `extra` as exact text.
struct FOCUSRowParser {
    let layout: FOCUSLayout
    let tags: FOCUSTagMapping

    // Header positions (-1 when absent), resolved once per file.
    private let billedCost, effectiveCost, listCost, contractedCost, listUnitPrice: Int
    private let billingCurrency, billingAccountID, billingAccountName, subAccountID, subAccountName: Int
    private let billingPeriodStart, billingPeriodEnd, chargePeriodStart, chargePeriodEnd: Int
    private let providerName, publisherName, invoiceIssuerName, serviceName, serviceCategory: Int
    private let chargeCategory, chargeClass, chargeDescription, skuID, resourceID, regionID: Int
    private let consumedQuantity, consumedUnit, pricingQuantity, pricingUnit, tagsColumn: Int

    init(layout: FOCUSLayout, tags: FOCUSTagMapping) {
        self.layout = layout
        self.tags = tags
        let p = layout.position
        billedCost = p(.billedCost); effectiveCost = p(.effectiveCost); listCost = p(.listCost)
        contractedCost = p(.contractedCost); listUnitPrice = p(.listUnitPrice)
        billingCurrency = p(.billingCurrency); billingAccountID = p(.billingAccountID)
        billingAccountName = p(.billingAccountName); subAccountID = p(.subAccountID); subAccountName = p(.subAccountName)
        billingPeriodStart = p(.billingPeriodStart); billingPeriodEnd = p(.billingPeriodEnd)
        chargePeriodStart = p(.chargePeriodStart); chargePeriodEnd = p(.chargePeriodEnd)
        providerName = p(.providerName); publisherName = p(.publisherName); invoiceIssuerName = p(.invoiceIssuerName)
        serviceName = p(.serviceName); serviceCategory = p(.serviceCategory)
        chargeCategory = p(.chargeCategory); chargeClass = p(.chargeClass); chargeDescription = p(.chargeDescription)
        skuID = p(.skuID); resourceID = p(.resourceID); regionID = p(.regionID)
        consumedQuantity = p(.consumedQuantity); consumedUnit = p(.consumedUnit)
        pricingQuantity = p(.pricingQuantity); pricingUnit = p(.pricingUnit); tagsColumn = p(.tags)
    }

    /// The line of the reader's current record, with an empty `naturalKey` for the caller to set.
    ///
    /// - Throws: ``RowProblem`` naming the first bad column and what is wrong with it.
    func line(_ r: CSVReader) throws(RowProblem) -> BillingLine {
        let header = layout.header
        if r.fields.count != header.count {
            throw RowProblem(column: nil, reason: "has \(r.fields.count) fields, the header has \(header.count)")
        }
        if let i = r.oversizedField {
            throw RowProblem(column: header[i], reason: "is \(r.fields[i].count) bytes, over the limit of \(r.maxFieldBytes)")
        }
        for i in 0..<header.count where !FOCUSRowParser.isText(r.field(i)) {
            throw RowProblem(column: header[i], reason: ByteParsing.uncleanTextReason(r.field(i), lineBreaks: true))
        }

        /// The field at `p`, nil when null or when the file lacks the column.
        func value(_ p: Int) -> UnsafeRawBufferPointer? {
            if p < 0 { return nil }
            let b = r.field(p)
            return FOCUSRowParser.isNull(b) ? nil : b
        }
        func required(_ p: Int, _ c: FOCUSColumn) throws(RowProblem) -> UnsafeRawBufferPointer {
            guard let b = value(p) else { throw RowProblem(column: c.rawValue, reason: "is null (FOCUS requires a value)") }
            return b
        }
        func text(_ p: Int) -> String? { value(p).map(ByteParsing.text) }
        func requiredText(_ p: Int, _ c: FOCUSColumn) throws(RowProblem) -> String {
            ByteParsing.text(try required(p, c))
        }
        func money(_ b: UnsafeRawBufferPointer, _ c: FOCUSColumn) throws(RowProblem) -> Money {
            switch Money.parse(b) {
            case .success(let m):
                if !m.isWithinIngestLimit { throw RowProblem(column: c.rawValue, reason: Money.overLimit(m)) }
                return m
            case .failure(let e): throw RowProblem(column: c.rawValue, reason: e.description)
            }
        }
        func optionalMoney(_ p: Int, _ c: FOCUSColumn) throws(RowProblem) -> Money? {
            guard let b = value(p) else { return nil }
            return try money(b, c)
        }
        func quantity(_ p: Int, _ c: FOCUSColumn) throws(RowProblem) -> String? {
            guard let b = value(p) else { return nil }
            try FOCUSRowParser.checkDecimal(b, c)
            return ByteParsing.text(b)
        }
        func instant(_ p: Int, _ c: FOCUSColumn) throws(RowProblem) -> Int64 {
            let b = try required(p, c)
            guard let t = Timestamp.parse(b) else {
                throw RowProblem(column: c.rawValue, reason: "'\(ByteParsing.excerpt(b))' is not a FOCUS date/time (for example 2024-09-01T00:00:00Z or 2024-09-01 00:00:00)")
            }
            if let early = Timestamp.tooEarly(t, what: "a charge") { throw RowProblem(column: c.rawValue, reason: early) }
            return t
        }
        func period(_ start: Int, _ startColumn: FOCUSColumn, _ end: Int, _ endColumn: FOCUSColumn) throws(RowProblem) -> (Int64, Int64) {
            let s = try instant(start, startColumn), e = try instant(end, endColumn)
            if e < s {
                throw RowProblem(column: endColumn.rawValue, reason: "\(Timestamp.format(e)) is before \(startColumn.rawValue) \(Timestamp.format(s)); a period cannot end before it starts")
            }
            return (s, e)
        }

        let (billingStart, billingEnd) = try period(billingPeriodStart, .billingPeriodStart, billingPeriodEnd, .billingPeriodEnd)
        let (chargeStart, chargeEnd) = try period(chargePeriodStart, .chargePeriodStart, chargePeriodEnd, .chargePeriodEnd)
        let category = try requiredText(chargeCategory, .chargeCategory)
        if !FOCUSColumn.chargeCategories.contains(category) {
            throw RowProblem(column: FOCUSColumn.chargeCategory.rawValue, reason: "'\(category.prefix(60))' is not a FOCUS charge category (expected one of \(FOCUSColumn.chargeCategories.joined(separator: ", ")); case matters)")
        }
        let currency = try required(billingCurrency, .billingCurrency)
        if !CurrencyCode.isKnown(currency) {
            throw RowProblem(column: FOCUSColumn.billingCurrency.rawValue, reason: CurrencyCode.unknownReason(ByteParsing.excerpt(currency)))
        }

        var line = BillingLine(
            source: "focus", naturalKey: "", chargePeriodStart: chargeStart, chargePeriodEnd: chargeEnd,
            providerName: try requiredText(providerName, .providerName), chargeCategory: category,
            billedCost: try money(try required(billedCost, .billedCost), .billedCost),
            billingCurrency: ByteParsing.text(currency))
        line.effectiveCost = try money(try required(effectiveCost, .effectiveCost), .effectiveCost)
        line.listCost = try money(try required(listCost, .listCost), .listCost)
        line.contractedCost = try optionalMoney(contractedCost, .contractedCost)
        line.listUnitPrice = try optionalMoney(listUnitPrice, .listUnitPrice)
        line.billingPeriodStart = billingStart
        line.billingPeriodEnd = billingEnd
        line.billingAccountID = try requiredText(billingAccountID, .billingAccountID)
        line.billingAccountName = text(billingAccountName)
        line.subAccountID = text(subAccountID)
        line.subAccountName = text(subAccountName)
        line.publisherName = try requiredText(publisherName, .publisherName)
        line.invoiceIssuerName = try requiredText(invoiceIssuerName, .invoiceIssuerName)
        line.serviceName = try requiredText(serviceName, .serviceName)
        line.serviceCategory = try requiredText(serviceCategory, .serviceCategory)
        line.chargeClass = text(chargeClass)
        line.chargeDescription = text(chargeDescription)
        line.skuID = text(skuID)
        line.resourceID = text(resourceID)
        line.regionID = text(regionID)
        line.consumedQuantity = try quantity(consumedQuantity, .consumedQuantity)
        line.consumedUnit = text(consumedUnit)
        line.pricingQuantity = try quantity(pricingQuantity, .pricingQuantity)
        line.pricingUnit = text(pricingUnit)

        for (i, column) in layout.checkedExtras {
            guard let b = value(i) else { continue }
            if column.dataType == .keyValue {
                _ = try FOCUSKeyValue.parse(b, column: column.rawValue)
            } else {
                try FOCUSRowParser.checkDecimal(b, column)
            }
        }

        if let b = value(tagsColumn) {
            let members = try FOCUSKeyValue.parse(b, column: FOCUSColumn.tags.rawValue)
            line.tags = FOCUSKeyValue.canonical(members)
            line.team = tags.first(of: tags.teamKeys, in: members)
            line.tenant = tags.first(of: tags.tenantKeys, in: members)
            line.project = tags.first(of: tags.projectKeys, in: members)
        }

        if !layout.extras.isEmpty {
            var out: [UInt8] = [UInt8(ascii: "{")]
            out.reserveCapacity(32 * layout.extras.count)
            for (k, e) in layout.extras.enumerated() {
                if k > 0 { out.append(UInt8(ascii: ",")) }
                out.append(contentsOf: e.memberPrefix)
                if let b = value(e.index) { JSONText.appendString(b, to: &out) } else { out.append(contentsOf: "null".utf8) }
            }
            out.append(UInt8(ascii: "}"))
            line.extra = String(decoding: out, as: UTF8.self)
        }
        return line
    }

    // MARK: - Field checks

    /// FOCUS null: the literal `NULL` or an empty field.
    @inline(__always)
    static func isNull(_ b: UnsafeRawBufferPointer) -> Bool {
        b.count == 0 || (b.count == 4 && b[0] == 78 && b[1] == 85 && b[2] == 76 && b[3] == 76)
    }

    /// Valid UTF-8 without control characters other than tab, line feed and carriage return
    /// (a quoted CSV field may span lines).
    @inline(__always)
    static func isText(_ b: UnsafeRawBufferPointer) -> Bool {
        var ascii = true
        for c in b {
            if c < 32 && c != 9 && c != 10 && c != 13 { return false }
            if c >= 0x80 { ascii = false }
        }
        return ascii || String(validating: b, as: UTF8.self) != nil
    }

    /// FOCUS Numeric Format: an optional sign, digits with an optional fraction, and an
    /// optional exponent (`12`, `-0.5`, `.25`, `1.2e-3`).
    static func isDecimal(_ b: UnsafeRawBufferPointer) -> Bool {
        let n = b.count
        var i = 0
        if i < n && (b[i] == 43 || b[i] == 45) { i += 1 }
        var digits = 0
        while i < n && b[i] >= 48 && b[i] <= 57 { i += 1; digits += 1 }
        if i < n && b[i] == 46 {
            i += 1
            while i < n && b[i] >= 48 && b[i] <= 57 { i += 1; digits += 1 }
        }
        if digits == 0 { return false }
        if i < n && (b[i] == 101 || b[i] == 69) {
            i += 1
            if i < n && (b[i] == 43 || b[i] == 45) { i += 1 }
            var exponentDigits = 0
            while i < n && b[i] >= 48 && b[i] <= 57 { i += 1; exponentDigits += 1 }
            if exponentDigits == 0 { return false }
        }
        return i == n
    }

    static func checkDecimal(_ b: UnsafeRawBufferPointer, _ c: FOCUSColumn) throws(RowProblem) {
        if !isDecimal(b) {
            throw RowProblem(column: c.rawValue, reason: "'\(ByteParsing.excerpt(b))' is not a decimal number")
        }
    }
}
