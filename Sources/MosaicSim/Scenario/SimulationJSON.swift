import Foundation

/// The JSON form of simulation results (``SimulationSummary``, ``Comparison``, ``OutageSweep``
/// and `mosaic simulate --strategies`' list of comparisons): pretty-printed with sorted keys, so
/// that the same scenario and seed give the same bytes, and with the non-finite numbers a result
/// can hold written as the strings `inf`, `-inf` and `nan`.
public enum SimulationJSON {
    /// The encoder of every simulation result file.
    public static func encoder() -> JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys]
        e.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return e
    }

    /// A decoder for what ``encoder()`` writes, the non-finite numbers included.
    public static func decoder() -> JSONDecoder {
        let d = JSONDecoder()
        d.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return d
    }
}

/// A result written as a simulation file (see ``SimulationJSON``).
public protocol SimulationResult: Encodable {}

extension SimulationResult {
    /// Deterministic JSON: sorted keys, pretty-printed (``SimulationJSON/encoder()``).
    public func json() throws -> Data { try SimulationJSON.encoder().encode(self) }
}
