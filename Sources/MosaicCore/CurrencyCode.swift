import Foundation

/// ISO 4217 alphabetic currency codes, for checking a bill's currency.
///
/// The list is Foundation's `Locale.Currency.isoCurrencies` (ICU's data, the same on Linux and
/// macOS for one toolchain): the codes in use, funds and metals (`CLF`, `XAU`), the testing and
/// "no currency" codes (`XTS`, `XXX`) and withdrawn ones (`DEM`, `FRF`), so that no code a
/// billing export may carry, old ones included, is refused, while `XYZ` or `ABC` are.
/// `Locale.commonISOCurrencyCodes` would be narrower than a bill needs: it leaves out codes in
/// use such as `VED` (Venezuela since 2021) and `CHE`.
public enum CurrencyCode {
    /// The codes, each as its three ASCII letters packed into one integer (see ``key(_:)``).
    static let known: Set<UInt32> = {
        var set = Set<UInt32>()
        for currency in Locale.Currency.isoCurrencies {
            var text = currency.identifier
            if let k = text.withUTF8({ key(UnsafeRawBufferPointer($0)) }) { set.insert(k) }
        }
        return set
    }()

    /// Three capital ASCII letters packed into an integer; nil for anything else.
    static func key(_ bytes: UnsafeRawBufferPointer) -> UInt32? {
        guard bytes.count == 3 else { return nil }
        var k: UInt32 = 0
        for b in bytes {
            guard b >= UInt8(ascii: "A") && b <= UInt8(ascii: "Z") else { return nil }
            k = k << 8 | UInt32(b)
        }
        return k
    }

    /// Whether `bytes` are an ISO 4217 code (three capital letters the list holds). O(1).
    public static func isKnown(_ bytes: UnsafeRawBufferPointer) -> Bool {
        key(bytes).map(known.contains) ?? false
    }

    /// Whether `code` is an ISO 4217 code (three capital letters the list holds). O(1).
    public static func isKnown(_ code: String) -> Bool {
        var code = code
        return code.withUTF8 { isKnown(UnsafeRawBufferPointer($0)) }
    }

    /// Why `shown` (a currency as an error shows it) is refused, once ``isKnown(_:)`` said no:
    /// the words of every reader, FOCUS files and provider APIs.
    public static func unknownReason(_ shown: String) -> String {
        let form = shown.utf8.count == 3 && shown.utf8.allSatisfy { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") }
        return "'\(shown)' is not an ISO 4217 currency code " + (form
            ? "(it has the form, three capital letters, but no currency has that code; for example USD, EUR, JPY)"
            : "(three capital letters, for example USD)")
    }
}
