#if MOSAIC_TSAN
import MosaicCore

/// ThreadSanitizer cannot see Synchronization's `Mutex` on Linux: `scripts/tsan` builds lock
/// with ``MosaicCore/TSanMutex`` instead (see there).
typealias Mutex<Value> = TSanMutex<Value>
#endif
