/// The columns of the FinOps FOCUS specification, 1.0 and 1.2 (names are case-sensitive).
///
/// Only names and the facts the reader checks live here (feature level, nullability, data
/// type, the release that introduced the column), taken from each column's content-constraints
/// table in the specification.
enum FOCUSColumn: String, CaseIterable, Sendable {
    // FOCUS 1.0 (43 columns).
    case availabilityZone = "AvailabilityZone"
    case billedCost = "BilledCost"
    case billingAccountID = "BillingAccountId"
    case billingAccountName = "BillingAccountName"
    case billingCurrency = "BillingCurrency"
    case billingPeriodEnd = "BillingPeriodEnd"
    case billingPeriodStart = "BillingPeriodStart"
    case chargeCategory = "ChargeCategory"
    case chargeClass = "ChargeClass"
    case chargeDescription = "ChargeDescription"
    case chargeFrequency = "ChargeFrequency"
    case chargePeriodEnd = "ChargePeriodEnd"
    case chargePeriodStart = "ChargePeriodStart"
    case commitmentDiscountCategory = "CommitmentDiscountCategory"
    case commitmentDiscountID = "CommitmentDiscountId"
    case commitmentDiscountName = "CommitmentDiscountName"
    case commitmentDiscountStatus = "CommitmentDiscountStatus"
    case commitmentDiscountType = "CommitmentDiscountType"
    case consumedQuantity = "ConsumedQuantity"
    case consumedUnit = "ConsumedUnit"
    case contractedCost = "ContractedCost"
    case contractedUnitPrice = "ContractedUnitPrice"
    case effectiveCost = "EffectiveCost"
    case invoiceIssuerName = "InvoiceIssuerName"
    case listCost = "ListCost"
    case listUnitPrice = "ListUnitPrice"
    case pricingCategory = "PricingCategory"
    case pricingQuantity = "PricingQuantity"
    case pricingUnit = "PricingUnit"
    case providerName = "ProviderName"
    case publisherName = "PublisherName"
    case regionID = "RegionId"
    case regionName = "RegionName"
    case resourceID = "ResourceId"
    case resourceName = "ResourceName"
    case resourceType = "ResourceType"
    case serviceCategory = "ServiceCategory"
    case serviceName = "ServiceName"
    case skuID = "SkuId"
    case skuPriceID = "SkuPriceId"
    case subAccountID = "SubAccountId"
    case subAccountName = "SubAccountName"
    case tags = "Tags"
    // Introduced in FOCUS 1.1 or 1.2 (14 columns).
    case billingAccountType = "BillingAccountType"
    case capacityReservationID = "CapacityReservationId"
    case capacityReservationStatus = "CapacityReservationStatus"
    case commitmentDiscountQuantity = "CommitmentDiscountQuantity"
    case commitmentDiscountUnit = "CommitmentDiscountUnit"
    case invoiceID = "InvoiceId"
    case pricingCurrency = "PricingCurrency"
    case pricingCurrencyContractedUnitPrice = "PricingCurrencyContractedUnitPrice"
    case pricingCurrencyEffectiveCost = "PricingCurrencyEffectiveCost"
    case pricingCurrencyListUnitPrice = "PricingCurrencyListUnitPrice"
    case serviceSubcategory = "ServiceSubcategory"
    case skuMeter = "SkuMeter"
    case skuPriceDetails = "SkuPriceDetails"
    case subAccountType = "SubAccountType"

    /// A column's FOCUS data type, as far as the reader checks it.
    enum DataType {
        case string, decimal, dateTime, keyValue
    }

    /// Columns every FOCUS 1.0 and 1.2 file must have (a missing one is a file error).
    static let mandatory: [FOCUSColumn] = [
        .billedCost, .billingAccountID, .billingAccountName, .billingCurrency, .billingPeriodEnd,
        .billingPeriodStart, .chargeCategory, .chargeClass, .chargeDescription, .chargePeriodEnd,
        .chargePeriodStart, .contractedCost, .effectiveCost, .invoiceIssuerName, .listCost, .pricingQuantity,
        .pricingUnit, .providerName, .publisherName, .serviceCategory, .serviceName,
    ]

    /// Mandatory columns that must hold a value in every row: null there is a bad row.
    ///
    /// FOCUS also forbids a null `ContractedCost`, but real exports leave it null (the FOCUS
    /// project's own sample does on all of its Oracle rows), and no Mosaic total reads it, so
    /// a null `ContractedCost` is stored as null rather than refusing the row.
    static let requiringValue: [FOCUSColumn] = [
        .billedCost, .billingAccountID, .billingCurrency, .billingPeriodEnd, .billingPeriodStart,
        .chargeCategory, .chargePeriodEnd, .chargePeriodStart, .effectiveCost, .invoiceIssuerName, .listCost,
        .providerName, .publisherName, .serviceCategory, .serviceName,
    ]

    /// The allowed values of `ChargeCategory` (case-sensitive, as the specification says).
    static let chargeCategories = ["Usage", "Purchase", "Tax", "Credit", "Adjustment"]

    /// Whether the column first appeared after FOCUS 1.0 (in 1.1 or 1.2).
    var isAfter1_0: Bool {
        switch self {
        case .billingAccountType, .capacityReservationID, .capacityReservationStatus, .commitmentDiscountQuantity,
             .commitmentDiscountUnit, .invoiceID, .pricingCurrency, .pricingCurrencyContractedUnitPrice,
             .pricingCurrencyEffectiveCost, .pricingCurrencyListUnitPrice, .serviceSubcategory, .skuMeter,
             .skuPriceDetails, .subAccountType:
            return true
        default:
            return false
        }
    }

    /// Whether the column is part of the given FOCUS release.
    func isPart(of version: FOCUSVersion) -> Bool {
        version == .v1_2 || !isAfter1_0
    }

    var dataType: DataType {
        switch self {
        case .billedCost, .consumedQuantity, .contractedCost, .contractedUnitPrice, .effectiveCost, .listCost,
             .listUnitPrice, .pricingQuantity, .commitmentDiscountQuantity, .pricingCurrencyContractedUnitPrice,
             .pricingCurrencyEffectiveCost, .pricingCurrencyListUnitPrice:
            return .decimal
        case .billingPeriodEnd, .billingPeriodStart, .chargePeriodEnd, .chargePeriodStart:
            return .dateTime
        case .tags, .skuPriceDetails:
            return .keyValue
        default:
            return .string
        }
    }

    /// Whether ``BillingLine`` has a field for the column; every other column (FOCUS, `x_`
    /// custom or provider-specific) goes into the line's `extra` object.
    var isModelled: Bool {
        switch self {
        case .billedCost, .billingAccountID, .billingAccountName, .billingCurrency, .billingPeriodEnd,
             .billingPeriodStart, .chargeCategory, .chargeClass, .chargeDescription, .chargePeriodEnd,
             .chargePeriodStart, .consumedQuantity, .consumedUnit, .contractedCost, .effectiveCost,
             .invoiceIssuerName, .listCost, .listUnitPrice, .pricingQuantity, .pricingUnit, .providerName,
             .publisherName, .regionID, .resourceID, .serviceCategory, .serviceName, .skuID, .subAccountID,
             .subAccountName, .tags:
            return true
        default:
            return false
        }
    }
}
