import Foundation
import MosaicCore
import MosaicSim

/// Reads the JSON files `mosaic simulate … --out` writes: a ``SimulationSummary``, a
/// ``Comparison`` (`--compare`) or an ``OutageSweep`` (`--sweep`).
public enum SimulationFiles {
    static func decoder() -> JSONDecoder {
        let d = JSONDecoder()
        d.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return d
    }

    static func data(_ path: String) throws(ReportError) -> Data {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .cannotRead(path: path, reason: "no such file, or it is not readable")
        }
        return data
    }

    public static func summary(_ path: String) throws(ReportError) -> SimulationSummary {
        let data = try data(path)
        do { return try decoder().decode(SimulationSummary.self, from: data) } catch {
            throw .cannotRead(path: path, reason: "not a simulation summary (`mosaic simulate SCENARIO --out FILE`): \(DecodingError.message(for: error))")
        }
    }

    public static func sweep(_ path: String) throws(ReportError) -> OutageSweep {
        let data = try data(path)
        do { return try decoder().decode(OutageSweep.self, from: data) } catch {
            throw .cannotRead(path: path, reason: "not an N−1 sweep (`mosaic simulate SCENARIO --sweep --out FILE`): \(DecodingError.message(for: error))")
        }
    }

    public static func comparison(_ path: String) throws(ReportError) -> Comparison {
        let data = try data(path)
        do { return try decoder().decode(Comparison.self, from: data) } catch {
            throw .cannotRead(path: path, reason: "not a comparison (`mosaic simulate --compare A B --out FILE`): \(DecodingError.message(for: error))")
        }
    }
}
