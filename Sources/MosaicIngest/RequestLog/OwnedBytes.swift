/// Copies of strings as stable byte buffers that rows can borrow; freed with the value.
final class OwnedBytes {
    private let buffers: [UnsafeMutableRawBufferPointer]

    init(_ strings: [String]) {
        buffers = strings.map { s in
            let bytes = Array(s.utf8)
            let p = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bytes.count, 1), alignment: 1)
            p.copyBytes(from: bytes)
            return UnsafeMutableRawBufferPointer(rebasing: p[0..<bytes.count])
        }
    }

    deinit { for b in buffers { if let base = b.baseAddress { base.deallocate() } } }

    subscript(i: Int) -> UnsafeRawBufferPointer { UnsafeRawBufferPointer(buffers[i]) }
}
