// libyaml's event parser, which Yams is built on. Yams composes a document into nodes and gives
// no lighter access, and its composing is what this check has to precede.
internal import CYaml

extension YAMLReader {
    /// The most values the aliases of one document may add to it: each alias adds the values of
    /// the node it names, with the aliases inside that node expanded too.
    ///
    /// A YAML alias repeats a node without its text: nine aliases of a list of nine aliases of
    /// a list … ("billion laughs") name 9⁹ values in a few hundred bytes. Yams shares the
    /// repeated nodes, but it hashes every mapping key whole to find repeated keys, so such a
    /// node used as a key (`? *bomb`) made composing run for hours. None of Mosaic's files needs
    /// aliases anywhere near this many values: a policy whose 100,000 tenants each alias one
    /// five-field mapping adds 600,000.
    public static let aliasExpansionLimit = 1_000_000

    /// Refuses a document whose aliases add more than ``aliasExpansionLimit`` values, before
    /// Yams composes it, naming the line of the alias that passes the limit.
    ///
    /// One pass over libyaml's events, which never expands an alias: linear in the text. Text
    /// that is not well-formed YAML passes, for Yams to report in its own words.
    static func checkAliasExpansion(yaml: String, source: String) throws(YAMLError) {
        var failure: YAMLError?
        var bytes = Array(yaml.utf8)
        bytes.withUnsafeMutableBufferPointer { buffer in
            var parser = yaml_parser_t()
            guard yaml_parser_initialize(&parser) == 1 else { return }
            defer { yaml_parser_delete(&parser) }
            yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)

            /// The values (nodes, aliases expanded) of each anchored node, by anchor.
            var sizes: [String: Int] = [:]
            /// The collections open at this point: each one's anchor and its values so far.
            var open: [(anchor: String?, size: Int)] = []
            var added = 0
            func close(anchor: String?, size: Int) {
                if let anchor { sizes[anchor] = size }
                if !open.isEmpty { open[open.count - 1].size += size }
            }
            func name(_ anchor: UnsafeMutablePointer<yaml_char_t>?) -> String? { anchor.map { String(cString: $0) } }

            var event = yaml_event_t()
            while yaml_parser_parse(&parser, &event) == 1 {
                defer { yaml_event_delete(&event) }
                switch event.type {
                case YAML_STREAM_END_EVENT:
                    return
                case YAML_SCALAR_EVENT:
                    close(anchor: name(event.data.scalar.anchor), size: 1)
                case YAML_ALIAS_EVENT:
                    let size = name(event.data.alias.anchor).flatMap { sizes[$0] } ?? 1
                    added += size
                    if added > aliasExpansionLimit {
                        failure = YAMLError(source: source, line: Int(event.start_mark.line) + 1, path: "", .syntax(
                            "the aliases up to this line repeat more than \(aliasExpansionLimit) values "
                                + "(aliases of lists of aliases multiply at each level); write the values out instead"))
                        return
                    }
                    close(anchor: nil, size: size)
                case YAML_SEQUENCE_START_EVENT:
                    open.append((name(event.data.sequence_start.anchor), 1))
                case YAML_MAPPING_START_EVENT:
                    open.append((name(event.data.mapping_start.anchor), 1))
                case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                    if let collection = open.popLast() { close(anchor: collection.anchor, size: collection.size) }
                default:
                    break
                }
            }
        }
        if let failure { throw failure }
    }
}
