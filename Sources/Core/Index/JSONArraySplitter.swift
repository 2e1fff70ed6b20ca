/// Cuts a JSON array, fed in pieces of any size, into its elements' bytes, one element at a
/// time, so `formula.json` (30 MB, ~8,000 objects) is decoded formula by formula and never held
/// whole. It checks the structure between elements (the brackets, the commas, nothing after the
/// closing bracket) and tracks strings and nesting to find where an element ends; the element's
/// own syntax is checked by the decoder it is handed to.
///
/// Use: for each piece, call `next(in:from:)` until it returns `.needMore`; then `finish()`.
/// The scanning loops keep their state in locals (no closure, no reference counting per byte):
/// a first version that called back from inside the loop spent half the index build in
/// retain/release (Docs/Performance.md, "Streaming index build").
///
/// Confinement: not Sendable; owned by the one queue building the index.
final class JSONArraySplitter {
    enum Failure: Error, Equatable {
        /// The document does not start with `[`.
        case notAnArray
        /// Something other than an element, `,` or `]` where one was due; `at` is the element index.
        case unexpected(byte: UInt8, at: Int)
        /// The document ended before the closing `]`.
        case truncated(at: Int)
        /// An element is larger than `elementLimit`.
        case elementTooLarge(at: Int)
    }

    /// What `next` found.
    enum Step {
        /// The piece is used up; feed the next one.
        case needMore
        /// A whole element; its bytes are valid until the next call.
        case element(UnsafeRawBufferPointer, index: Int)
        case failure(Failure)
    }

    private enum Phase {
        /// Before `[`.
        case start
        /// After `[`: an element or `]`.
        case firstElement
        /// After `,`: an element.
        case nextElement
        /// Inside an element.
        case element
        /// After an element: `,` or `]`.
        case afterElement
        /// After `]`: only white space.
        case end
    }

    /// How an element ends: at the bracket closing its first one, at its closing quote, or
    /// before the delimiter after a number or literal.
    private enum Shape {
        case container, string, scalar
    }

    /// Elements larger than this are refused (a formula object is a few KB; this bounds memory
    /// against a document that never closes its first element).
    let elementLimit: Int
    private var phase = Phase.start
    private var shape = Shape.scalar
    private var depth = 0
    private var inString = false
    private var escaped = false
    /// Bytes of the current element seen in earlier pieces.
    private var pending: UnsafeMutableRawBufferPointer
    private var pendingCount = 0
    /// Index of the current (or next) element.
    private(set) var elementIndex = 0

    init(elementLimit: Int = 16 << 20) {
        self.elementLimit = elementLimit
        pending = .allocate(byteCount: 64 << 10, alignment: 1)
    }

    deinit { pending.deallocate() }

    /// Scans `bytes` from `index` to the end of the next element, or to the end of `bytes`.
    func next(in bytes: UnsafeRawBufferPointer, from index: inout Int) -> Step {
        let count = bytes.count
        while index < count {
            let byte = bytes[index]
            switch phase {
            case .element:
                return scanElement(bytes, from: &index)
            case .start:
                if byte == UInt8(ascii: "[") {
                    phase = .firstElement
                } else if !JSONArraySplitter.isSpace(byte) {
                    return .failure(.notAnArray)
                }
                index += 1
            case .firstElement, .nextElement, .afterElement, .end:
                if JSONArraySplitter.isSpace(byte) {
                    index += 1
                    continue
                }
                if byte == UInt8(ascii: "]"), phase == .firstElement || phase == .afterElement {
                    phase = .end
                    index += 1
                } else if byte == UInt8(ascii: ","), phase == .afterElement {
                    phase = .nextElement
                    index += 1
                } else if phase == .firstElement || phase == .nextElement,
                          byte != UInt8(ascii: "]"), byte != UInt8(ascii: ","), byte != UInt8(ascii: "}") {
                    phase = .element
                    shape = byte == UInt8(ascii: "{") || byte == UInt8(ascii: "[")
                        ? .container : byte == UInt8(ascii: "\"") ? .string : .scalar
                    depth = 0
                    inString = false
                    escaped = false
                    pendingCount = 0
                } else {
                    return .failure(.unexpected(byte: byte, at: elementIndex))
                }
            }
        }
        return .needMore
    }

    /// Call after the last piece: a failure when the array was not closed.
    func finish() -> Failure? {
        phase == .end ? nil : phase == .start ? .notAnArray : .truncated(at: elementIndex)
    }

    private static func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
    }

    /// Scans the current element from `index`: returns it when it ends in `bytes`, or keeps what
    /// `bytes` holds of it for the next piece.
    private func scanElement(_ bytes: UnsafeRawBufferPointer, from index: inout Int) -> Step {
        let start = index
        let count = bytes.count
        var cursor = index
        var end = -1  // one past the element's last byte, once found
        var inString = self.inString
        var escaped = self.escaped
        var depth = self.depth
        let shape = self.shape
        scan: while cursor < count {
            let byte = bytes[cursor]
            if inString {
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                    if shape == .string {
                        end = cursor + 1
                        break scan
                    }
                }
                cursor += 1
                continue
            }
            switch shape {
            case .scalar:
                if JSONArraySplitter.isSpace(byte) || byte == UInt8(ascii: ",") || byte == UInt8(ascii: "]") {
                    end = cursor
                    break scan
                }
            case .string:
                if byte == UInt8(ascii: "\"") { inString = true }
            case .container:
                if byte == UInt8(ascii: "\"") {
                    inString = true
                } else if byte == UInt8(ascii: "{") || byte == UInt8(ascii: "[") {
                    depth += 1
                } else if byte == UInt8(ascii: "}") || byte == UInt8(ascii: "]") {
                    depth -= 1
                    if depth == 0 {
                        end = cursor + 1
                        break scan
                    }
                }
            }
            cursor += 1
        }
        self.inString = inString
        self.escaped = escaped
        self.depth = depth
        let pieceEnd = end < 0 ? count : end
        let pieceCount = pieceEnd - start
        guard pendingCount + pieceCount <= elementLimit else { return .failure(.elementTooLarge(at: elementIndex)) }
        index = pieceEnd
        if end < 0 || pendingCount > 0 {
            appendPending(UnsafeRawBufferPointer(rebasing: bytes[start ..< pieceEnd]))
        }
        guard end >= 0 else { return .needMore }
        let element = pendingCount > 0
            ? UnsafeRawBufferPointer(rebasing: pending[0 ..< pendingCount])
            : UnsafeRawBufferPointer(rebasing: bytes[start ..< pieceEnd])
        pendingCount = 0
        phase = .afterElement
        defer { elementIndex += 1 }
        return .element(element, index: elementIndex)
    }

    private func appendPending(_ piece: UnsafeRawBufferPointer) {
        guard !piece.isEmpty else { return }
        if pendingCount + piece.count > pending.count {
            let grown = UnsafeMutableRawBufferPointer.allocate(byteCount: max(pending.count * 2, pendingCount + piece.count),
                                                               alignment: 1)
            grown.baseAddress!.copyMemory(from: pending.baseAddress!, byteCount: pendingCount)
            pending.deallocate()
            pending = grown
        }
        (pending.baseAddress! + pendingCount).copyMemory(from: piece.baseAddress!, byteCount: piece.count)
        pendingCount += piece.count
    }
}
