extension YAMLReader {
    /// One field of a settings mapping: its key, how its value is read and where it goes.
    ///
    /// A table of settings is both the mapping's allowed keys (in the order messages list them)
    /// and the order the fields are read in; see ``Value/settings(_:expected:_:)``.
    public struct Setting<Root> {
        /// The key in the mapping.
        public let key: String
        let apply: (Value, inout Root) throws(YAMLError) -> Void

        /// A field read by `read` into `path`.
        public static func field<T>(_ key: String, _ path: WritableKeyPath<Root, T>,
                                    _ read: @escaping (Value) throws(YAMLError) -> T) -> Setting {
            Setting(key: key) { (value, root) throws(YAMLError) in root[keyPath: path] = try read(value) }
        }

        /// `true` or `false`.
        public static func bool(_ key: String, _ path: WritableKeyPath<Root, Bool>) -> Setting {
            field(key, path) { (value) throws(YAMLError) in try value.bool() }
        }

        /// A whole number.
        public static func integer(_ key: String, _ path: WritableKeyPath<Root, Int>) -> Setting {
            field(key, path) { (value) throws(YAMLError) in try value.integer() }
        }

        /// A finite number.
        public static func number(_ key: String, _ path: WritableKeyPath<Root, Double>) -> Setting {
            field(key, path) { (value) throws(YAMLError) in try value.number() }
        }

        /// A duration, in µs.
        public static func duration(_ key: String, _ path: WritableKeyPath<Root, Int64>) -> Setting {
            field(key, path) { (value) throws(YAMLError) in try value.duration() }
        }

        /// A duration that may be absent, in µs.
        public static func duration(_ key: String, _ path: WritableKeyPath<Root, Int64?>) -> Setting {
            field(key, path) { (value) throws(YAMLError) in try value.duration() }
        }

        /// A duration, in seconds.
        public static func seconds(_ key: String, _ path: WritableKeyPath<Root, Double>) -> Setting {
            field(key, path) { (value) throws(YAMLError) in try value.seconds() }
        }

        /// An exact decimal amount.
        public static func amount(_ key: String, _ path: WritableKeyPath<Root, Money>) -> Setting {
            field(key, path) { (value) throws(YAMLError) in try value.amount() }
        }
    }
}

extension YAMLReader.Value {
    /// Reads a mapping of settings into `target`, which holds the defaults: the table's keys are
    /// the only keys allowed, and a field that is absent or null keeps its default.
    ///
    /// - Parameter expected: What the value should be when it is not a mapping.
    public func settings<Root>(_ target: inout Root, expected: String,
                               _ table: [YAMLReader.Setting<Root>]) throws(YAMLError) {
        let fields = try mapping(allowed: table.map(\.key), expected: expected)
        for setting in table {
            if let value = fields[setting.key] { try setting.apply(value, &target) }
        }
    }
}
