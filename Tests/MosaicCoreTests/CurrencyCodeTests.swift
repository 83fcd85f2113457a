import MosaicCore
import Testing

@Suite struct CurrencyCodeTests {
    @Test func listedCodesAreKnown() {
        for code in ["USD", "EUR", "JPY", "GBP", "CNY", "INR", "BRL", "VED", "SLE", "CHE", "CLF", "XAU", "XDR", "XTS", "XXX", "DEM", "FRF"] {
            #expect(CurrencyCode.isKnown(code), "\(code)")
        }
    }

    @Test func otherTextIsNot() {
        for text in ["XYZ", "ABC", "QQQ", "usd", "Usd", "US$", "USDT", "US", "", "U D", "ÜSD"] {
            #expect(!CurrencyCode.isKnown(text), "\(text)")
        }
    }
}
