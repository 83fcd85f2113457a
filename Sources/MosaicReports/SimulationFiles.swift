import Foundation
import MosaicCore
import MosaicSim

/// Reads the JSON files `mosaic simulate … --out` writes: a ``SimulationSummary``, a
/// ``Comparison`` (`--compare`) or an ``OutageSweep`` (`--sweep`).
public enum SimulationFiles {
    static func data(_ path: String) throws(ReportError) -> Data {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .cannotRead(path: path, reason: "no such file, or it is not readable")
        }
        return data
    }

    public static func summary(_ path: String) throws(ReportError) -> SimulationSummary {
        try decode(path, as: "a simulation summary (`mosaic simulate SCENARIO --out FILE`)")
    }

    public static func sweep(_ path: String) throws(ReportError) -> OutageSweep {
        try decode(path, as: "an N−1 sweep (`mosaic simulate SCENARIO --sweep --out FILE`)")
    }

    public static func comparison(_ path: String) throws(ReportError) -> Comparison {
        try decode(path, as: "a comparison (`mosaic simulate --compare A B --out FILE`)")
    }

    /// The file at `path` as a `T`, or an error saying it is not `what`.
    static func decode<T: Decodable>(_ path: String, as what: String) throws(ReportError) -> T {
        let data = try data(path)
        do { return try SimulationJSON.decoder().decode(T.self, from: data) } catch {
            throw .cannotRead(path: path, reason: "not \(what): \(DecodingError.message(for: error, in: data))")
        }
    }
}
