/// Writes an `InstallReceipt` as JSON text directly, in the layout `JSONEncoder` gives it with
/// `[.prettyPrinted, .withoutEscapingSlashes]` (two-space indent, `"key" : value`, an empty list
/// as `[` blank line `]`, the same string escapes) but with the keys in brew's order
/// (`Library/Homebrew/tab.rb#to_json`), the unmodelled fields after them by name, as
/// `ReceiptExtraFields.write` orders them. (`JSONEncoder` keeps a keyed container's keys in a
/// dictionary, so its key order changed from process to process.)
///
/// Why: `JSONEncoder` cost 3–4 % of an install of 1,000 tiny bottles, one receipt per keg
/// (Docs/Performance.md, "Fourth pass"). A receipt carrying a floating-point value among its
/// unmodelled fields is left to `JSONEncoder` (nil here): its number formatting is its own.
///
/// Stateless; safe from any thread.
enum ReceiptJSONWriter {
    /// The receipt's JSON text, or nil when `JSONEncoder` must write it.
    static func data(for receipt: InstallReceipt) -> [UInt8]? {
        guard let tree = Node(receipt) else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(2048)
        tree.write(into: &out, indent: 0)
        return out
    }

    /// An ordered JSON value.
    ///
    /// Thread-safety: an immutable value; safe to share across queues.
    fileprivate indirect enum Node {
        case null
        case bool(Bool)
        case int(Int)
        case string(String)
        case array([Node])
        case object([(String, Node)])

        init(_ text: String?) { self = text.map(Node.string) ?? .null }
        init(_ texts: [String]) { self = .array(texts.map(Node.string)) }

        /// nil for a value holding a floating-point number.
        init?(_ value: ReceiptJSONValue) {
            switch value {
            case .null: self = .null
            case let .bool(v): self = .bool(v)
            case let .int(v): self = .int(v)
            case .double: return nil
            case let .string(v): self = .string(v)
            case let .array(values):
                var nodes: [Node] = []
                nodes.reserveCapacity(values.count)
                for value in values {
                    guard let node = Node(value) else { return nil }
                    nodes.append(node)
                }
                self = .array(nodes)
            case let .object(fields):
                guard let fields = Node.fields(fields) else { return nil }
                self = .object(fields)
            }
        }

        /// Unmodelled fields by name; nil when one holds a floating-point number.
        static func fields(_ extra: [String: ReceiptJSONValue]) -> [(String, Node)]? {
            var fields: [(String, Node)] = []
            for key in extra.keys.sorted() {
                guard let value = extra[key], let node = Node(value) else { return nil }
                fields.append((key, node))
            }
            return fields
        }

        /// The receipt in brew's key order (`InstallReceipt.encode(to:)` writes the same keys).
        init?(_ receipt: InstallReceipt) {
            var fields: [(String, Node)] = [
                ("homebrew_version", Node(receipt.homebrewVersion)),
                ("used_options", Node(receipt.usedOptions)),
                ("unused_options", Node(receipt.unusedOptions)),
                ("built_as_bottle", .bool(receipt.builtAsBottle)),
                ("poured_from_bottle", .bool(receipt.pouredFromBottle)),
                ("loaded_from_api", .bool(receipt.loadedFromAPI)),
            ]
            if let internalAPI = receipt.loadedFromInternalAPI { fields.append(("loaded_from_internal_api", .bool(internalAPI))) }
            fields.append(("installed_as_dependency", .bool(receipt.installedAsDependency)))
            fields.append(("installed_on_request", .bool(receipt.installedOnRequest)))
            fields.append(("changed_files", receipt.changedFiles.map { Node($0) } ?? .null))
            fields.append(("time", receipt.time.map(Node.int) ?? .null))
            fields.append(("source_modified_time", .int(receipt.sourceModifiedTime)))
            fields.append(("compiler", Node(receipt.compiler)))
            fields.append(("stdlib", Node(receipt.stdlib)))
            fields.append(("aliases", Node(receipt.aliases)))
            if let dependencies = receipt.runtimeDependencies {
                var nodes: [Node] = []
                nodes.reserveCapacity(dependencies.count)
                for dependency in dependencies {
                    guard let extra = Node.fields(dependency.extra) else { return nil }
                    nodes.append(.object([
                        ("full_name", .string(dependency.fullName)),
                        ("version", Node(dependency.version)),
                        ("revision", .int(dependency.revision)),
                        ("pkg_version", Node(dependency.pkgVersion)),
                        ("declared_directly", .bool(dependency.declaredDirectly)),
                    ] + extra))
                }
                fields.append(("runtime_dependencies", .array(nodes)))
            } else {
                fields.append(("runtime_dependencies", .null))
            }
            let source = receipt.source
            guard let versionsExtra = Node.fields(source.versions.extra), let sourceExtra = Node.fields(source.extra) else {
                return nil
            }
            fields.append(("source", .object([
                ("path", Node(source.path)),
                ("tap", Node(source.tap)),
                ("tap_git_head", Node(source.tapGitHead)),
                ("spec", .string(source.spec)),
                ("versions", .object([
                    ("stable", Node(source.versions.stable)),
                    ("head", Node(source.versions.head)),
                    ("version_scheme", .int(source.versions.versionScheme)),
                ] + versionsExtra)),
            ] + sourceExtra)))
            fields.append(("arch", Node(receipt.arch)))
            if let builtOn = receipt.builtOn {
                guard let extra = Node.fields(builtOn.extra) else { return nil }
                fields.append(("built_on", .object([
                    ("os", Node(builtOn.os)),
                    ("os_version", Node(builtOn.osVersion)),
                    ("cpu_family", Node(builtOn.cpuFamily)),
                ] + extra)))
            } else {
                fields.append(("built_on", .null))
            }
            guard let extra = Node.fields(receipt.extra) else { return nil }
            self = .object(fields + extra)
        }

        func write(into out: inout [UInt8], indent: Int) {
            switch self {
            case .null: out.append(contentsOf: "null".utf8)
            case let .bool(value): out.append(contentsOf: (value ? "true" : "false").utf8)
            case let .int(value): out.append(contentsOf: String(value).utf8)
            case let .string(text): Node.writeString(text, into: &out)
            case let .array(values):
                out.append(UInt8(ascii: "["))
                out.append(0x0A)
                for (index, value) in values.enumerated() {
                    if index > 0 { out.append(contentsOf: ",\n".utf8) }
                    Node.writeIndent(indent + 2, into: &out)
                    value.write(into: &out, indent: indent + 2)
                }
                out.append(0x0A)
                Node.writeIndent(indent, into: &out)
                out.append(UInt8(ascii: "]"))
            case let .object(fields):
                out.append(UInt8(ascii: "{"))
                out.append(0x0A)
                for (index, (key, value)) in fields.enumerated() {
                    if index > 0 { out.append(contentsOf: ",\n".utf8) }
                    Node.writeIndent(indent + 2, into: &out)
                    Node.writeString(key, into: &out)
                    out.append(contentsOf: " : ".utf8)
                    value.write(into: &out, indent: indent + 2)
                }
                out.append(0x0A)
                Node.writeIndent(indent, into: &out)
                out.append(UInt8(ascii: "}"))
            }
        }

        static func writeIndent(_ count: Int, into out: inout [UInt8]) {
            out.append(contentsOf: repeatElement(UInt8(ascii: " "), count: count))
        }

        /// `JSONEncoder`'s escapes: `"` and `\`, the short forms of the common control
        /// characters, `\u00xx` (lower-case hex) for the others; `/` and non-ASCII as they are.
        static func writeString(_ text: String, into out: inout [UInt8]) {
            out.append(UInt8(ascii: "\""))
            for byte in text.utf8 {
                switch byte {
                case UInt8(ascii: "\""): out.append(contentsOf: "\\\"".utf8)
                case UInt8(ascii: "\\"): out.append(contentsOf: "\\\\".utf8)
                case 0x0A: out.append(contentsOf: "\\n".utf8)
                case 0x0D: out.append(contentsOf: "\\r".utf8)
                case 0x09: out.append(contentsOf: "\\t".utf8)
                case 0x08: out.append(contentsOf: "\\b".utf8)
                case 0x0C: out.append(contentsOf: "\\f".utf8)
                case 0x00..<0x20:
                    let hex: [UInt8] = Array("0123456789abcdef".utf8)
                    out.append(contentsOf: "\\u00".utf8)
                    out.append(hex[Int(byte >> 4)])
                    out.append(hex[Int(byte & 0x0F)])
                default: out.append(byte)
                }
            }
            out.append(UInt8(ascii: "\""))
        }
    }
}
