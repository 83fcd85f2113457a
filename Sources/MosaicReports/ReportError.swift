/// Why a report could not be made; every case names the place and the value.
public enum ReportError: Error, Sendable, CustomStringConvertible, Equatable {
    case cannotRead(path: String, reason: String)
    case cannotWrite(path: String, reason: String)
    case invalidInput(String)
    case noData(String)
    case store(String)

    public var description: String {
        switch self {
        case let .cannotRead(path, reason): return "\(path): cannot read: \(reason)"
        case let .cannotWrite(path, reason): return "\(path): cannot write: \(reason)"
        case let .invalidInput(m): return m
        case let .noData(m): return m
        case let .store(m): return m
        }
    }
}
